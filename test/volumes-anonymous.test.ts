/**
 * Anonymous volumes with the stock docker CLI against hakod, as dockerd makes them: an
 * image's VOLUME and `-v /path` get a 64-hex volume, populated from the image's content
 * on first use (owners and modes kept; `nocopy` opts out), shown in inspect Mounts and
 * `volume ls`, removed by `rm -v` and `run --rm`, kept by plain `rm`; `--volumes-from`.
 * The test image is built against hakod with `docker build` (classic builder).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { dockerCli, dockerOk, skipReason, stopChecked } from './helpers/hostobjects.js';

const skip = skipReason();
const HEX = /^[0-9a-f]{64}$/;

describe('anonymous volumes', { skip }, () => {
  let d: TestDaemon;
  let ctx: string;
  const ok = (...args: string[]) => dockerOk(d, args);
  const volumes = async () => (await ok('volume', 'ls', '-q')).split('\n').filter(Boolean).sort();
  const mounts = async (name: string) => JSON.parse(await ok('inspect', '-f', '{{json .Mounts}}', name)) as Record<string, unknown>[];

  before(async () => {
    d = await startDaemon();
    await ok('load', '-i', await busyboxTar());
    ctx = mkdtempSync(join(tmpdir(), 'hako-volimg-'));
    writeFileSync(join(ctx, 'Dockerfile'), [
      'FROM busybox:latest',
      'RUN mkdir -p /data/sub && echo seeded > /data/seed && echo deep > /data/sub/f && chown -R 1000:1000 /data && chmod 0750 /data',
      'VOLUME /data',
    ].join('\n') + '\n');
    const b = await dockerCli(d, ['build', '-q', '-t', 'volimg', ctx], { timeoutMs: 120_000 });
    assert.equal(b.code, 0, b.stderr);
  });
  after(async () => {
    if (ctx) rmSync(ctx, { recursive: true, force: true });
    if (!d) return;
    await dockerCli(d, ['rm', '-f', '-v', 'va', 'vb', 'vc', 'vd', 've']);
    const left = await stopChecked(d);
    assert.deepEqual(left, []);
  });

  it('an image VOLUME: a 64-hex volume seeded from the image, in inspect and volume ls', async () => {
    const before = await volumes();
    assert.equal(await ok('run', '--name', 'va', 'volimg', 'sh', '-c', 'cat /data/seed /data/sub/f; stat -c "%u:%g %a" /data /data/seed'),
      'seeded\ndeep\n1000:1000 750\n1000:1000 644');
    const [m, ...rest] = await mounts('va');
    assert.equal(rest.length, 0);
    assert.match(String(m!.Name), HEX);
    assert.deepEqual(m, {
      Type: 'volume', Name: m!.Name, Source: join(d.dataRoot, 'volumes', String(m!.Name), '_data'), Destination: '/data',
      Driver: 'local', Mode: '', RW: true, Propagation: '',
    });
    assert.deepEqual(await volumes(), [...before, String(m!.Name)].sort());
    const v = JSON.parse(await ok('volume', 'inspect', String(m!.Name))) as { Labels: Record<string, string> }[];
    assert.ok('com.docker.volume.anonymous' in v[0]!.Labels, JSON.stringify(v));
    // dockerd shows no HostConfig.Mounts or Binds for it.
    assert.equal(await ok('inspect', '-f', '{{json .HostConfig.Mounts}} {{json .HostConfig.Binds}}', 'va'), 'null null');
    // Second start: the volume keeps what the container wrote; nothing is copied over it.
    await ok('start', '-a', 'va').catch(() => {});
    const r = await dockerCli(d, ['run', '--rm', '--volumes-from', 'va', 'busybox:latest', 'sh', '-c', 'echo changed > /data/seed']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await dockerCli(d, ['start', '-a', 'va'])).stdout.split('\n')[0], 'changed');
  });

  it('--volumes-from X:ro shares X\'s volume read-only; rm keeps it, rm -v removes it', async () => {
    const name = String((await mounts('va'))[0]!.Name);
    const w = await dockerCli(d, ['run', '--name', 'vb', '--volumes-from', 'va:ro', 'busybox:latest', 'sh', '-c', 'cat /data/seed; touch /data/x']);
    assert.equal(w.stdout, 'changed\n');
    assert.match(w.stderr, /Read-only file system/);
    const [m] = await mounts('vb');
    assert.equal(m!.Name, name);
    assert.equal(m!.RW, false);
    // In use by vb: rm -v of va keeps the volume (dockerd removes only unused anonymous volumes).
    await ok('rm', '-v', 'va');
    assert.ok((await volumes()).includes(name));
    await ok('rm', 'vb');
    assert.ok((await volumes()).includes(name), 'plain rm keeps the anonymous volume');
    await ok('volume', 'rm', name);
  });

  it('-v /path, nocopy, rm -v and run --rm remove the anonymous volumes', async () => {
    const before = await volumes();
    await ok('create', '--name', 'vc', '-v', '/other', 'volimg', 'sh', '-c', 'ls -A /data /other');
    const names = (await mounts('vc')).map((m) => String(m.Name));
    assert.equal(names.length, 2);
    for (const n of names) assert.match(n, HEX);
    assert.equal((await mounts('vc')).map((m) => m.Destination).sort().join(' '), '/data /other');
    assert.deepEqual(await volumes(), [...before, ...names].sort());
    await ok('start', '-a', 'vc');
    await ok('rm', '-v', 'vc');
    for (let i = 0; i < 50 && (await volumes()).length !== before.length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await volumes(), before);
    for (const n of names) assert.equal(existsSync(join(d.dataRoot, 'volumes', n)), false);

    // nocopy: the volume stays empty.
    const nc = await ok('run', '--name', 'vd', '--mount', 'type=volume,target=/data,volume-nocopy', 'volimg', 'ls', '-A', '/data');
    assert.equal(nc, '');
    const [m] = await mounts('vd');
    assert.equal(m!.Mode, 'z');
    await ok('rm', '-v', 'vd');

    // run --rm: the anonymous volume goes with the container.
    assert.equal(await ok('run', '--rm', '--name', 've', 'volimg', 'cat', '/data/seed'), 'seeded');
    for (let i = 0; i < 50 && (await volumes()).length !== before.length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await volumes(), before);
  });

  it('a named volume is seeded from the image too, and survives rm -v', async () => {
    assert.equal(await ok('run', '--rm', '-v', 'seeded-vol:/data', 'volimg', 'cat', '/data/sub/f'), 'deep');
    assert.equal(await ok('run', '--rm', '-v', 'seeded-vol:/x', 'busybox:latest', 'cat', '/x/seed'), 'seeded');
    assert.ok((await volumes()).includes('seeded-vol'));
    await ok('volume', 'rm', 'seeded-vol');
  });
});
