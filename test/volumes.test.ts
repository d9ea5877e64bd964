/** Black-box tests of the /volumes API and `docker volume` against a real hakod on a temporary root. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { DOCKER_BIN } from './helpers/docker-bin.js';

const isRoot = process.getuid?.() === 0;
const dockerBin = DOCKER_BIN;
const exec = promisify(execFile);
const q = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));

describe('volumes API', { skip: isRoot ? false : 'requires root: hakod refuses to start otherwise' }, () => {
  let d: TestDaemon;
  const since = Math.floor(Date.now() / 1000) - 1;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
  });

  const docker = (...args: string[]) => exec(dockerBin, ['-H', `unix://${d.socket}`, ...args], { env: { ...process.env, DOCKER_CONFIG: d.tmp } });

  it('creates, inspects, lists and removes a named volume', async () => {
    const c = await d.request('POST', '/v1.45/volumes/create', { Name: 'data1', Labels: { app: 'web' } });
    assert.equal(c.status, 201, c.text());
    const v = c.json();
    assert.equal(v.Name, 'data1');
    assert.equal(v.Driver, 'local');
    assert.equal(v.Scope, 'local');
    assert.equal(v.Mountpoint, join(d.dataRoot, 'volumes', 'data1', '_data'));
    assert.deepEqual(v.Labels, { app: 'web' });
    assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    assert.ok(existsSync(v.Mountpoint));
    assert.deepEqual((await d.request('POST', '/volumes/create', { Name: 'data1' })).json(), v);
    assert.deepEqual((await d.request('GET', '/volumes/data1')).json(), v);
    const l = (await d.request('GET', `/volumes?filters=${q({ label: ['app=web'] })}`)).json();
    assert.deepEqual(l, { Volumes: [v], Warnings: null });
    const rm = await d.request('DELETE', '/volumes/data1');
    assert.equal(rm.status, 204);
    assert.equal(existsSync(join(d.dataRoot, 'volumes', 'data1')), false);
    const nf = await d.request('GET', '/volumes/data1');
    assert.equal(nf.status, 404);
    assert.deepEqual(nf.json(), { message: 'get data1: no such volume' });
    assert.equal((await d.request('DELETE', '/volumes/data1')).status, 404);
    assert.equal((await d.request('DELETE', '/volumes/data1?force=1')).status, 204);
  });

  it('answers bad requests in docker wording', async () => {
    const bad = await d.request('POST', '/volumes/create', { Name: 'no/slash' });
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, /^create no\/slash: "no\/slash" includes invalid characters for a local volume name/);
    const drv = await d.request('POST', '/volumes/create', { Name: 'x1', Driver: 'nosuch' });
    assert.equal(drv.status, 404);
    assert.match(drv.json().message, /plugin "nosuch" not found/);
    const opt = await d.request('POST', '/volumes/create', { Name: 'x1', DriverOpts: { bogus: '1' } });
    assert.equal(opt.status, 400);
    assert.equal(opt.json().message, 'create x1: invalid option: "bogus"');
    const filt = await d.request('GET', `/volumes?filters=${q({ nope: ['1'] })}`);
    assert.equal(filt.status, 400);
    assert.equal((await d.request('PUT', '/volumes/x1', {})).status, 503);
  });

  it('makes anonymous volumes and prunes only them by default', async () => {
    const anon = (await d.request('POST', '/volumes/create', {})).json();
    assert.match(anon.Name, /^[0-9a-f]{64}$/);
    assert.deepEqual(anon.Labels, { 'com.docker.volume.anonymous': '' });
    await d.request('POST', '/volumes/create', { Name: 'keepme' });
    writeFileSync(join(anon.Mountpoint, 'f'), '12345');
    const p = await d.request('POST', '/v1.45/volumes/prune');
    assert.equal(p.status, 200);
    assert.deepEqual(p.json(), { VolumesDeleted: [anon.Name], SpaceReclaimed: 5 });
    assert.equal((await d.request('GET', '/volumes/keepme')).status, 200);
    const all = await d.request('POST', `/v1.45/volumes/prune?filters=${q({ all: ['true'] })}`);
    assert.deepEqual(all.json().VolumesDeleted, ['keepme']);
    assert.deepEqual((await d.request('GET', '/volumes')).json().Volumes, []);
  });

  it('reports volume events', async () => {
    await d.request('POST', '/volumes/create', { Name: 'evvol' });
    await d.request('DELETE', '/volumes/evvol');
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = await d.request('GET', `/events?since=${since}&until=${until}&filters=${q({ type: ['volume'], volume: ['evvol'] })}`);
    const evs = r.text().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.deepEqual(evs.map((e) => e.Action), ['create', 'destroy']);
    assert.equal(evs[0].Actor.ID, 'evvol');
    assert.equal(evs[0].Actor.Attributes.driver, 'local');
  });

  it('works with `docker volume`', { skip: existsSync(dockerBin) ? false : `no docker CLI at ${dockerBin}` }, async () => {
    assert.equal((await docker('volume', 'create', '--label', 'k=v', 'clivol')).stdout.trim(), 'clivol');
    const ls = (await docker('volume', 'ls', '--format', '{{.Driver}} {{.Name}}')).stdout.trim().split('\n');
    assert.ok(ls.includes('local clivol'), ls.join('|'));
    const insp = JSON.parse((await docker('volume', 'inspect', 'clivol')).stdout);
    assert.equal(insp[0].Name, 'clivol');
    assert.equal(insp[0].Labels.k, 'v');
    assert.equal((await docker('volume', 'rm', 'clivol')).stdout.trim(), 'clivol');
    await assert.rejects(docker('volume', 'inspect', 'clivol'), (e: { stderr: string }) => /no such volume/.test(e.stderr));
  });

  async function withBusybox(t: { skip(msg: string): void }): Promise<boolean> {
    const probe = await d.request('GET', '/containers/json');
    if (probe.status === 501) {
      t.skip('this daemon has no container service');
      return false;
    }
    const load = await d.request('POST', '/images/load?quiet=1', readFileSync(await busyboxTar()), { 'Content-Type': 'application/x-tar' });
    assert.equal(load.status, 200, load.text());
    return true;
  }

  async function createContainer(binds: string[], cmd: string[]): Promise<string> {
    const cr = await d.request('POST', '/containers/create', { Image: 'busybox:latest', Cmd: cmd, HostConfig: { Binds: binds } });
    assert.equal(cr.status, 201, cr.text());
    return cr.json().Id;
  }

  it('refuses to remove a volume a container uses, and the container writes into it', async (t) => {
    if (!(await withBusybox(t))) return;
    const v = (await d.request('POST', '/volumes/create', { Name: 'usedvol' })).json();
    const id = await createContainer(['usedvol:/data'], ['sh', '-c', 'echo hello > /data/f']);
    try {
      const rm = await d.request('DELETE', '/volumes/usedvol?force=1');
      assert.equal(rm.status, 409);
      assert.equal(rm.json().message, `remove usedvol: volume is in use - [${id}]`);
      const dangling = (await d.request('GET', `/volumes?filters=${q({ dangling: ['false'] })}`)).json();
      assert.deepEqual(dangling.Volumes.map((x: { Name: string }) => x.Name), ['usedvol']);
      assert.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
      const w = await d.request('POST', `/containers/${id}/wait`);
      assert.equal(w.json().StatusCode, 0);
      assert.equal(readFileSync(join(v.Mountpoint, 'f'), 'utf8'), 'hello\n');
    } finally {
      await d.request('DELETE', `/containers/${id}?force=1`);
    }
    assert.equal((await d.request('DELETE', '/volumes/usedvol')).status, 204);
  });

  it('creates a missing named volume when a container is created with it (VolumeMounter.ensure)', async (t) => {
    if (!(await withBusybox(t))) return;
    const id = await createContainer(['autovol:/data'], ['true']);
    try {
      const v = await d.request('GET', '/volumes/autovol');
      assert.equal(v.status, 200, 'the container service should call volumes.ensure() at create, as dockerd does');
    } finally {
      await d.request('DELETE', `/containers/${id}?force=1`);
      await d.request('DELETE', '/volumes/autovol?force=1');
    }
  });
});
