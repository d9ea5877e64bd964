#!/usr/bin/env node
// Builds docker-archive image tarballs without docker.
//
//   node scripts/build-busybox-image.mjs [--tag busybox:latest] [--out build/images/busybox.tar]
//       A busybox image from Debian's static /bin/busybox (package busybox-static): /bin/busybox
//       and a hard link /bin/<applet> for every applet, /etc/passwd and /etc/group as in
//       docker's busybox image, /tmp (1777), /root (0700), /home, /var.
//   node scripts/build-busybox-image.mjs --rootfs-tar rootfs.tar --tag debian:bookworm \
//       --out build/images/debian.tar [--cmd bash]
//       Wraps an existing root filesystem tarball (for example mmdebstrap's) as the one layer.
//
// The output is reproducible: fixed mtimes, owners and entry order, and a fixed `created`
// date (SOURCE_DATE_EPOCH overrides it), so the same inputs give the same image ID.
// Prints the image ID (sha256:<hex>) on stdout.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, realpathSync, renameSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import tar from 'tar-stream';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_EPOCH = 1704067200; // 2024-01-01T00:00:00Z
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;
const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nobody:x:65534:
`;
const SHADOW = `root:*::0:::::
nobody:*::0:::::
`;
const NSSWITCH = `hosts: files dns
passwd: files
group: files
`;

export function sourceDate() {
  const env = process.env.SOURCE_DATE_EPOCH;
  const secs = env && /^\d+$/.test(env) ? Number(env) : DEFAULT_EPOCH;
  return new Date(secs * 1000);
}

function sha256Hex(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

/** Packs entries ({name, type, mode, data?, linkname?}) into a tar Buffer, in the given order. */
export async function packEntries(entries, mtime) {
  const pack = tar.pack();
  const chunks = [];
  pack.on('data', (c) => chunks.push(c));
  const done = new Promise((res, rej) => {
    pack.on('end', res);
    pack.on('error', rej);
  });
  for (const e of entries) {
    const header = {
      name: e.name,
      type: e.type ?? 'file',
      mode: e.mode,
      mtime,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      uname: '',
      gname: '',
    };
    if (e.linkname) header.linkname = e.linkname;
    await new Promise((res, rej) => {
      if (header.type === 'file') pack.entry(header, e.data ?? Buffer.alloc(0), (err) => (err ? rej(err) : res()));
      else pack.entry(header, (err) => (err ? rej(err) : res()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

function busyboxVersion(bin) {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'busybox-static'], { encoding: 'utf8' });
    if (out) return `busybox-static ${out}`;
  } catch {
    // not a Debian host or not installed through dpkg: fall back to the binary's banner
  }
  const banner = execFileSync(bin, [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0];
  return banner.trim();
}

/** The busybox root filesystem as a deterministic tar Buffer. */
export async function busyboxLayer(bin = '/bin/busybox', mtime = sourceDate()) {
  const list = execFileSync(bin, ['--list-full'], { encoding: 'utf8' });
  const applets = [...new Set(list.split('\n')
    .filter((l) => l.includes('/'))
    .map((l) => l.slice(l.lastIndexOf('/') + 1))
    .filter((n) => n && n !== 'busybox'))].sort();
  if (applets.length < 100) throw new Error(`${bin} --list-full listed only ${applets.length} applets`);
  const dir = (name, mode = 0o755) => ({ name: `${name}/`, type: 'directory', mode });
  const file = (name, text, mode = 0o644) => ({ name, mode, data: Buffer.from(text) });
  const entries = [
    dir('bin'),
    file('bin/busybox', readFileSync(bin), 0o755),
    ...applets.map((a) => ({ name: `bin/${a}`, type: 'link', linkname: 'bin/busybox', mode: 0o755 })),
    dir('dev'),
    dir('etc'),
    file('etc/group', GROUP),
    file('etc/nsswitch.conf', NSSWITCH),
    file('etc/passwd', PASSWD),
    file('etc/shadow', SHADOW, 0o640),
    dir('home'),
    dir('root', 0o700),
    dir('tmp', 0o1777),
    dir('usr'),
    dir('usr/sbin'),
    dir('var'),
    dir('var/spool'),
    dir('var/spool/mail'),
    dir('var/www'),
  ];
  return { tar: await packEntries(entries, mtime), applets: applets.length, createdBy: busyboxVersion(bin) };
}

/**
 * Writes a docker-archive (`docker save` format) with one image of the given layers.
 * layers: [{ path } | { data: Buffer }], bottom first. Returns the image ID.
 */
export async function writeDockerArchive({ out, tag, layers, cmd, env = [PATH_ENV], created, createdBy }) {
  const mtime = created;
  const infos = [];
  for (const l of layers) {
    const diff = l.data ? sha256Hex(l.data) : await hashFile(l.path);
    const size = l.data ? l.data.length : statSync(l.path).size;
    infos.push({ ...l, diff, size });
  }
  const createdIso = created.toISOString().replace('.000Z', 'Z');
  const config = {
    architecture: 'amd64',
    config: { Env: env, Cmd: cmd },
    created: createdIso,
    history: infos.map(() => ({ created: createdIso, created_by: createdBy })),
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: infos.map((i) => `sha256:${i.diff}`) },
  };
  const configBuf = Buffer.from(JSON.stringify(config));
  const imageId = sha256Hex(configBuf);
  const [repo, tagName] = splitTag(tag);
  const manifest = [{
    Config: `${imageId}.json`,
    RepoTags: [tag],
    Layers: infos.map((i) => `${i.diff}/layer.tar`),
  }];
  const repositories = { [repo]: { [tagName]: infos[infos.length - 1].diff } };

  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(tmp));
  const put = (header, body) => new Promise((res, rej) => {
    const h = { mtime, uid: 0, gid: 0, uname: '', gname: '', mode: 0o644, ...header };
    if (h.type === 'directory') return pack.entry(h, (err) => (err ? rej(err) : res()));
    if (Buffer.isBuffer(body)) return pack.entry(h, body, (err) => (err ? rej(err) : res()));
    const sink = pack.entry(h, (err) => (err ? rej(err) : res()));
    pipeline(createReadStream(body), sink).catch(rej);
  });
  for (const i of infos) {
    await put({ name: `${i.diff}/`, type: 'directory', mode: 0o755 });
    await put({ name: `${i.diff}/VERSION` }, Buffer.from('1.0'));
    await put({ name: `${i.diff}/layer.tar`, size: i.size }, i.data ?? i.path);
  }
  await put({ name: `${imageId}.json` }, configBuf);
  await put({ name: 'manifest.json' }, Buffer.from(JSON.stringify(manifest)));
  await put({ name: 'repositories' }, Buffer.from(JSON.stringify(repositories)));
  pack.finalize();
  await written;
  renameSync(tmp, out);
  return `sha256:${imageId}`;
}

function splitTag(tag) {
  const slash = tag.lastIndexOf('/');
  const colon = tag.lastIndexOf(':');
  if (colon > slash) return [tag.slice(0, colon), tag.slice(colon + 1)];
  return [tag, 'latest'];
}

async function hashFile(path) {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk);
  return h.digest('hex');
}

function parseArgs(argv) {
  const opts = { tag: undefined, out: undefined, rootfsTar: undefined, cmd: undefined, busybox: '/bin/busybox' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--tag') opts.tag = val();
    else if (a === '--out') opts.out = val();
    else if (a === '--rootfs-tar') opts.rootfsTar = val();
    else if (a === '--cmd') opts.cmd = val();
    else if (a === '--busybox') opts.busybox = val();
    else if (a === '-h' || a === '--help') {
      console.log('usage: build-busybox-image.mjs [--tag T] [--out F] [--rootfs-tar F [--cmd C]] [--busybox BIN]');
      process.exit(0);
    } else throw new Error(`unknown argument "${a}"`);
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const created = sourceDate();
  let id;
  if (opts.rootfsTar) {
    const tag = opts.tag ?? 'debian:bookworm';
    const out = resolve(opts.out ?? `${ROOT}/build/images/${splitTag(tag)[0].split('/').pop()}.tar`);
    id = await writeDockerArchive({
      out, tag, created,
      layers: [{ path: resolve(opts.rootfsTar) }],
      cmd: [opts.cmd ?? 'bash'],
      createdBy: `hako build-busybox-image --rootfs-tar ${tag}`,
    });
    console.error(`wrote ${out} (${tag})`);
  } else {
    const tag = opts.tag ?? 'busybox:latest';
    const out = resolve(opts.out ?? `${ROOT}/build/images/busybox.tar`);
    const layer = await busyboxLayer(opts.busybox, created);
    id = await writeDockerArchive({
      out, tag, created,
      layers: [{ data: layer.tar }],
      cmd: [opts.cmd ?? 'sh'],
      createdBy: `hako build-busybox-image: ${layer.createdBy}, ${layer.applets} applets`,
    });
    console.error(`wrote ${out} (${tag}, ${layer.applets} applets)`);
  }
  console.log(id);
}

if (process.argv[1] && realpathSync(resolve(process.argv[1])) === realpathSync(fileURLToPath(import.meta.url))) {
  main().catch((err) => {
    console.error(`build-busybox-image: ${err.message}`);
    process.exit(1);
  });
}
