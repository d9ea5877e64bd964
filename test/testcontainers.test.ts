/**
 * testcontainers-node against hakod, unchanged, pointed at it with DOCKER_HOST.
 *
 * Ryuk (the reaper testcontainers starts beside every session) is disabled with
 * TESTCONTAINERS_RYUK_DISABLED=true: it is an image (testcontainers/ryuk) pulled from
 * Docker Hub, and no registry is reachable here. The test stops its container itself.
 * busybox:latest is loaded beforehand, so testcontainers finds it and does not pull.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';

const skip = process.getuid?.() !== 0 ? 'requires root' : false;

describe('testcontainers', { skip }, () => {
  let d: TestDaemon;
  const saved: Record<string, string | undefined> = {};
  const env = (k: string, v: string) => {
    saved[k] = process.env[k];
    process.env[k] = v;
  };

  before(async () => {
    d = await startDaemon();
    const r = await d.request('POST', '/images/load?quiet=1', readFileSync(await busyboxTar()), { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 200, r.text());
    // testcontainers reads its configuration once, on first use: set it before the import.
    env('DOCKER_HOST', `unix://${d.socket}`);
    env('TESTCONTAINERS_RYUK_DISABLED', 'true');
    env('TESTCONTAINERS_HOST_OVERRIDE', '127.0.0.1');
    env('DOCKER_CONFIG', d.tmp);
  });
  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await d?.stop();
  });

  it('starts busybox, waits for a log line, execs, and stops it', async () => {
    const { GenericContainer, Wait } = await import('testcontainers');
    const c = await new GenericContainer('busybox:latest')
      .withCommand(['sh', '-c', 'echo booting; sleep 0.3; echo ready-to-serve; exec sleep 300'])
      .withWaitStrategy(Wait.forLogMessage('ready-to-serve'))
      .withStartupTimeout(30_000)
      .start();
    try {
      assert.equal(c.getHost(), '127.0.0.1');
      const inspect = (await d.request('GET', `/containers/${c.getId()}/json`)).json<any>();
      assert.equal(inspect.State.Running, true);
      assert.equal(inspect.Config.Labels['org.testcontainers'], 'true');
      const r = await c.exec(['sh', '-c', 'echo hi; exit 2']);
      assert.equal(r.output, 'hi\n');
      assert.equal(r.exitCode, 2);
    } finally {
      await c.stop({ timeout: 1000 });
    }
    // stop() also removes the container (its default); nothing of it is left.
    assert.equal((await d.request('GET', `/containers/${c.getId()}/json`)).status, 404);
  });
});
