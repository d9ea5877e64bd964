/** Black-box tests of POST /build (classic builder), POST /commit and the docker CLI against a temp hakod. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTar, type TarEntry } from '../src/image/_testutil.js';
import { startDaemon, type TestDaemon, type Response } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { Client } from '../src/client/client.js';
import buildCmd from '../src/cli/commands/build.js';
import commitCmd from '../src/cli/commands/commit.js';
import { parseFlags } from '../src/cli/flags.js';
import type { Command, Ctx } from '../src/cli/command.js';
import { DOCKER_BIN } from './helpers/docker-bin.js';

/** Runs a CLI command module directly (the registry wiring is the lead's), capturing its output. */
async function cli(socket: string, cmd: Command, argv: string[]): Promise<string> {
  const p = parseFlags(argv, cmd.flags);
  let out = '';
  const sink = { write: (s: string) => { out += s; return true; }, isTTY: false } as unknown as NodeJS.WriteStream;
  const ctx: Ctx = { client: new Client(`unix://${socket}`), host: `unix://${socket}`, out: sink, err: sink,
    stdin: process.stdin, debug: false, path: 'build' };
  await cmd.run(ctx, p.args, p.flags);
  return out;
}

const exec = promisify(execFile);
const isRoot = process.getuid?.() === 0;

interface Msg { stream?: string; aux?: { ID: string }; error?: string; errorDetail?: { message: string; code?: number } }
const lines = (r: Response): Msg[] => r.text().split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l) as Msg);
const text = (ms: Msg[]) => ms.map((m) => m.stream ?? '').join('');

