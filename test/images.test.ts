/**
 * The image foundation through a real hakod and the docker CLI: load and save
 * (docker-archive, OCI layout, gzip, several images), the same image ids as a real
 * dockerd both ways, the image list (intermediate images, filters), remove and
 * prune, history, system df, events, import with changes, and a daemon killed in
 * the middle of a large load.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { dockerdSkip, startDockerd } from './helpers/dockerd.js';
import { busyboxTar, ociBusyboxTar } from './helpers/images.js';
import { dockerArchive, imageId, imageTree, sha256hex, tarOf, type ArchiveImage } from './helpers/archives.js';
import { DOCKER_BIN } from './helpers/docker-bin.js';

const isRoot = process.getuid?.() === 0;
const DOCKER = DOCKER_BIN;
const noDocker = existsSync(DOCKER) ? false : `no docker CLI at ${DOCKER}`;
const pexec = promisify(execFile);

const dockerConfig = mkdtempSync(join(tmpdir(), 'hako-docker-config-'));
after(() => rmSync(dockerConfig, { recursive: true, force: true }));

/** Runs the docker CLI against `socket`; resolves with stdout, or rejects with {code, stderr}. */
async function docker(socket: string, args: string[], input?: Buffer): Promise<string> {
  const env = { ...process.env, DOCKER_CONFIG: dockerConfig, DOCKER_BUILDKIT: '0' };
  if (input === undefined) return (await pexec(DOCKER, ['-H', `unix://${socket}`, ...args], { env, maxBuffer: 64 << 20 })).stdout;
  return new Promise((res, rej) => {
    const p = execFile(DOCKER, ['-H', `unix://${socket}`, ...args], { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) rej(Object.assign(err, { stderr }));
      else res(stdout);
    });
    p.stdin!.end(input);
  });
}

async function tarEntries(buf: Buffer): Promise<Map<string, Buffer>> {
  const ex = tar.extract();
  const out = new Map<string, Buffer>();
  const done = (async () => {
    for await (const e of ex) {
      const parts: Buffer[] = [];
      for await (const c of e) parts.push(c as Buffer);
      out.set(e.header.name, Buffer.concat(parts));
    }
  })();
  ex.end(buf);
  await done;
  return out;
}

/** Sum of the regular file sizes in a layer tar (hardlinks counted once), as docker's layer size. */
async function layerContentSize(layer: Buffer): Promise<number> {
  const ex = tar.extract();
  let n = 0;
  const done = (async () => {
    for await (const e of ex) {
      if (e.header.type === 'file') n += e.header.size ?? 0;
      for await (const _ of e) { /* skip */ }
    }
  })();
  ex.end(layer);
  await done;
  return n;
}

const load = (d: { request: TestDaemon['request'] }, body: Buffer, q = 'quiet=1') =>
  d.request('POST', `/images/load?${q}`, body, { 'Content-Type': 'application/x-tar' });

const ok = (r: { status: number; text(): string }, status = 200) => assert.equal(r.status, status, r.text());

