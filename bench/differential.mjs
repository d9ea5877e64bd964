#!/usr/bin/env node
// Differential check: the same requests to dockerd and hakod, their JSON answers compared
// by shape (key sets and value types, recursively), never by value.
//
//   node bench/differential.mjs [--install] [--json FILE] [--dump DIR] [--no-probe]
//
// Starts a private dockerd (own --data-root, --exec-root, socket and pidfile, no bridge,
// no iptables) and a private hakod (own roots, instance "diff"), loads
// build/images/busybox.tar into both (built with scripts/build-busybox-image.mjs when
// missing), creates the same objects in both where the engine supports them (container
// d1 created, d2 started, network diffnet, volume diffvol), then compares the answers of
// GET /_ping /version /info /images/json /images/{id}/json /images/{id}/history
// /containers/json?all=1 /containers/{id}/json /networks /networks/{id} /volumes
// /volumes/{name} /system/df /events?since=..&until=.. and lists, per endpoint, the keys
// hako lacks, the keys only hako has and the type differences. It also sends one request
// to every endpoint of the Docker Engine API (placeholder ids) to hakod only and
// classifies the answer (route probe). Prints a markdown report and writes it to
// bench/results/differential.md (the findings as JSON with --json FILE, every raw answer
// of both daemons under DIR with --dump DIR).
//
// Needs root and `npm run build` (it runs ./bin/hakod). Both daemons are stopped by
// their pid at the end and their temporary roots removed, whatever happened.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ROOT, ensureDocker, machine, parseFlags, sleep } from './_lib.mjs';

const HAKO_INSTANCE = 'diff';

// ---------------------------------------------------------------------------------------
// HTTP over a unix socket

/** One request; resolves {status, headers, body(string)}; rejects on socket errors or timeout. */
function call(socketPath, method, path, body, { timeoutMs = 30_000, contentType } = {}) {
  return new Promise((resolve, reject) => {
    const headers = {};
    let payload;
    if (body !== undefined) {
      payload = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const req = request({ socketPath, method, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${path}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const errMessage = (r) => {
  try {
    return JSON.parse(r.body).message ?? r.body.trim();
  } catch {
    return r.body.trim().slice(0, 200);
  }
};

// ---------------------------------------------------------------------------------------
// Daemons

const DOCKER_CGROUP_PARENT = 'hako-diff-docker';

/** Spawns one daemon in its own process group and waits for its /_ping; stops it (by pid) on failure. */
async function startProc(name, bin, args, dir, socket, cleanHost) {
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: true, env: { ...process.env, HAKO_TEARDOWN_ON_EXIT: '1' } });
  closeSync(fd);
  const d = { name, child, pid: child.pid, socket, dir, logFile, leftovers: [] };
  d.stop = async () => {
    await stopChild(child, dir);
    d.leftovers = cleanHost();
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = readFileSync(logFile, 'utf8').slice(-4000);
      await d.stop();
      throw new Error(`${name} exited at start (${child.exitCode ?? child.signalCode}):\n${log}`);
    }
    const ok = await call(socket, 'GET', '/_ping', undefined, { timeoutMs: 1000 }).then((r) => r.status === 200, () => false);
    if (ok) return d;
    if (Date.now() > deadline) {
      await d.stop();
      throw new Error(`${name} did not answer /_ping within 30 s`);
    }
    await sleep(50);
  }
}

/** hakod on a temporary root and socket, instance "diff". */
async function startHakod() {
  const main = join(ROOT, 'dist', 'src', 'daemon', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  const other = otherHakodWithInstance(HAKO_INSTANCE);
  if (other) throw new Error(`a hakod with --instance ${HAKO_INSTANCE} is already running (pid ${other}); not starting a second one`);
  const dir = mkdtempSync(join(tmpdir(), 'hako-diff-'));
  const socket = join(dir, 'hakod.sock');
  const configFile = join(dir, 'daemon.json');
  writeFileSync(configFile, '{}\n');
  const args = [
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'run'), '-H', `unix://${socket}`,
    '--pidfile', join(dir, 'hakod.pid'), '--instance', HAKO_INSTANCE, '--config-file', configFile,
  ];
  return startProc('hakod', join(ROOT, 'bin', 'hakod'), args, dir, socket, () => cleanInstance(HAKO_INSTANCE));
}

/** dockerd (and its own managed containerd) on a temporary root: no bridge, no iptables, no ip_forward, own cgroup parent. */
async function startDockerd() {
  const dir = mkdtempSync(join(tmpdir(), 'docker-diff-'));
  const socket = join(dir, 'docker.sock');
  const args = [
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'run'), '-H', `unix://${socket}`,
    '--pidfile', join(dir, 'docker.pid'), '--bridge=none', '--iptables=false', '--ip6tables=false',
    '--ip-masq=false', '--ip-forward=false', '--storage-driver=overlay2', `--cgroup-parent=${DOCKER_CGROUP_PARENT}`,
  ];
  return startProc('dockerd', 'dockerd', args, dir, socket, () => removeCgroups(DOCKER_CGROUP_PARENT));
}

function otherHakodWithInstance(instance) {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('hakod') || a.endsWith('daemon/main.js')) && argv.includes('--instance') && argv[argv.indexOf('--instance') + 1] === instance) return pid;
    } catch {
      // exited
    }
  }
  return undefined;
}

