/** Root-only: OciContainerService end to end on a busybox layer dir, no daemon needed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync, rmSync, existsSync, chmodSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openDatabase } from '../platform/sqlite.js';
import { OciContainerService } from './containers.js';
import { chooseRuntime } from '../runtime/oci.js';
import { V1Cgroups } from '../runtime/cgroups.js';

const ok = process.getuid?.() === 0 && existsSync('/usr/bin/conmon') && existsSync('/bin/busybox');

function layer(dir: string): void {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  for (const a of execFileSync('/bin/busybox', ['--list']).toString().split('\n').filter(Boolean)) if (a !== 'busybox') symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
}

async function text(r: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const c of r as AsyncIterable<{ data: Buffer }>) s += c.data.toString();
  return s;
}

test('containers: create, start, logs, wait, inspect, list, stop, rm', { skip: !ok && 'needs root' }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hako-svc-'));
  layer(join(tmp, 'layer'));
  const events: string[] = [];
  const instance = `hakosvc${process.pid}`;
  const svc = new OciContainerService({
    db: openDatabase(join(tmp, 'root', 'hako.db')), dataRoot: join(tmp, 'root'), execRoot: join(tmp, 'run'), instance,
    runtime: chooseRuntime('crun'),
    images: { resolveForContainer: async () => ({ id: 'sha256:' + 'b'.repeat(64), config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Cmd: ['sh'] } }, layerDirs: [join(tmp, 'layer')] }) },
    events: { emit: (e) => events.push(e.Action), subscribe: () => ({ close() {}, past: [] }) },
  });
  try {
    const { Id } = await svc.create({ Image: 'busybox', Cmd: ['sh', '-c', 'echo hi $HOSTNAME; hostname; exit 3'] }, 'one');
    await assert.rejects(svc.create({ Image: 'busybox' }, 'one'), /is already in use by container/);
    await svc.start('one');
    assert.deepEqual(await svc.wait('one'), { StatusCode: 3, Error: null });
    assert.equal(await text((await svc.logs(Id.slice(0, 6), {})).output), `hi ${Id.slice(0, 12)}\n${Id.slice(0, 12)}\n`);
    const i = await svc.inspect('one') as { State: { Status: string; ExitCode: number }; Name: string };
    assert.equal(i.State.Status, 'exited');
    assert.equal(i.Name, '/one');
    const { Id: id2 } = await svc.create({ Image: 'busybox', Cmd: ['sleep', '100'], StopTimeout: 1 }, 'two');
    const att = await svc.attach('two', { stream: true, stdout: true });
    await svc.start('two');
    const l = await svc.list({});
    assert.equal(l.length, 1);
    assert.match(String(l[0]!.Status), /^Up /);
    const top = await svc.top('two');
    assert.ok(top.Processes.some((p) => p.join(' ').includes('sleep 100')));
    const t0 = Date.now();
    await svc.stop('two', { timeout: 1 });
    assert.ok(Date.now() - t0 < 9000, 'StopTimeout 1 was not used (the default is 10 s)');
    att.session.close();
    await svc.remove('one', {});
    await svc.remove(id2, {});
    await assert.rejects(svc.inspect('one'), /No such container: one/);
    assert.deepEqual(events.slice(0, 3), ['create', 'start', 'die']);
    await svc.settle(); // removal answers first and cleans the host in the background
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(tmp));
  } finally {
    // after a failed step the containers are still there: remove them, or rmSync below fails
    // on their mounts (EBUSY) and hides the step's error
    for (const c of await svc.list({ all: true }).catch(() => [])) await svc.remove(String(c.Id), { force: true }).catch(() => undefined);
    await svc.settle();
    svc.close();
    new V1Cgroups().remove(`/${instance}`);
    await new Promise((r) => setTimeout(r, 200));
    rmSync(tmp, { recursive: true, force: true });
  }
});
