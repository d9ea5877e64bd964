/**
 * Black-box tests of the hako CLI against a fake Docker API server on a unix
 * socket: what is printed and the exit status. No daemon needed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// The launcher users run (dist/test/ -> repo root): it runs build/hako, the compiled binary,
// when the build made one, else node dist/hako.cjs. So these tests cover what ships.
const HAKO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'hako');
const dir = mkdtempSync(join(tmpdir(), 'hako-cli-'));
const sock = join(dir, 'api.sock');
let mode = 'ok';
const seen: string[] = [];

const now = Math.floor(Date.now() / 1000);
const images = [
  { Id: 'sha256:' + 'a'.repeat(64), Created: now - 14 * 86400, Size: 4261234, RepoTags: ['busybox:latest'], RepoDigests: [] },
  { Id: 'sha256:' + 'b'.repeat(64), Created: now - 3 * 3600, Size: 120000000, RepoTags: ['<none>:<none>'], RepoDigests: [] },
];
const containers = [{
  Id: 'c'.repeat(64), Names: ['/web'], Image: 'busybox', Command: 'sleep 1000000000', Created: now - 120,
  Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }], State: 'running', Status: 'Up 2 minutes', Labels: {},
}];

function handle(req: IncomingMessage, res: ServerResponse) {
  seen.push(`${req.method} ${req.url}`);
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (mode === 'fail') return json(500, { message: 'boom: the engine fell over' });
  const path = (req.url ?? '').split('?')[0];
  if (path === '/version') return json(200, { Version: '9.9.9', ApiVersion: '1.45', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64', Components: [{ Name: 'Engine', Version: '9.9.9', Details: { ApiVersion: '1.45', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' } }] });
  if (path === '/images/json') return json(200, images);
  if (path === '/containers/json' && req.url?.includes('all=1')) {
    // in two chunks (Transfer-Encoding: chunked), as a streaming server answers
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const text = JSON.stringify(containers);
    res.write(text.slice(0, 10));
    return void setTimeout(() => res.end(text.slice(10)), 5);
  }
  if (path === '/containers/json') return json(200, containers);
  if (path === '/images/nope/json' || path?.startsWith('/containers/nope') || path === '/networks/nope' || path === '/volumes/nope') return json(404, { message: 'No such object: nope' });
  if (path === '/containers/create') {
    const parts: Buffer[] = [];
    req.on('data', (c) => parts.push(c)).on('end', () => {
      seen.push(Buffer.concat(parts).toString());
      json(201, { Id: 'd'.repeat(64), Warnings: [] });
    });
    return;
  }
  if (path === `/containers/${'d'.repeat(64)}/start`) return void res.writeHead(204).end();
  if (path === '/images/busybox/tag') return void res.writeHead(201).end();
  if (path === '/images/busybox') return json(200, [{ Untagged: 'busybox:latest' }, { Deleted: images[0]!.Id }]);
  json(404, { message: `page not found` });
}

const srv = createServer(handle);
before(() => new Promise<void>((r) => srv.listen(sock, r)));
after(async () => {
  await new Promise((r) => srv.close(r));
  rmSync(dir, { recursive: true, force: true });
});

// The Node bundle alone, what bin/hako runs when bun could not compile build/hako.
const NODE_BUNDLE = [process.execPath, join(dirname(HAKO), '..', 'dist', 'hako.cjs')];

function hako(args: string[], host = `unix://${sock}`, o: { cmd?: string[]; tz?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, HAKO_HOST: host };
    delete env.NODE_OPTIONS;
    if (o.tz !== undefined) env.TZ = o.tz;
    const [exe, ...pre] = o.cmd ?? [HAKO];
    const p = spawn(exe!, [...pre, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (err += c));
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

test('images renders docker columns', async () => {
  mode = 'ok';
  const r = await hako(['images']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.match(lines[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  assert.match(lines[1]!, /^busybox\s+latest\s+aaaaaaaaaaaa\s+2 weeks ago\s+4\.26MB$/);
  assert.match(lines[2]!, /^<none>\s+<none>\s+bbbbbbbbbbbb\s+3 hours ago\s+120MB$/);
  assert.equal(lines[0]!.indexOf('TAG'), lines[1]!.indexOf('latest'));
});

test('images -q and --format; image ls alias', async () => {
  assert.equal((await hako(['images', '-q'])).out, 'aaaaaaaaaaaa\nbbbbbbbbbbbb\n');
  assert.equal((await hako(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).out, 'busybox:latest\n<none>:<none>\n');
});

test('ps renders docker columns', async () => {
  const r = await hako(['ps']);
  assert.equal(r.code, 0, r.err);
  const [head, row] = r.out.trimEnd().split('\n');
  assert.match(head!, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
  assert.match(row!, /^cccccccccccc\s+busybox\s+"sleep 1000000000"\s+2 minutes ago\s+Up 2 minutes\s+0\.0\.0\.0:8080->80\/tcp\s+web$/);
});

test('version prints both sections', async () => {
  const r = await hako(['version']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Client:\n Version:\s+0\.1\.0/);
  assert.match(r.out, /\nServer:\n Engine:\n  Version:\s+9\.9\.9\n  API version:\s+1\.45 \(minimum version 1\.24\)/);
  assert.equal((await hako(['version', '-f', '{{.Server.Version}}'])).out, '9.9.9\n');
});

test('daemon error: exit 1 (docker: 125 only for run) and "Error response from daemon"', async () => {
  mode = 'fail';
  try {
    const r = await hako(['version']);
    assert.equal(r.code, 1);
    assert.match(r.out, /^Client:/);
    assert.equal(r.err, 'Error response from daemon: boom: the engine fell over\n');
    assert.equal((await hako(['images'])).code, 1);
  } finally {
    mode = 'ok';
  }
});

test('usage errors exit as docker does: 125 for a flag, 1 for an argument count', async () => {
  const r = await hako(['images', '--bogus']);
  assert.equal(r.code, 125);
  assert.match(r.err, /^unknown flag: --bogus\n\nUsage:  hako images \[OPTIONS\] \[REPOSITORY\[:TAG\]\]\n\nRun 'hako images --help' for more information\n$/);
  const t = await hako(['tag', 'only-one']);
  assert.equal(t.code, 1);
  assert.match(t.err, /^hako: 'hako tag' requires 2 arguments\n\nUsage:  hako tag .*\n\nRun 'hako tag --help'/);
  assert.equal((await hako(['nosuchcmd'])).code, 1);
  const h = await hako(['ps', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /Usage:  hako ps \[OPTIONS\]/);
});

test('inspect of a missing object', async () => {
  const r = await hako(['inspect', 'nope']);
  assert.equal(r.code, 1);
  assert.equal(r.out, '[]\n');
  assert.equal(r.err, 'Error: No such object: nope\n');
});

test('run -d sends create then start and prints the id', async () => {
  seen.length = 0;
  const r = await hako(['run', '-d', '--name', 'x', '-p', '8080:80', '-m', '32m', 'busybox', 'sleep', '9']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'd'.repeat(64) + '\n');
  assert.equal(seen[0], 'POST /containers/create?name=x');
  const body = JSON.parse(seen[1]!);
  assert.deepEqual(body.Cmd, ['sleep', '9']);
  assert.equal(body.HostConfig.Memory, 33554432);
  assert.deepEqual(body.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
  assert.equal(seen[2], `POST /containers/${'d'.repeat(64)}/start`);
});

test('tag and rmi', async () => {
  seen.length = 0;
  assert.equal((await hako(['tag', 'busybox', 'me/box:2'])).code, 0);
  assert.equal(seen[0], 'POST /images/busybox/tag?repo=me%2Fbox&tag=2');
  const r = await hako(['rmi', 'busybox']);
  assert.equal(r.out, `Untagged: busybox:latest\nDeleted: sha256:${'a'.repeat(64)}\n`);
});

test('no daemon: docker-style message', async () => {
  const r = await hako(['version'], `unix://${join(dir, 'none.sock')}`);
  assert.equal(r.code, 1);
  assert.match(r.err, /Cannot connect to the hako daemon at unix:\/\/.*none\.sock\. Is the hako daemon running\?/);
});

test('the Node bundle prints and exits as the compiled CLI does (its other transport and stdio)', async () => {
  const cases = [['version', '-f', '{{.Server.Version}} {{.Client.Os}}'], ['ps', '-a'], ['ps'], ['images'], ['inspect', 'nope'], ['tag', 'x'], ['rmi', 'busybox']];
  for (const args of cases) {
    const compiled = await hako(args);
    const node = await hako(args, undefined, { cmd: NODE_BUNDLE });
    assert.deepEqual(node, compiled, args.join(' '));
  }
  const none = `unix://${join(dir, 'none.sock')}`;
  assert.deepEqual(await hako(['ps'], none, { cmd: NODE_BUNDLE }), await hako(['ps'], none));
});

test('ps -a: a chunked JSON answer is read whole', async () => {
  const r = await hako(['ps', '-a', '--format', '{{.Names}} {{.Ports}}']);
  assert.deepEqual(r, { code: 0, out: 'web 0.0.0.0:8080->80/tcp\n', err: '' });
});

/** Go's "2006-01-02 15:04:05 -0700 MST" of unix seconds `t` in `timeZone`, from ICU, to compare with. */
function goTime(t: number, timeZone: string, abbr: string): string {
  const f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const p = Object.fromEntries(f.formatToParts(new Date(t * 1000)).map((x) => [x.type, x.value]));
  const off = (Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!) / 1000 - t) / 60;
  const hhmm = `${off < 0 ? '-' : '+'}${String(Math.trunc(Math.abs(off) / 60)).padStart(2, '0')}${String(Math.abs(off) % 60).padStart(2, '0')}`;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${hhmm} ${abbr}`;
}

test('local times follow TZ as the docker CLI (Go) reads it: zoneinfo file, empty or unknown is UTC', { skip: !existsSync('/usr/share/zoneinfo/America/New_York') && 'no zoneinfo' }, async () => {
  const created = containers[0]!.Created;
  const ny = await hako(['ps', '--format', '{{.CreatedAt}}'], undefined, { tz: 'America/New_York' });
  const nyAbbr = goTime(created, 'America/New_York', 'X').includes('-0400') ? 'EDT' : 'EST';
  assert.equal(ny.out, `${goTime(created, 'America/New_York', nyAbbr)}\n`);
  const kolkata = await hako(['ps', '--format', '{{.CreatedAt}}'], undefined, { tz: ':Asia/Kolkata' });
  assert.equal(kolkata.out, `${goTime(created, 'Asia/Kolkata', 'IST')}\n`);
  for (const tz of ['', 'UTC', 'No/Such_Zone']) {
    const r = await hako(['ps', '--format', '{{.CreatedAt}}'], undefined, { tz });
    assert.equal(r.out, `${goTime(created, 'UTC', 'UTC')}\n`, `TZ=${tz}`);
  }
  const node = await hako(['ps', '--format', '{{.CreatedAt}}'], undefined, { cmd: NODE_BUNDLE, tz: 'America/New_York' });
  assert.equal(node.out, ny.out);
});