describe('images through the API and the docker CLI', { skip: isRoot ? false : 'requires root: hakod refuses to start otherwise' }, () => {
  let d: TestDaemon;
  let busybox: string;
  before(async () => {
    busybox = await busyboxTar();
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
  });

  it('docker load shows "Loaded image" and docker images the unpacked size', { skip: noDocker }, async () => {
    const out = await docker(d.socket, ['load', '-i', busybox]);
    assert.match(out, /^Loaded image: busybox:latest$/m);
    const entries = await tarEntries(readFileSync(busybox));
    const layerName = [...entries.keys()].find((n) => n.endsWith('layer.tar'))!;
    const size = await layerContentSize(entries.get(layerName)!);
    const img = (await d.request('GET', '/images/busybox/json')).json();
    assert.equal(img.Size, size);
    const list = await docker(d.socket, ['images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}']);
    assert.match(list, new RegExp(`^busybox:latest ${(size / 1e6).toPrecision(3)}MB$`, 'm'));
    // The config's sha256 is the id, as docker computes it.
    const cfgName = [...entries.keys()].find((n) => /^[0-9a-f]{64}\.json$/.test(n))!;
    assert.equal(img.Id, `sha256:${sha256hex(entries.get(cfgName)!)}`);
    // With progress (as on a TTY): "Loading layer" lines, then the tag.
    const r = await load(d, readFileSync(busybox), 'quiet=0');
    ok(r);
    assert.match(r.text(), /"status":"Loading layer"/);
    assert.match(r.text(), /Loaded image: busybox:latest/);
  });

  it('loads the OCI layout of the same image (skopeo copy), and a gzip-compressed archive', async () => {
    const orig = (await d.request('GET', '/images/busybox/json')).json();
    const ref = orig.Id as string;
    const oci = await ociBusyboxTar();
    // skopeo re-serializes the config (key order), so the OCI image has its own id: its config's digest.
    const files = await tarEntries(readFileSync(oci));
    const index = JSON.parse(files.get('index.json')!.toString());
    const manifest = JSON.parse(files.get(`blobs/sha256/${index.manifests[0].digest.slice(7)}`)!.toString());
    ok(await d.request('DELETE', '/images/busybox:latest'));
    const r = await load(d, readFileSync(oci));
    ok(r);
    assert.match(r.text(), /Loaded image: busybox:latest/);
    const got = (await d.request('GET', '/images/busybox/json')).json();
    assert.equal(got.Id, manifest.config.digest);
    assert.deepEqual(got.RootFS, orig.RootFS, 'the gzip layer unpacks to the same diff id');
    assert.equal(got.Size, orig.Size);
    ok(await d.request('DELETE', '/images/busybox:latest'));
    ok(await load(d, gzipSync(readFileSync(busybox))));
    assert.equal((await d.request('GET', '/images/busybox/json')).json().Id, ref);
  });

  it('saves several images in one archive (images/get?names=a&names=b) and loads them back', async () => {
    const a: ArchiveImage = { layers: [await tarOf([{ name: 'a', data: 'a' }])], tags: ['multi-a:1'] };
    const b: ArchiveImage = { layers: [a.layers[0]!, await tarOf([{ name: 'b', data: 'b' }])], tags: ['multi-b:1'] };
    ok(await load(d, await dockerArchive([a, b])));
    const r = await d.request('GET', '/images/get?names=multi-a:1&names=multi-b:1');
    ok(r);
    const entries = await tarEntries(r.body);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString()) as { RepoTags: string[]; Layers: string[] }[];
    assert.deepEqual(manifest.map((m) => m.RepoTags), [['multi-a:1'], ['multi-b:1']]);
    assert.equal(manifest[1]!.Layers[0], manifest[0]!.Layers[0], 'the shared layer is written once');
    for (const n of ['multi-a:1', 'multi-b:1']) ok(await d.request('DELETE', `/images/${n}`));
    const again = await load(d, r.body);
    ok(again);
    assert.equal((await d.request('GET', '/images/multi-a:1/json')).json().Id, imageId(a));
    assert.equal((await d.request('GET', '/images/multi-b:1/json')).json().Id, imageId(b));
    for (const n of ['multi-a:1', 'multi-b:1']) ok(await d.request('DELETE', `/images/${n}`));
  });

  it('lists like docker: intermediate images only with all=1, Parent, filters', async () => {
    const base: ArchiveImage = { layers: [await tarOf([{ name: 'base', data: 'base' }])], config: { created: '2024-01-01T00:00:00Z' } };
    const child: ArchiveImage = {
      layers: [base.layers[0]!, await tarOf([{ name: 'child', data: 'c' }])], tags: ['lst-child:1'],
      config: { created: '2024-02-01T00:00:00Z', parent: imageId(base), config: { Labels: { tier: 'web', x: '1' } } },
    };
    const lone: ArchiveImage = { layers: [await tarOf([{ name: 'lone', data: 'l' }])], config: { created: '2024-03-01T00:00:00Z' } };
    const later: ArchiveImage = { layers: [await tarOf([{ name: 'later', data: 'z' }])], tags: ['lst-later:2'], config: { created: '2024-04-01T00:00:00Z' } };
    ok(await load(d, await dockerArchive([base, child, lone, later])));
    const ids = async (q: string) => ((await d.request('GET', `/images/json${q}`)).json() as { Id: string }[]).map((i) => i.Id).sort();
    const [B, C, L, Z] = [imageId(base), imageId(child), imageId(lone), imageId(later)];
    const mine = (xs: string[]) => xs.filter((x) => [B, C, L, Z].includes(x));
    assert.deepEqual(mine(await ids('')), [C, L, Z].sort(), 'the intermediate (untagged parent) is hidden');
    assert.deepEqual(mine(await ids('?all=1')), [B, C, L, Z].sort());
    const f = (o: Record<string, string[]>) => `?filters=${encodeURIComponent(JSON.stringify(o))}`;
    assert.deepEqual(mine(await ids(f({ dangling: ['true'] }))), [L], 'dangling: untagged without children');
    assert.deepEqual(mine(await ids(f({ dangling: ['false'] }))), [C, Z].sort());
    assert.deepEqual(mine(await ids(f({ label: ['tier=web'] }))), [C]);
    assert.deepEqual(mine(await ids(f({ label: ['tier'] }))), [C]);
    assert.deepEqual(await ids(f({ reference: ['lst-*'] })), [C, Z].sort());
    assert.deepEqual(await ids(f({ reference: ['lst-later:2'] })), [Z]);
    assert.deepEqual(mine(await ids(f({ before: ['lst-later:2'] }))), [C, L].sort());
    assert.deepEqual(mine(await ids(f({ since: ['lst-child:1'] }))), [L, Z].sort());
    const inspect = (await d.request('GET', '/images/lst-child:1/json')).json();
    assert.equal(inspect.Parent, B);
    const row = ((await d.request('GET', '/images/json')).json() as { Id: string; ParentId: string }[]).find((i) => i.Id === C)!;
    assert.equal(row.ParentId, B);
    if (!noDocker) {
      const q = (await docker(d.socket, ['images', '-q', '--no-trunc', '--filter', 'reference=lst-*'])).trim().split('\n').sort();
      assert.deepEqual(q, [C, Z].sort());
      const dang = await docker(d.socket, ['images', '--filter', 'dangling=true', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']);
      assert.ok(dang.includes(`${L.slice(7, 19)} <none>:<none>`), dang);
      assert.ok(!dang.includes(B.slice(7, 19)), dang);
      const dig = await docker(d.socket, ['images', '--digests', 'lst-later']);
      assert.match(dig.split('\n')[0]!, /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$/);
      assert.match(dig, /lst-later\s+2\s+<none>/);
    }
    // rmi without noprune: the untagged parent goes with its last child, as with dockerd
    const del = await d.request('DELETE', '/images/lst-child:1');
    ok(del);
    assert.ok(del.json<Record<string, string>[]>().some((r) => r.Deleted === B), del.text());
    for (const n of ['lst-later:2', L]) ok(await d.request('DELETE', `/images/${n}`));
  });

  it('rmi of an image a created container uses: 409 with docker\'s message; -f untags', async () => {
    const img: ArchiveImage = { layers: [await tarOf([{ name: 'bin/x', data: 'x' }])], tags: ['inuse:1'] };
    ok(await load(d, await dockerArchive([img])));
    const c = await d.request('POST', '/containers/create?name=inuse-c', { Image: 'inuse:1', Cmd: ['x'] });
    ok(c, 201);
    const cid = c.json().Id as string;
    try {
      const r = await d.request('DELETE', '/images/inuse:1');
      assert.equal(r.status, 409);
      assert.equal(r.json().message,
        `conflict: unable to remove repository reference "inuse:1" (must force) - container ${cid.slice(0, 12)} is using its referenced image ${imageId(img).slice(7, 19)}`);
      const byId = await d.request('DELETE', `/images/${imageId(img).slice(7, 19)}`);
      assert.equal(byId.status, 409);
      assert.equal(byId.json().message,
        `conflict: unable to delete ${imageId(img).slice(7, 19)} (must be forced) - image is being used by stopped container ${cid.slice(0, 12)}`);
      if (!noDocker) {
        const e = await docker(d.socket, ['rmi', 'inuse:1']).then(() => undefined, (x: { stderr: string }) => x);
        assert.match(e!.stderr, /Error response from daemon: conflict: unable to remove repository reference "inuse:1" \(must force\)/);
      }
      const f = await d.request('DELETE', '/images/inuse:1?force=1');
      ok(f);
      assert.deepEqual(f.json()[0], { Untagged: 'inuse:1' });
      // hako keeps the (now untagged) image while the container needs its layers.
      ok(await d.request('GET', `/images/${imageId(img)}/json`));
    } finally {
      ok(await d.request('DELETE', `/containers/${cid}?force=1`), 204);
    }
    ok(await d.request('DELETE', `/images/${imageId(img)}`));
  });

  it('a layer shared by two images survives the removal of one; prune and prune -a', async () => {
    const shared = await tarOf([{ name: 'shared', data: randomBytes(1000) }]);
    const one: ArchiveImage = { layers: [shared], tags: ['share-one:1'] };
    const two: ArchiveImage = { layers: [shared, await tarOf([{ name: 'two', data: 'two' }])], tags: ['share-two:1'] };
    ok(await load(d, await dockerArchive([one, two])));
    const chain = `sha256:${sha256hex(shared)}`; // a bottom layer's chain id is its diff id
    const dir = join(d.dataRoot, 'image', 'layers', chain.slice(7));
    assert.ok(existsSync(join(dir, 'diff', 'shared')));
    ok(await d.request('DELETE', '/images/share-one:1'));
    assert.ok(existsSync(join(dir, 'diff', 'shared')), 'the shared layer went with the first image');
    const del = (await d.request('DELETE', '/images/share-two:1')).json() as Record<string, string>[];
    assert.deepEqual(del[0], { Untagged: 'share-two:1' });
    assert.ok(del.some((x) => x.Deleted === imageId(two)));
    assert.ok(!existsSync(dir), 'the layer outlived its last image');

    const dangling: ArchiveImage = { layers: [await tarOf([{ name: 'dang', data: 'd' }])] };
    const tagged: ArchiveImage = { layers: [await tarOf([{ name: 'tagged', data: 't' }])], tags: ['prune-me:1'] };
    ok(await load(d, await dockerArchive([dangling, tagged])));
    const p = (await d.request('POST', '/images/prune')).json();
    assert.ok(p.ImagesDeleted.some((x: Record<string, string>) => x.Deleted === imageId(dangling)));
    assert.ok(!p.ImagesDeleted.some((x: Record<string, string>) => x.Deleted === imageId(tagged)));
    assert.ok(p.SpaceReclaimed > 0);
    ok(await d.request('GET', '/images/prune-me:1/json'));
    const all = (await d.request('POST', `/images/prune?filters=${encodeURIComponent('{"dangling":["false"]}')}`)).json();
    assert.ok(all.ImagesDeleted.some((x: Record<string, string>) => x.Untagged === 'prune-me:1'));
    assert.equal((await d.request('GET', '/images/prune-me:1/json')).status, 404);
    // busybox went too (nothing used it); later tests load it again.
  });

  it('events for load, tag, untag, delete and import via /events?since&until', async () => {
    const t0 = Math.floor(Date.now() / 1000) - 1;
    const img: ArchiveImage = { layers: [await tarOf([{ name: 'ev', data: randomBytes(64) }])], tags: ['ev:1'] };
    ok(await load(d, await dockerArchive([img])));
    ok(await d.request('POST', '/images/ev:1/tag?repo=ev&tag=2'), 201);
    ok(await d.request('DELETE', '/images/ev:2'));
    ok(await d.request('DELETE', '/images/ev:1'));
    const imp = await d.request('POST', '/images/create?fromSrc=-&repo=ev-imp&tag=1', await tarOf([{ name: 'f', data: 'f' }]));
    ok(imp);
    const impId = JSON.parse(imp.text().trim().split('\n').pop()!).status as string;
    ok(await d.request('DELETE', '/images/ev-imp:1'));
    const t1 = Math.floor(Date.now() / 1000) + 1;
    const r = await d.request('GET', `/events?since=${t0}&until=${t1}&filters=${encodeURIComponent('{"type":["image"]}')}`);
    ok(r);
    const evs = r.text().trim().split('\n').map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; time: number });
    const seen = evs.filter((e) => e.Actor.ID === imageId(img) || e.Actor.ID === impId).map((e) => `${e.Action} ${e.Actor.Attributes.name}`);
    assert.deepEqual(seen, [
      'load ev:1', 'tag ev:2', 'untag ev:2', 'untag ev:1', `delete ${imageId(img)}`,
      'import ev-imp:1', 'untag ev-imp:1', `delete ${impId}`,
    ]);
    for (const e of evs) {
      assert.equal(e.Type, 'image');
      assert.ok(e.time >= t0 && e.time <= t1);
    }
  });

  it('docker import with --change makes an image that runs', { skip: noDocker }, async () => {
    ok(await load(d, readFileSync(busybox)));
    const entries = await tarEntries(readFileSync(busybox));
    const rootfs = entries.get([...entries.keys()].find((n) => n.endsWith('layer.tar'))!)!;
    const id = (await docker(d.socket, ['import', '-', 'imp:1', '--change', 'CMD ["sh"]', '--change', 'ENV A=1', '-m', 'from a rootfs'], rootfs)).trim();
    const img = (await d.request('GET', '/images/imp:1/json')).json();
    assert.equal(img.Id, id);
    assert.deepEqual(img.Config.Cmd, ['sh']);
    assert.deepEqual(img.Config.Env, ['A=1']);
    assert.equal(img.Comment, 'from a rootfs');
    const out = await docker(d.socket, ['run', '--rm', '--network', 'none', 'imp:1', 'sh', '-c', 'echo $A']);
    assert.equal(out, '1\n');
    ok(await d.request('DELETE', '/images/imp:1'));
  });

  it('history and system df in docker\'s shape', async () => {
    if ((await d.request('GET', '/images/busybox/json')).status !== 200) ok(await load(d, readFileSync(busybox)));
    const h = (await d.request('GET', '/images/busybox/history')).json() as Record<string, unknown>[];
    assert.ok(h.length >= 1);
    assert.deepEqual(Object.keys(h[0]!).sort(), ['Comment', 'Created', 'CreatedBy', 'Id', 'Size', 'Tags']);
    assert.deepEqual(h[0]!.Tags, ['busybox:latest']);
    const df = (await d.request('GET', '/system/df')).json();
    assert.deepEqual(Object.keys(df).sort(), ['BuildCache', 'Containers', 'Images', 'LayersSize', 'Volumes']);
    const row = (df.Images as Record<string, unknown>[]).find((i) => (i.RepoTags as string[]).includes('busybox:latest'))!;
    for (const k of ['Containers', 'Created', 'Id', 'Labels', 'ParentId', 'RepoDigests', 'RepoTags', 'SharedSize', 'Size']) assert.ok(k in row, k);
  });
});