/** rmdir of /sys/fs/cgroup/<controller>/<name> (and below, deepest first), for each controller. Returns what was removed. */
function removeCgroups(name) {
  const removed = [];
  const base = '/sys/fs/cgroup';
  const dirs = [];
  const walk = (d) => {
    dirs.push(d);
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
  };
  for (const c of existsSync(base) ? readdirSync(base) : []) {
    for (const d of [join(base, c, name), join(base, name)]) {
      try {
        if (existsSync(d) && !dirs.includes(d)) walk(d);
      } catch {
        // not a directory we may read
      }
    }
  }
  for (const d of dirs.sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(d);
      removed.push(`cgroup ${d}`);
    } catch {
      // busy or gone
    }
  }
  return removed;
}

/**
 * What a stopped hakod of this instance left on the host (links, nft tables, netns,
 * cgroups named from the instance): removed, and returned so the report can say so.
 */
function cleanInstance(instance) {
  const left = [];
  const quiet = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return '';
    }
  };
  const ours = (n) => n === instance || n.startsWith(instance) && /^[0-9v-]/.test(n.slice(instance.length));
  for (const line of quiet('ip', ['-o', 'link', 'show']).split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name && ours(name)) {
      quiet('ip', ['link', 'del', name]);
      left.push(`link ${name}`);
    }
  }
  for (const line of quiet('nft', ['list', 'tables']).split('\n')) {
    const m = /^table (\S+) (\S+)$/.exec(line.trim());
    if (m && ours(m[2])) {
      quiet('nft', ['delete', 'table', m[1], m[2]]);
      left.push(`nft table ${m[1]} ${m[2]}`);
    }
  }
  for (const line of quiet('ip', ['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0];
    if (name && ours(name)) {
      quiet('ip', ['netns', 'del', name]);
      left.push(`netns ${name}`);
    }
  }
  left.push(...removeCgroups(instance));
  return left;
}

/** SIGTERM to our own child (by its pid), SIGKILL after 20 s; unmounts what is left under dir, removes dir. */
async function stopChild(child, dir) {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const deadline = Date.now() + 20_000;
    while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) await sleep(50);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      while (child.exitCode === null && child.signalCode === null) await sleep(50);
    }
  }
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n')
    .map((l) => l.split(' ')[1]).filter((m) => m && (m === dir || m.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

function busyboxTar() {
  const out = join(ROOT, 'build', 'images', 'busybox.tar');
  if (!existsSync(out)) {
    console.error('differential: building build/images/busybox.tar');
    mkdirSync(join(ROOT, 'build', 'images'), { recursive: true });
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-busybox-image.mjs'), '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Objects: the same in both engines, where the engine supports them

/** Creates the objects in one engine; returns their ids and what failed. */
async function setUp(d, tarball) {
  const o = { notes: [] };
  const note = (what, r) => o.notes.push(`${what}: ${r.status} ${errMessage(r)}`);
  const load = await call(d.socket, 'POST', '/images/load?quiet=1', readFileSync(tarball), { contentType: 'application/x-tar', timeoutMs: 120_000 });
  if (load.status !== 200 || /errorDetail/.test(load.body)) note('POST /images/load', load);
  const imgs = await call(d.socket, 'GET', '/images/json');
  if (imgs.status === 200) {
    const img = JSON.parse(imgs.body).find((i) => (i.RepoTags ?? []).includes('busybox:latest'));
    o.imageId = img?.Id;
  }
  const net = await call(d.socket, 'POST', '/networks/create', { Name: 'diffnet', Labels: { 'hako.diff': '1' } });
  if (net.status === 201) o.networkId = JSON.parse(net.body).Id;
  else note('POST /networks/create', net);
  const vol = await call(d.socket, 'POST', '/volumes/create', { Name: 'diffvol', Labels: { 'hako.diff': '1' } });
  if (vol.status === 201) o.volumeName = JSON.parse(vol.body).Name;
  else note('POST /volumes/create', vol);
  // docker create --name d1 busybox sleep 100; d2 the same, started.
  const spec = { Image: 'busybox', Cmd: ['sleep', '100'], Labels: { 'hako.diff': '1' } };
  const c1 = await call(d.socket, 'POST', '/containers/create?name=d1', spec);
  if (c1.status === 201) o.created = JSON.parse(c1.body).Id;
  else note('POST /containers/create (d1)', c1);
  const c2 = await call(d.socket, 'POST', '/containers/create?name=d2', spec);
  if (c2.status === 201) {
    o.started = JSON.parse(c2.body).Id;
    const s = await call(d.socket, 'POST', `/containers/${o.started}/start`);
    if (s.status !== 204) note('POST /containers/{id}/start (d2)', s);
  } else note('POST /containers/create (d2)', c2);
  return o;
}

/** Removes what setUp made (best effort; the daemons' roots are deleted afterwards anyway). */
async function tearDown(d, o) {
  for (const id of [o.created, o.started]) {
    if (id) await call(d.socket, 'DELETE', `/containers/${id}?force=1&v=1`, undefined, { timeoutMs: 30_000 }).catch(() => {});
  }
  if (o.networkId) await call(d.socket, 'DELETE', `/networks/${o.networkId}`).catch(() => {});
  if (o.volumeName) await call(d.socket, 'DELETE', `/volumes/${o.volumeName}`).catch(() => {});
}

// ---------------------------------------------------------------------------------------
// Shapes

/** Object-valued keys whose own keys are data (names, ids, ports), compared as one `*` entry. */
const MAP_KEYS = new Set([
  'Labels', 'Options', 'DriverOpts', 'Annotations', 'Runtimes', 'IndexConfigs', 'ExposedPorts', 'Volumes',
  'Networks', 'Ports', 'Containers', 'Attributes', 'Sysctls', 'Tmpfs', 'StorageOpt', 'Status', 'Data',
]);
const MAP_PATHS = [/(^|\.)LogConfig\.Config$/];

const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Flattens a JSON value into path -> set of types. Arrays add `[]`, free-keyed maps add `*`. */
function flatten(v, path = '', out = new Map()) {
  const add = (p, t) => {
    if (!out.has(p)) out.set(p, new Set());
    out.get(p).add(t);
  };
  const t = typeOf(v);
  add(path || '(root)', t);
  if (t === 'array') {
    for (const e of v) flatten(e, `${path}[]`, out);
  } else if (t === 'object') {
    const last = path.split('.').pop()?.replace(/\[\]$/, '') ?? '';
    const isMap = path && (MAP_KEYS.has(last) || MAP_PATHS.some((re) => re.test(path)));
    for (const [k, val] of Object.entries(v)) flatten(val, path ? `${path}.${isMap ? '*' : k}` : k, out);
  }
  return out;
}

const parentOf = (p) => {
  const i = Math.max(p.lastIndexOf('.'), p.endsWith('[]') ? p.length - 2 : -1);
  return i > 0 ? p.slice(0, i) : '(root)';
};

/** Compares two flattened shapes: missing in hako, extra in hako, type differences. */
function compareShapes(docker, hako) {
  const missing = [];
  const extra = [];
  const types = [];
  const container = (s) => s && (s.has('object') || s.has('array'));
  for (const [p, dt] of docker) {
    const ht = hako.get(p);
    if (!ht) {
      const parent = parentOf(p);
      // Report only the top-most missing path, and nothing under a parent hako has as a scalar/null.
      if (parent === '(root)' || (hako.has(parent) && container(hako.get(parent)))) missing.push(p);
      continue;
    }
    const a = [...dt].sort().join('|');
    const b = [...ht].sort().join('|');
    if (a !== b) {
      const nonNull = (s) => [...s].filter((x) => x !== 'null').sort().join('|');
      types.push({ path: p, docker: a, hako: b, nullOnly: nonNull(dt) === nonNull(ht) || !nonNull(dt) || !nonNull(ht) });
    }
  }
  for (const p of hako.keys()) {
    if (docker.has(p)) continue;
    const parent = parentOf(p);
    if (parent === '(root)' || (docker.has(parent) && container(docker.get(parent)))) extra.push(p);
  }
  return { missing, extra, types };
}

/**
 * Known reasons for a difference that are not hako's doing: the API version dockerd speaks
 * (Debian's docker.io 20.10 speaks 1.41, hako 1.45) or this set-up (dockerd runs with
 * --bridge=none). [endpoint name pattern, path pattern, note]; shown next to the path.
 */
const KNOWN = [
  [/\/info$/, /^KernelMemory(TCP)?$/, 'deprecated in API 1.41, omitted from 1.42 when the host lacks it'],
  [/\/info$/, /^CDISpecDirs$/, 'added in API 1.44'],
  [/\/info$/, /^SecurityOptions\[\]$/, 'array elements, not a key: dockerd lists name=seccomp,profile=default; hako applies no seccomp profile yet (issue 6) and claims none'],
  [/\/info$/, /^DefaultAddressPools$/, 'dockerd omits it when no pool is configured'],
  [/\/images\/\{id\}\/json$/, /^ContainerConfig(\.|$)/, 'removed in API 1.45'],
  [/\/images\/\{id\}\/json$/, /^Config\.(Hostname|Domainname|User|Attach\w+|Tty|OpenStdin|StdinOnce|Image|Volumes|WorkingDir|Entrypoint|OnBuild|Labels)$/,
    'dockerd up to API 1.49 returns these (empty) container fields; deprecated in 1.46, omitted from 1.50 (and empty OCI fields from 1.52)'],
  [/containers/, /HostConfig\.KernelMemoryTCP$/, 'omitted when unset from API 1.42'],
  [/./, /\.DNSNames$/, 'added in API 1.44'],
  [/system\/df/, /^BuilderSize$/, 'removed in API 1.42'],
  [/containers\/\{id\}\/json \(running\)/, /^Config\.NetworkDisabled$/, 'this dockerd runs with --bridge=none, so its started container has no network'],
  [/volumes|system\/df/, /^Volumes\[\]$/, 'hako has no volumes yet'],
  [/networks$/, /^\[\]\.Options\.\*$/, 'the options of hako\'s default bridge network; this dockerd runs with --bridge=none, so it has none'],
];

function known(endpoint, path) {
  return KNOWN.find(([e, p]) => e.test(endpoint) && p.test(path))?.[2];
}

const IGNORED_HEADERS = new Set(['date', 'content-length', 'connection', 'transfer-encoding', 'keep-alive']);

function parseBody(r, ndjson) {
  if (ndjson) return r.body.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  try {
    return JSON.parse(r.body);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Route probe: every endpoint of the API (v1.45 swagger, grouped as it groups them), once, to hakod

const X = 'diff-no-such-object';
const ENDPOINTS = [
  ['Container', 'GET', '/containers/json'], ['Container', 'POST', '/containers/create'],
  ['Container', 'GET', `/containers/{id}/json`], ['Container', 'GET', '/containers/{id}/top'],
  ['Container', 'GET', '/containers/{id}/logs?stdout=1'], ['Container', 'GET', '/containers/{id}/changes'],
  ['Container', 'GET', '/containers/{id}/export'], ['Container', 'GET', '/containers/{id}/stats?stream=0'],
  ['Container', 'POST', '/containers/{id}/resize'], ['Container', 'POST', '/containers/{id}/start'],
  ['Container', 'POST', '/containers/{id}/stop'], ['Container', 'POST', '/containers/{id}/restart'],
  ['Container', 'POST', '/containers/{id}/kill'], ['Container', 'POST', '/containers/{id}/update'],
  ['Container', 'POST', '/containers/{id}/rename?name=x'], ['Container', 'POST', '/containers/{id}/pause'],
  ['Container', 'POST', '/containers/{id}/unpause'], ['Container', 'POST', '/containers/{id}/attach'],
  ['Container', 'GET', '/containers/{id}/attach/ws'], ['Container', 'POST', '/containers/{id}/wait'],
  ['Container', 'DELETE', '/containers/{id}'], ['Container', 'HEAD', '/containers/{id}/archive?path=/'],
  ['Container', 'GET', '/containers/{id}/archive?path=/'], ['Container', 'PUT', '/containers/{id}/archive?path=/'],
  ['Container', 'POST', '/containers/prune'],
  ['Image', 'GET', '/images/json'], ['Image', 'POST', '/build'], ['Image', 'POST', '/build/prune'],
  ['Image', 'POST', '/images/create?fromImage=127.0.0.1:9/diff-no-such-image'], ['Image', 'GET', '/images/{name}/json'],
  ['Image', 'GET', '/images/{name}/history'], ['Image', 'POST', '/images/{name}/push'],
  ['Image', 'POST', '/images/{name}/tag?repo=x'], ['Image', 'DELETE', '/images/{name}'],
  ['Image', 'GET', '/images/search?term=busybox'], ['Image', 'POST', '/images/prune'], ['Image', 'POST', '/commit?container={id}'],
  ['Image', 'GET', '/images/{name}/get'], ['Image', 'GET', '/images/get?names={name}'], ['Image', 'POST', '/images/load'],
  ['Network', 'GET', '/networks'], ['Network', 'GET', '/networks/{id}'], ['Network', 'DELETE', '/networks/{id}'],
  ['Network', 'POST', '/networks/create'], ['Network', 'POST', '/networks/{id}/connect'],
  ['Network', 'POST', '/networks/{id}/disconnect'], ['Network', 'POST', '/networks/prune'],
  ['Volume', 'GET', '/volumes'], ['Volume', 'POST', '/volumes/create'], ['Volume', 'GET', '/volumes/{name}'],
  ['Volume', 'PUT', '/volumes/{name}'], ['Volume', 'DELETE', '/volumes/{name}'], ['Volume', 'POST', '/volumes/prune'],
  ['Exec', 'POST', '/containers/{id}/exec'], ['Exec', 'POST', '/exec/{id}/start'], ['Exec', 'POST', '/exec/{id}/resize'],
  ['Exec', 'GET', '/exec/{id}/json'],
  ['Swarm', 'GET', '/swarm'], ['Swarm', 'POST', '/swarm/init'], ['Swarm', 'POST', '/swarm/join'], ['Swarm', 'POST', '/swarm/leave'],
  ['Swarm', 'POST', '/swarm/update'], ['Swarm', 'GET', '/swarm/unlockkey'], ['Swarm', 'POST', '/swarm/unlock'],
  ['Node', 'GET', '/nodes'], ['Node', 'GET', '/nodes/{id}'], ['Node', 'DELETE', '/nodes/{id}'], ['Node', 'POST', '/nodes/{id}/update'],
  ['Service', 'GET', '/services'], ['Service', 'POST', '/services/create'], ['Service', 'GET', '/services/{id}'],
  ['Service', 'DELETE', '/services/{id}'], ['Service', 'POST', '/services/{id}/update'], ['Service', 'GET', '/services/{id}/logs'],
  ['Task', 'GET', '/tasks'], ['Task', 'GET', '/tasks/{id}'], ['Task', 'GET', '/tasks/{id}/logs'],
  ['Secret', 'GET', '/secrets'], ['Secret', 'POST', '/secrets/create'], ['Secret', 'GET', '/secrets/{id}'],
  ['Secret', 'DELETE', '/secrets/{id}'], ['Secret', 'POST', '/secrets/{id}/update'],
  ['Config', 'GET', '/configs'], ['Config', 'POST', '/configs/create'], ['Config', 'GET', '/configs/{id}'],
  ['Config', 'DELETE', '/configs/{id}'], ['Config', 'POST', '/configs/{id}/update'],
  ['Plugin', 'GET', '/plugins'], ['Plugin', 'GET', '/plugins/privileges?remote=x'], ['Plugin', 'POST', '/plugins/pull?remote=x'],
  ['Plugin', 'GET', '/plugins/{name}/json'], ['Plugin', 'DELETE', '/plugins/{name}'], ['Plugin', 'POST', '/plugins/{name}/enable'],
  ['Plugin', 'POST', '/plugins/{name}/disable'], ['Plugin', 'POST', '/plugins/{name}/upgrade?remote=x'],
  ['Plugin', 'POST', '/plugins/create?name=x'], ['Plugin', 'POST', '/plugins/{name}/push'], ['Plugin', 'POST', '/plugins/{name}/set'],
  ['System', 'POST', '/auth'], ['System', 'GET', '/info'], ['System', 'GET', '/version'], ['System', 'GET', '/_ping'],
  ['System', 'HEAD', '/_ping'], ['System', 'GET', '/events?since=0&until=1'], ['System', 'GET', '/system/df'],
  ['Distribution', 'GET', '/distribution/{name}/json'], ['Session', 'POST', '/session'],
];

function classify(r) {
  const m = errMessage(r);
  if (r.status === 404 && /page not found/i.test(m)) return { kind: 'no route', detail: '404 page not found' };
  if (r.status === 501) return { kind: 'not implemented', detail: `501 ${m}` };
  if (r.status === 503) return { kind: 'swarm inactive', detail: `503 ${m}` };
  if (r.status >= 500) return { kind: 'error', detail: `${r.status} ${m}` };
  return { kind: 'routed', detail: `${r.status}${r.status >= 400 ? ' ' + m : ''}` };
}

async function probeRoutes(d) {
  const rows = [];
  for (const [group, method, tmpl] of ENDPOINTS) {
    const path = tmpl.replaceAll('{id}', X).replaceAll('{name}', X);
    const bodyless = method === 'GET' || method === 'HEAD' || method === 'DELETE';
    // Bodies that cannot create anything: an empty object (create/prune answer 400 or act on nothing).
    let body = bodyless ? undefined : '{}';
    // Never towards Docker Hub: the login goes to a closed port on loopback.
    if (path === '/auth') body = JSON.stringify({ serveraddress: '127.0.0.1:9', username: 'x', password: 'x' });
    if (path === '/images/load' || path.startsWith('/build') || path.startsWith('/containers/' + X + '/archive')) body = method === 'GET' || method === 'HEAD' ? undefined : Buffer.alloc(0);
    let r;
    try {
      r = await call(d.socket, method, path, body, { timeoutMs: 10_000, contentType: Buffer.isBuffer(body) ? 'application/x-tar' : undefined });
    } catch (e) {
      rows.push({ group, method, path: tmpl.split('?')[0], kind: 'error', detail: String(e.message ?? e) });
      continue;
    }
    rows.push({ group, method, path: tmpl.split('?')[0], ...classify(r) });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------
// The comparison

function endpoints(o, since, until) {
  const e = [
    { name: 'GET /_ping', path: '/_ping', text: true },
    { name: 'GET /version', path: '/version' },
    { name: 'GET /info', path: '/info' },
    { name: 'GET /images/json', path: '/images/json' },
    { name: 'GET /images/{id}/json', path: (x) => x.imageId && `/images/${x.imageId}/json`, needs: 'the busybox image' },
    { name: 'GET /images/{id}/history', path: (x) => x.imageId && `/images/${x.imageId}/history`, needs: 'the busybox image' },
    { name: 'GET /containers/json?all=1', path: '/containers/json?all=1' },
    { name: 'GET /containers/{id}/json (created)', path: (x) => x.created && `/containers/${x.created}/json`, needs: 'container d1' },
    { name: 'GET /containers/{id}/json (running)', path: (x) => x.started && `/containers/${x.started}/json`, needs: 'container d2' },
    { name: 'GET /networks', path: '/networks' },
    { name: 'GET /networks/{id}', path: (x) => x.networkId && `/networks/${x.networkId}`, needs: 'network diffnet' },
    { name: 'GET /volumes', path: '/volumes' },
    { name: 'GET /volumes/{name}', path: (x) => x.volumeName && `/volumes/${x.volumeName}`, needs: 'volume diffvol' },
    { name: 'GET /system/df', path: '/system/df' },
    { name: 'GET /events?since=..&until=..', path: `/events?since=${since}&until=${until}`, ndjson: true },
  ];
  void o;
  return e;
}

async function compareAll(docker, hako, od, oh, since, until, dumpDir, version) {
  // Both daemons are asked at dockerd's API version, so hako shapes its answers for it.
  const v = (p) => (version ? `/v${version}${p}` : p);
  const results = [];
  if (dumpDir) mkdirSync(dumpDir, { recursive: true });
  const dump = (who, name, r) => {
    if (!dumpDir) return;
    const file = `${name.replace(/^GET /, '').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}.${who}.json`;
    writeFileSync(join(dumpDir, file), r.body);
  };
  for (const ep of endpoints(od, since, until)) {
    const pd = typeof ep.path === 'function' ? ep.path(od) : ep.path;
    const ph = typeof ep.path === 'function' ? ep.path(oh) : ep.path;
    const res = { name: ep.name };
    results.push(res);
    if (!pd) {
      res.skipped = `dockerd has no ${ep.needs}`;
      continue;
    }
    const rd = await call(docker.socket, 'GET', v(pd));
    res.dockerStatus = rd.status;
    dump('dockerd', ep.name, rd);
    if (!ph) {
      res.hakoStatus = '-';
      res.unsupported = `hako has no ${ep.needs} (its creation failed; see set-up notes)`;
      continue;
    }
    const rh = await call(hako.socket, 'GET', v(ph));
    res.hakoStatus = rh.status;
    dump('hako', ep.name, rh);
    const hd = new Set(Object.keys(rd.headers).filter((h) => !IGNORED_HEADERS.has(h)));
    const hh = new Set(Object.keys(rh.headers).filter((h) => !IGNORED_HEADERS.has(h)));
    res.headersMissing = [...hd].filter((h) => !hh.has(h)).sort();
    res.headersExtra = [...hh].filter((h) => !hd.has(h)).sort();
    if (rh.status !== 200) {
      res.unsupported = `${rh.status} ${errMessage(rh)}`;
      continue;
    }
    if (rd.status !== 200) {
      res.unsupported = `dockerd answered ${rd.status} ${errMessage(rd)}`;
      continue;
    }
    if (ep.text) {
      res.missing = [];
      res.extra = [];
      res.types = [];
      res.bodies = { docker: rd.body, hako: rh.body };
      continue;
    }
    const bd = parseBody(rd, ep.ndjson);
    const bh = parseBody(rh, ep.ndjson);
    if (bh === undefined) {
      res.unsupported = `hako's body is not JSON: ${rh.body.slice(0, 100)}`;
      continue;
    }
    if (ep.ndjson) {
      const kinds = (evs) => [...new Set(evs.map((e) => `${e.Type} ${e.Action}`))].sort();
      res.eventsDocker = kinds(bd);
      res.eventsHako = kinds(bh);
    }
    Object.assign(res, compareShapes(flatten(bd), flatten(bh)));
    // Empty arrays on one side cannot show their element keys: say so.
    const emptyD = [...flatten(bd)].filter(([p, t]) => t.has('array') && ![...flatten(bd).keys()].some((k) => k.startsWith(p + '[]'))).map(([p]) => p);
    const emptyH = [...flatten(bh)].filter(([p, t]) => t.has('array') && ![...flatten(bh).keys()].some((k) => k.startsWith(p + '[]'))).map(([p]) => p);
    res.emptyArrays = { docker: emptyD, hako: emptyH };
  }
  return results;
}

// ---------------------------------------------------------------------------------------
// Report

const code = (s) => `\`${s}\``;
const list = (xs, max = 400) => (xs.length ? xs.slice(0, max).map(code).join(', ') + (xs.length > max ? ` … (+${xs.length - max})` : '') : '—');
/** Paths with their known reason, if any, in parentheses. */
const listKnown = (endpoint, xs) => {
  if (!xs.length) return '—';
  const byNote = new Map();
  const plain = [];
  for (const p of xs) {
    const n = known(endpoint, p);
    if (n) byNote.set(n, [...(byNote.get(n) ?? []), p]);
    else plain.push(p);
  }
  return [plain.length ? list(plain) : '', ...[...byNote].map(([n, ps]) => `${list(ps)} (expected: ${n})`)].filter(Boolean).join('; ');
};

function report({ date, dockerVersion, hakoVersion, setup, results, probe, hakoLeftovers }) {
  const L = [];
  L.push('# Differential check: hako vs dockerd', '');
  L.push(`${date}, ${machine()}`, '');
  L.push(`dockerd: ${dockerVersion}; hakod: ${hakoVersion}. Same busybox image (build/images/busybox.tar) loaded into both; ` +
    'objects: container d1 (created), d2 (started, `sleep 100`), network diffnet, volume diffvol. ' +
    'JSON answers compared by key sets and value types, recursively, not by value (`[]` = array element, `*` = any key of a free-keyed map such as Labels or Networks). ' +
    'Only the top-most missing or extra key is listed. Differences with a known cause outside hako (API version, this set-up) are marked "expected".', '');
  for (const [who, s] of [['dockerd', setup.docker], ['hakod', setup.hako]]) {
    if (s.notes.length) L.push(`Set-up in ${who} that failed: ${s.notes.map((n) => n.replace(/\|/g, '\\|')).join('; ')}`, '');
  }
  L.push('## Summary', '');
  L.push('| endpoint | dockerd | hako | missing in hako | extra in hako | type differences |', '|---|---|---|---|---|---|');
  for (const r of results) {
    if (r.skipped) {
      L.push(`| ${r.name} | skipped | skipped | ${r.skipped} | | |`);
      continue;
    }
    if (r.unsupported) {
      L.push(`| ${r.name} | ${r.dockerStatus} | ${r.hakoStatus} | not supported: ${r.unsupported.replace(/\|/g, '\\|').slice(0, 160)} | | |`);
      continue;
    }
    const unexplained = (xs) => xs.filter((p) => !known(r.name, p)).length;
    const n = (xs) => `${xs.length}${xs.length && unexplained(xs) !== xs.length ? ` (${unexplained(xs)} unexplained)` : ''}`;
    L.push(`| ${r.name} | ${r.dockerStatus} | ${r.hakoStatus} | ${n(r.missing)} | ${n(r.extra)} | ${r.types.length} (${r.types.filter((t) => t.nullOnly).length} null-only) |`);
  }
  L.push('', '## Per endpoint', '');
  for (const r of results) {
    if (r.skipped || !r.missing) continue;
    L.push(`### ${r.name}`, '');
    L.push(`- missing in hako: ${listKnown(r.name, r.missing)}`);
    L.push(`- extra in hako: ${listKnown(r.name, r.extra)}`);
    const real = r.types.filter((t) => !t.nullOnly);
    const nul = r.types.filter((t) => t.nullOnly);
    L.push(`- type differences: ${real.length ? real.map((t) => `${code(t.path)} (docker ${t.docker}, hako ${t.hako})`).join(', ') : '—'}`);
    L.push(`- null vs value (may depend on the values): ${nul.length ? nul.map((t) => `${code(t.path)} (docker ${t.docker}, hako ${t.hako})`).join(', ') : '—'}`);
    if (r.headersMissing?.length || r.headersExtra?.length) {
      L.push(`- response headers missing in hako: ${list(r.headersMissing)}; extra: ${list(r.headersExtra)}`);
    }
    if (r.bodies) L.push(`- bodies: dockerd ${code(JSON.stringify(r.bodies.docker))}, hako ${code(JSON.stringify(r.bodies.hako))}`);
    if (r.eventsDocker) {
      const only = r.eventsDocker.filter((e) => !r.eventsHako.includes(e));
      L.push(`- event kinds (Type Action) from dockerd not seen from hako: ${list(only)}; from hako not dockerd: ${list(r.eventsHako.filter((e) => !r.eventsDocker.includes(e)))}`);
    }
    const ea = r.emptyArrays ?? { docker: [], hako: [] };
    const ed = ea.docker.filter((p) => !ea.hako.includes(p));
    const eh = ea.hako.filter((p) => !ea.docker.includes(p));
    if (ed.length || eh.length) L.push(`- empty arrays (elements not compared): dockerd ${list(ed)}; hako ${list(eh)}`);
    L.push('');
  }
  if (hakoLeftovers?.length) {
    L.push('## Left behind by hakod', '');
    L.push(`After a clean stop (SIGTERM, every container, network and volume removed first) and with its data and exec roots deleted, hakod (instance \`${HAKO_INSTANCE}\`) left these host objects, which this script then removed: ${hakoLeftovers.map(code).join(', ')}.`, '');
  }
  if (probe) {
    L.push('## Route probe (hakod only)', '');
    L.push('One request per endpoint of the Docker Engine API v1.45 with placeholder ids (`' + X + '`) and empty bodies. ' +
      '"routed" means a handler answered (404 "No such …" or 400 are expected with placeholders); "not implemented" is a 501 naming what is missing; ' +
      '"swarm inactive" is the 503 dockerd gives outside a swarm; "no route" is 404 page not found.', '');
    const counts = {};
    for (const p of probe) counts[p.kind] = (counts[p.kind] ?? 0) + 1;
    L.push(Object.entries(counts).map(([k, n]) => `${k}: ${n}`).join(', '), '');
    L.push('| group | method | path | answer | detail |', '|---|---|---|---|---|');
    for (const p of probe) L.push(`| ${p.group} | ${p.method} | ${p.path} | ${p.kind} | ${p.detail.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 140)} |`);
    L.push('');
  }
  return L.join('\n');
}

// ---------------------------------------------------------------------------------------

async function main() {
  const opts = parseFlags(process.argv.slice(2), { install: false, json: '', dump: '', 'no-probe': false });
  if (process.getuid?.() !== 0) throw new Error('run as root: both daemons need it');
  if (!ensureDocker(opts.install)) throw new Error('dockerd is not installed (use --install to apt-get install docker.io)');
  const tarball = busyboxTar();
  const daemons = [];
  const made = new Map();
  let stopping;
  const stopAll = () => (stopping ??= (async () => {
    for (const d of daemons) {
      const o = made.get(d);
      if (o) await tearDown(d, o).catch(() => {});
    }
    await Promise.all(daemons.map((d) => d.stop().catch((e) => console.error(`differential: stopping ${d.name}: ${e.message}`))));
  })());
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      console.error(`differential: ${sig}, stopping the daemons`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  let data;
  try {
    const started = await Promise.allSettled([startDockerd(), startHakod()]);
    for (const s of started) if (s.status === 'fulfilled') daemons.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [docker, hako] = daemons;
    const since = Math.floor(Date.now() / 1000) - 1;
    const [od, oh] = await Promise.all([setUp(docker, tarball), setUp(hako, tarball)]);
    made.set(docker, od);
    made.set(hako, oh);
    await sleep(1500);
    const until = Math.ceil(Date.now() / 1000);
    const vd = JSON.parse((await call(docker.socket, 'GET', '/version')).body);
    const vh = await call(hako.socket, 'GET', '/version').then((r) => JSON.parse(r.body), () => ({}));
    const results = await compareAll(docker, hako, od, oh, since, until, opts.dump, vd.ApiVersion);
    const probe = opts['no-probe'] ? undefined : await probeRoutes(hako);
    data = {
      date: new Date().toISOString().slice(0, 10),
      dockerVersion: `Docker Engine ${vd.Version} (API ${vd.ApiVersion})`,
      hakoVersion: `${vh.Version ?? '?'} (API ${vh.ApiVersion ?? '?'}; asked at /v${vd.ApiVersion})`,
      setup: { docker: od, hako: oh }, results, probe,
    };
  } finally {
    await stopAll();
  }
  // Host objects a stopped hakod left behind (this script removed them).
  data.hakoLeftovers = daemons.find((d) => d.name === 'hakod')?.leftovers ?? [];
  const text = report(data);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'differential.md'), text + '\n');
  if (opts.json) writeFileSync(opts.json, JSON.stringify(data, null, 2));
  console.log(text);
  console.error('differential: wrote bench/results/differential.md');
}

main().catch((e) => {
  console.error(`differential: ${e.stack ?? e}`);
  process.exit(1);
});
