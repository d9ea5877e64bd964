/**
 * dockerode (docker-modem) against hakod's socket, unchanged: create, attach with stdin
 * and stdout/stderr demultiplexed by modem.demuxStream, start, wait, logs, exec with
 * output and the exit code read back through exec inspect, and remove.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';

const skip = process.getuid?.() !== 0 ? 'requires root' : false;

/** Demultiplexes a stdcopy stream into two strings, resolving when it ends. */
function demux(modem: any, stream: Readable): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const o = new PassThrough();
  const e = new PassThrough();
  o.on('data', (b: Buffer) => (out.stdout += b.toString()));
  e.on('data', (b: Buffer) => (out.stderr += b.toString()));
  modem.demuxStream(stream, o, e);
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve(out));
    stream.on('close', () => resolve(out));
    stream.on('error', reject);
  });
}

describe('dockerode', { skip }, () => {
  let d: TestDaemon;
  let docker: Docker;
  const created: string[] = [];

  before(async () => {
    d = await startDaemon();
    docker = new Docker({ socketPath: d.socket });
    const r = await d.request('POST', '/images/load?quiet=1', readFileSync(await busyboxTar()), { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 200, r.text());
  });
  after(async () => {
    if (!d) return;
    for (const id of created) await docker.getContainer(id).remove({ force: true }).catch(() => {});
    await d.stop();
  });

  it('negotiates the API and sees the loaded image', async () => {
    assert.equal((await docker.ping()).toString(), 'OK');
    assert.equal((await docker.version()).ApiVersion, '1.45');
    const images = await docker.listImages();
    assert.ok(images.some((i) => i.RepoTags?.includes('busybox:latest')));
  });

  it('create, attach (stdin, demuxed stdout/stderr), start, wait, logs, remove', async () => {
    const c = await docker.createContainer({
      Image: 'busybox:latest', Cmd: ['sh', '-c', 'read x; echo out:$x; echo err:$x >&2; exit 7'],
      OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true,
    });
    created.push(c.id);
    const stream = (await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
    const output = demux(c.modem, stream);
    await c.start();
    stream.end('hello\n');
    assert.deepEqual(await c.wait(), { StatusCode: 7, Error: null });
    assert.deepEqual(await output, { stdout: 'out:hello\n', stderr: 'err:hello\n' });

    const logs = await c.logs({ stdout: true, stderr: true, follow: false });
    const frames = Buffer.from(logs as unknown as Buffer);
    // Two stdcopy frames: stream 1 then stream 2, big-endian length.
    assert.equal(frames[0], 1);
    assert.equal(frames.readUInt32BE(4), 'out:hello\n'.length);
    assert.match(frames.toString('latin1'), /out:hello\n[\s\S]{8}err:hello\n$/);
    const followed = await demux(c.modem, (await c.logs({ stdout: true, stderr: true, follow: true })) as Readable);
    assert.deepEqual(followed, { stdout: 'out:hello\n', stderr: 'err:hello\n' });

    const info = await c.inspect();
    assert.equal(info.State.ExitCode, 7);
    assert.equal(info.State.Status, 'exited');
    await c.remove();
    await assert.rejects(c.inspect(), (e: any) => e.statusCode === 404 && /No such container/.test(e.json?.message ?? e.message));
  });

  it('exec with output and exit code through exec inspect', async () => {
    const c = await docker.createContainer({ Image: 'busybox:latest', Cmd: ['sleep', '300'] });
    created.push(c.id);
    await c.start();
    const ex = await c.exec({ Cmd: ['sh', '-c', 'echo exo; echo exe >&2; exit 5'], AttachStdout: true, AttachStderr: true });
    const stream = (await ex.start({ hijack: true, stdin: false })) as Duplex;
    assert.deepEqual(await demux(c.modem, stream), { stdout: 'exo\n', stderr: 'exe\n' });
    const info = await ex.inspect();
    assert.equal(info.ExitCode, 5);
    assert.equal(info.Running, false);
    await c.stop({ t: 1 });
    assert.equal((await c.wait()).StatusCode, 137);
    await c.remove();
    assert.deepEqual((await docker.listContainers({ all: true })).filter((x) => created.includes(x.Id)), []);
  });
});