describe('image ids agree with a real dockerd', { skip: !isRoot ? 'requires root' : dockerdSkip() }, () => {
  let d: TestDaemon;
  let dd: Awaited<ReturnType<typeof startDockerd>>;
  before(async () => {
    d = await startDaemon();
    dd = await startDockerd();
  });
  after(async () => {
    await dd?.stop();
    await d?.stop();
  });

  it('hako save -> dockerd load and dockerd save -> hako load keep the id; sizes, history, df match', async () => {
    ok(await load(d, readFileSync(await busyboxTar())));
    const mine = (await d.request('GET', '/images/busybox/json')).json();
    const saved = await d.request('GET', '/images/busybox:latest/get');
    ok(saved);
    const r = await dd.request('POST', '/images/load?quiet=1', saved.body, { 'Content-Type': 'application/x-tar' });
    ok(r);
    assert.match(r.text(), /Loaded image: busybox:latest/);
    const theirs = (await dd.request('GET', '/images/busybox/json')).json();
    assert.equal(theirs.Id, mine.Id);
    assert.equal(mine.Size, theirs.Size, 'image size as dockerd counts it');
    assert.deepEqual(mine.RootFS, theirs.RootFS);
    // and back: dockerd's own save loads into a fresh hako store with the same id
    ok(await dd.request('POST', '/images/busybox:latest/tag?repo=other&tag=2'), 201);
    const back = await dd.request('GET', '/images/get?names=busybox:latest&names=other:2');
    ok(back);
    ok(await d.request('DELETE', '/images/busybox:latest'));
    const lr = await load(d, back.body);
    ok(lr);
    assert.equal((await d.request('GET', '/images/busybox/json')).json().Id, mine.Id);
    assert.equal((await d.request('GET', '/images/other:2/json')).json().Id, mine.Id);
    const keys = (o: Record<string, unknown>) => Object.keys(o).sort();
    const hh = (await d.request('GET', '/images/busybox/history')).json();
    const th = (await dd.request('GET', '/images/busybox/history')).json();
    assert.deepEqual(hh.map(keys), th.map(keys));
    assert.deepEqual(hh.map((x: { Size: number }) => x.Size), th.map((x: { Size: number }) => x.Size));
    const df = (await d.request('GET', '/system/df')).json();
    const tdf = (await dd.request('GET', '/system/df')).json();
    assert.deepEqual(keys(df).filter((k) => k !== 'BuilderSize'), keys(tdf).filter((k) => k !== 'BuilderSize'));
    assert.deepEqual(keys(df.Images[0]).filter((k) => k !== 'VirtualSize'), keys(tdf.Images[0]).filter((k) => k !== 'VirtualSize'));
    const list = (await d.request('GET', '/images/json')).json()[0];
    const tlist = (await dd.request('GET', '/images/json')).json()[0];
    assert.deepEqual(keys(list).filter((k) => k !== 'VirtualSize'), keys(tlist).filter((k) => k !== 'VirtualSize'));
  });
});