describe('build', { skip: isRoot ? false : 'requires root: hakod refuses to start otherwise' }, () => {
  let d: TestDaemon;
  let canRun = false;
  const build = async (files: TarEntry[], query = '', gzip = false) =>
    d.request('POST', `/build?${query}`, await makeTar(files, gzip), { 'Content-Type': 'application/x-tar' });
  const df = (s: string): TarEntry => ({ name: 'Dockerfile', content: s });
  const inspect = async (name: string) => (await d.request('GET', `/images/${name}/json`)).json();

  before(async () => {
    d = await startDaemon();
    const r = await d.request('POST', '/images/load?quiet=1', readFileSync(await busyboxTar()), { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 200, r.text());
    const c = await d.request('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'] });
    canRun = c.status === 201;
    if (canRun) await d.request('DELETE', `/containers/${c.json().Id}?force=1`);
  });
  after(async () => {
    await d?.stop();
  });

  it('builds FROM + COPY + ENV + CMD without containers, then all from cache', async () => {
    const files: TarEntry[] = [
      df('FROM busybox\nENV GREETING="hello world" DIR=/app\nWORKDIR $DIR\nCOPY hello.txt sub/ ./\nCOPY --chown=1:2 --chmod=600 hello.txt /etc/h2\nLABEL a=b\nEXPOSE 8080\nCMD ["cat", "hello.txt"]\n'),
      { name: 'hello.txt', content: 'hi\n' }, { name: 'sub/', type: 'directory' }, { name: 'sub/inner', content: 'in' },
      { name: 'ignored.log', content: 'x' }, { name: '.dockerignore', content: '*.log\n' },
    ];
    const r = await build(files, 't=bb-copy:1&t=bb-copy:2');
    assert.equal(r.status, 200, r.text());
    const ms = lines(r);
    const out = text(ms);
    assert.ok(!ms.some((m) => m.error), out + JSON.stringify(ms.filter((m) => m.error)));
    assert.match(out, /^Step 1\/8 : FROM busybox\n ---> [0-9a-f]{12}\nStep 2\/8 : ENV GREETING="hello world" DIR=\/app\n/);
    assert.match(out, /Successfully built [0-9a-f]{12}\nSuccessfully tagged bb-copy:1\nSuccessfully tagged bb-copy:2\n$/);
    const id = ms.filter((m) => m.aux).at(-1)!.aux!.ID;
    const img = await inspect('bb-copy:1');
    assert.equal(img.Id, id);
    assert.deepEqual(img.Config.Cmd, ['cat', 'hello.txt']);
    assert.equal(img.Config.WorkingDir, '/app');
    assert.ok(img.Config.Env.includes('GREETING=hello world'));
    assert.deepEqual(img.Config.Labels, { a: 'b' });
    assert.deepEqual(img.Config.ExposedPorts, { '8080/tcp': {} });
    const hist = (await d.request('GET', '/images/bb-copy:1/history')).json();
    assert.match(hist[0].CreatedBy, /^\/bin\/sh -c #\(nop\)  CMD \["cat" "hello.txt"\]$/);
    assert.ok(hist.some((h: { CreatedBy: string }) => /^\/bin\/sh -c #\(nop\) COPY multi:[0-9a-f]{64} in \/app\/ $/.test(h.CreatedBy)), JSON.stringify(hist));
    // the files: export the image and look
    const save = await d.request('GET', '/images/bb-copy:1/get');
    assert.equal(save.status, 200);
    const again = await build(files, 't=bb-copy:1');
    const out2 = text(lines(again));
    assert.equal((out2.match(/Using cache/g) ?? []).length, 7, out2);
    assert.match(out2, new RegExp(`Successfully built ${id.slice(7, 19)}`));
    // a changed COPY source rebuilds from that step on
    files[1] = { name: 'hello.txt', content: 'changed\n' };
    const out3 = text(lines(await build(files, 't=bb-copy:3')));
    assert.equal((out3.match(/Using cache/g) ?? []).length, 2, out3);
    assert.notEqual((await inspect('bb-copy:3')).Id, id);
  });

  it('reports a bad Dockerfile with its line number as a 400', async () => {
    const r = await build([df('FROM busybox\nRUN true\nFOOBAR baz\n')]);
    assert.equal(r.status, 400);
    assert.equal(r.json().message, 'Dockerfile parse error on line 3: unknown instruction: FOOBAR');
    const r2 = await build([df('FROM busybox\nCOPY missing /x\n')]);
    assert.equal(r2.status, 200);
    assert.match(lines(r2).at(-1)!.error!, /file not found in build context/);
    const r3 = await build([df('FROM busybox\nADD http://example.com/x /x\n')]);
    assert.match(lines(r3).at(-1)!.error!, /ADD from a URL/);
    const r4 = await build([df('FROM nosuchimage\n')]);
    assert.match(lines(r4).at(-1)!.error!, /No such image: nosuchimage/);
  });

  it('builds FROM scratch with ADD of a tar, a gzip context and a Dockerfile elsewhere', async () => {
    const inner = await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/motd', content: 'welcome' }]);
    const r = await build([{ name: 'docker/Build.file', content: 'FROM scratch\nADD root.tar /\nCOPY ["docker/Build.file", "/df"]\n' },
      { name: 'root.tar', content: inner }], 'dockerfile=docker/Build.file&t=scratchy', true);
    const ms = lines(r);
    assert.ok(!ms.some((m) => m.error), JSON.stringify(ms));
    const img = await inspect('scratchy');
    assert.equal(img.RootFS.Layers.length, 2);
  });

  it('runs RUN steps, multi-stage with COPY --from, build args and --target', async (t) => {
    if (!canRun) return t.skip('POST /containers/create does not answer 201: the container service is not available');
    const dockerfile = [
      'FROM busybox AS builder', 'ARG WHO=nobody', 'RUN echo "made by $WHO" > /made && rm /bin/vi && mkdir -p /opq/d && touch /opq/a && echo done',
      'RUN test ! -e /bin/vi && rm -r /opq && mkdir /opq && echo new > /opq/only',
      'RUN test "$(ls /opq)" = only',
      'FROM busybox', 'COPY --from=builder /made /copied', 'RUN cat /copied && test -e /bin/vi', 'CMD ["cat", "/copied"]',
    ].join('\n');
    const r = await build([df(dockerfile)], `t=multi&forcerm=1&buildargs=${encodeURIComponent(JSON.stringify({ WHO: 'hako' }))}`);
    const ms = lines(r);
    const out = text(ms);
    assert.ok(!ms.some((m) => m.error), out + JSON.stringify(ms.filter((m) => m.error)));
    assert.match(out, / ---> Running in [0-9a-f]{12}\n/);
    assert.match(out, /\ndone\n/);
    assert.match(out, /made by hako/);
    assert.match(out, /Removing intermediate container [0-9a-f]{12}\n/);
    const hist = (await d.request('GET', '/images/multi/history')).json();
    assert.ok(hist.some((h: { CreatedBy: string }) => h.CreatedBy === '/bin/sh -c cat /copied && test -e /bin/vi'), JSON.stringify(hist));
    const again = text(lines(await build([df(dockerfile)], `t=multi&buildargs=${encodeURIComponent(JSON.stringify({ WHO: 'hako' }))}`)));
    assert.equal((again.match(/Using cache/g) ?? []).length, 7, again);
    assert.doesNotMatch(again, /Running in/);
    const tgt = lines(await build([df(dockerfile)], 't=onlybuilder&target=builder&forcerm=1&buildargs=' + encodeURIComponent('{"WHO":"hako"}')));
    assert.match(text(tgt), /Step 5\/5 : RUN/);
    const left = (await d.request('GET', '/containers/json?all=1')).json();
    assert.equal(left.length, 0, 'no intermediate containers left');
  });

  it('reports a failing RUN in-band with its exit code', async (t) => {
    if (!canRun) return t.skip('the container service is not available');
    const ms = lines(await build([df('FROM busybox\nRUN exit 3\n')], 'forcerm=1'));
    const last = ms.at(-1)!;
    assert.equal(last.error, "The command '/bin/sh -c exit 3' returned a non-zero code: 3");
    assert.equal(last.errorDetail!.code, 3);
  });

  it('commits a container', async (t) => {
    if (!canRun) return t.skip('the container service is not available');
    const c = (await d.request('POST', '/containers/create', { Image: 'busybox', Cmd: ['sh', '-c', 'echo x > /committed; rm /bin/ls'] })).json();
    await d.request('POST', `/containers/${c.Id}/start`);
    await d.request('POST', `/containers/${c.Id}/wait`);
    const r = await d.request('POST', `/commit?container=${c.Id}&repo=committed&tag=v1&comment=hi&changes=${encodeURIComponent('CMD ["cat","/committed"]')}`, {});
    assert.equal(r.status, 201, r.text());
    const img = await inspect('committed:v1');
    assert.equal(img.Id, r.json().Id);
    assert.deepEqual(img.Config.Cmd, ['cat', '/committed']);
    assert.equal(img.Comment, 'hi');
    const c2 = (await d.request('POST', '/containers/create', { Image: 'committed:v1', Cmd: ['sh', '-c', 'cat /committed; test ! -e /bin/ls'] })).json();
    await d.request('POST', `/containers/${c2.Id}/start`);
    const w = (await d.request('POST', `/containers/${c2.Id}/wait`)).json();
    assert.equal(w.StatusCode, 0);
    for (const id of [c.Id, c2.Id]) await d.request('DELETE', `/containers/${id}?force=1`);
  });

  it('hako build and hako commit (command modules)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hako-ctx-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      writeFileSync(join(dir, 'node_modules', 'x'), 'x');
      writeFileSync(join(dir, '.dockerignore'), 'node_modules\nDockerfile.other\n');
      writeFileSync(join(dir, 'a.txt'), 'a');
      writeFileSync(join(dir, 'Dockerfile.other'), 'FROM busybox\nARG V\nCOPY . /ctx/\nLABEL v=$V\n');
      const out = await cli(d.socket, buildCmd, ['-t', 'clibuilt', '-t', 'clibuilt:2', '-f', join(dir, 'Dockerfile.other'),
        '--build-arg', 'V=7', '--label', 'from=cli', dir]);
      assert.match(out, /Successfully tagged clibuilt:latest\nSuccessfully tagged clibuilt:2\n$/);
      const img = await inspect('clibuilt');
      assert.deepEqual(img.Config.Labels, { v: '7', from: 'cli' });
      const q = await cli(d.socket, buildCmd, ['-q', '-f', join(dir, 'Dockerfile.other'), '--build-arg', 'V=7', '--label', 'from=cli', dir]);
      assert.equal(q.trim(), img.Id);
      if (canRun) {
        const c = (await d.request('POST', '/containers/create', { Image: 'clibuilt', Cmd: ['sh', '-c', 'ls /ctx > /listing'] })).json();
        await d.request('POST', `/containers/${c.Id}/start`);
        await d.request('POST', `/containers/${c.Id}/wait`);
        const id = (await cli(d.socket, commitCmd, ['-m', 'listing', '-c', 'CMD ["cat", "/listing"]', c.Id, 'listed:1'])).trim();
        assert.match(id, /^sha256:[0-9a-f]{64}$/);
        const listed = await inspect('listed:1');
        assert.deepEqual(listed.Config.Cmd, ['cat', '/listing']);
        await d.request('DELETE', `/containers/${c.Id}?force=1`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works with DOCKER_BUILDKIT=0 docker build', async (t) => {
    if (!existsSync(DOCKER_BIN)) return t.skip('no docker CLI (looked in /usr/local/bin and /usr/bin)');
    const dir = mkdtempSync(join(tmpdir(), 'hako-ctx-'));
    try {
      mkdirSync(join(dir, 'skip'));
      writeFileSync(join(dir, 'skip', 'big'), 'x');
      writeFileSync(join(dir, '.dockerignore'), 'skip\n');
      writeFileSync(join(dir, 'f.txt'), 'file');
      writeFileSync(join(dir, 'Dockerfile'), `FROM busybox\nCOPY . /ctx/\n${canRun ? 'RUN ls /ctx\n' : ''}`);
      const env = { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: dir };
      const r = await exec(DOCKER_BIN, ['-H', `unix://${d.socket}`, 'build', '-t', 'viadocker', '.'], { cwd: dir, env });
      assert.match(r.stdout, /Successfully tagged viadocker:latest/);
      const img = await inspect('viadocker');
      assert.ok(img.Id);
      if (canRun) assert.doesNotMatch(r.stdout, /skip/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