describe('a daemon killed during a large load', { skip: isRoot ? false : 'requires root' }, () => {
  /** A docker-archive with one ~50 MB layer of random data in 1 MB files. */
  async function bigArchive(): Promise<{ file: string; id: string; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'hako-big-'));
    const layer = await tarOf(Array.from({ length: 50 }, (_, i) => ({ name: `r/${i}`, data: randomBytes(1 << 20) })));
    const img: ArchiveImage = { layers: [layer], tags: ['big:1'] };
    const file = join(dir, 'big.tar');
    writeFileSync(file, await dockerArchive([img]));
    return { file, id: imageId(img), dir };
  }

  /** Streams `file` to /images/load slowly enough to be caught; resolves when the request ends either way. */
  function slowLoad(socket: string, file: string, chunkDelayMs: number): Promise<void> {
    return new Promise((res) => {
      const req = httpRequest({ socketPath: socket, method: 'POST', path: '/images/load?quiet=1', headers: { 'Content-Type': 'application/x-tar', 'Content-Length': statSync(file).size } });
      req.on('error', () => res());
      req.on('response', (r) => { r.resume(); r.on('end', () => res()); r.on('error', () => res()); });
      const src = createReadStream(file, { highWaterMark: 1 << 20 });
      const paced = Readable.from((async function* () {
        for await (const c of src) {
          yield c;
          if (chunkDelayMs) await new Promise((r) => setTimeout(r, chunkDelayMs));
        }
      })());
      paced.on('error', () => res());
      paced.pipe(req);
    });
  }

  async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  for (const phase of ['ingest', 'unpack'] as const) {
    it(`kill -9 while ${phase === 'ingest' ? 'the archive streams in' : 'its layer unpacks'}: restart removes the halves`, async () => {
      const big = await bigArchive();
      const dataRoot = mkdtempSync(join(tmpdir(), 'hako-crash-'));
      let d: TestDaemon | undefined;
      try {
        d = await startDaemon({ dataRoot });
        const instance = d.instance;
        const before = imageTree(dataRoot, 2);
        const ingest = join(dataRoot, 'image', 'ingest');
        const layers = join(dataRoot, 'image', 'layers');
        const loading = slowLoad(d.socket, big.file, phase === 'ingest' ? 20 : 0);
        if (phase === 'ingest') {
          await until('a half-ingested blob', () => readdirSync(ingest).some((n) => (statSync(join(ingest, n), { throwIfNoEntry: false })?.size ?? 0) > 8 << 20));
        } else {
          await until('a half-unpacked snapshot', () => readdirSync(layers).some((n) => n.startsWith('tmp-')
            && existsSync(join(layers, n, 'diff', 'r')) && readdirSync(join(layers, n, 'diff', 'r')).length > 2));
        }
        d.proc.kill('SIGKILL');
        await loading;
        await d.stop();
        const left = imageTree(dataRoot, 2);
        assert.ok(left.some((p) => phase === 'ingest' ? p.startsWith('ingest/') : p.startsWith('layers/tmp-')),
          'the kill left something to clean (the test caught the load in flight)');
        d = await startDaemon({ dataRoot, args: ['--instance', instance] });
        assert.deepEqual(readdirSync(ingest), [], 'half-ingested blobs removed');
        assert.deepEqual(readdirSync(layers).filter((n) => n.startsWith('tmp-')), [], 'half-unpacked snapshots removed');
        const list = (await d.request('GET', '/images/json?all=1')).json() as { Id: string }[];
        assert.ok(!list.some((i) => i.Id === big.id));
        assert.equal((await d.request('GET', '/images/big:1/json')).status, 404);
        assert.deepEqual(imageTree(dataRoot, 2), before, 'the image dirs are as before the load (blobs included)');
        // the same load now completes
        const r = await load(d, readFileSync(big.file));
        ok(r);
        ok(await d.request('DELETE', '/images/big:1'));
      } finally {
        await d?.stop();
        rmSync(dataRoot, { recursive: true, force: true });
        rmSync(big.dir, { recursive: true, force: true });
      }
    });
  }
});
