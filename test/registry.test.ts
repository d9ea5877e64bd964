/**
 * Pull and push against a real docker-registry on loopback: plain http (127.0.0.0/8
 * is insecure by default), TLS on [::1] verified with a CA from the certs dir, htpasswd
 * basic auth and bearer tokens; cross-checked with skopeo and the docker CLI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Client } from '../src/client/client.js';
import type { Command, Ctx } from '../src/cli/command.js';
import type { FlagValues } from '../src/cli/flags.js';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';
import { DOCKER_BIN } from './helpers/docker-bin.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const lines = (t: string) => t.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, any>);
const statuses = (t: string) => lines(t).map((m) => (m.id ? `${m.id}: ` : '') + (m.status ?? ''));
const authHeader = (a: object) => ({ 'X-Registry-Auth': Buffer.from(JSON.stringify(a)).toString('base64url') });
const enc = encodeURIComponent;

describe('registry pull and push', { skip: isRoot ? false : 'requires root: hakod refuses to start otherwise' }, () => {
  let d: TestDaemon;
  let certsDir: string;
  let busyboxId: string;
  const registries: TestRegistry[] = [];

  before(async () => {
    certsDir = mkdtempSync(join(tmpdir(), 'hako-certs-'));
    process.env.HAKO_CERTS_DIR = certsDir;
    d = await startDaemon();
    const load = await d.request('POST', '/images/load', readFileSync(await busyboxTar()), { 'Content-Type': 'application/x-tar' });
    assert.equal(load.status, 200, load.text());
    busyboxId = (await d.request('GET', '/images/busybox:latest/json')).json().Id;
  });
  after(async () => {
    await d?.stop();
    for (const r of registries) await r.stop();
    rmSync(certsDir, { recursive: true, force: true });
    delete process.env.HAKO_CERTS_DIR;
  });

  const tag = async (repo: string, t = 'latest') => {
    const r = await d.request('POST', `/images/busybox:latest/tag?repo=${enc(repo)}&tag=${t}`);
    assert.equal(r.status, 201, r.text());
  };
  const push = (name: string, t = 'latest', h: Record<string, string> = {}) => d.request('POST', `/images/${name}/push?tag=${t}`, undefined, h);
  const pull = (name: string, t = 'latest', h: Record<string, string> = {}, extra = '') =>
    d.request('POST', `/images/create?fromImage=${enc(name)}&tag=${enc(t)}${extra}`, undefined, h);
  const rmi = (name: string) => d.request('DELETE', `/images/${name}?force=1`);

  it('pushes to and pulls from a plain-http registry, keeping the image ID', async () => {
    const reg = await startRegistry();
    registries.push(reg);
    const repo = `${reg.host}/busybox`;
    await tag(repo);
    const p = await push(repo);
    assert.equal(p.status, 200, p.text());
    const msgs = lines(p.text());
    assert.ok(!msgs.some((m) => m.error), p.text());
    assert.equal(msgs[0]!.status, `The push refers to repository [${repo}]`);
    assert.ok(statuses(p.text()).some((s) => /: Pushed$/.test(s)), p.text());
    const aux = msgs.find((m) => m.aux)!.aux;
    assert.equal(aux.Tag, 'latest');
    assert.match(aux.Digest, /^sha256:[0-9a-f]{64}$/);
    assert.ok(msgs.some((m) => m.status === `latest: digest: ${aux.Digest} size: ${aux.Size}`));

    const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${repo}:latest`]);
    assert.equal(JSON.parse(stdout).Digest, aux.Digest);

    const again = await push(repo);
    assert.ok(statuses(again.text()).some((s) => /: Layer already exists$/.test(s)), again.text());
    assert.equal(lines(again.text()).find((m) => m.aux)!.aux.Digest, aux.Digest, 're-push gives the same digest');

    assert.equal((await rmi(repo)).status, 200);
    assert.equal((await rmi('busybox:latest')).status, 200);
    const pl = await pull(repo);
    assert.equal(pl.status, 200, pl.text());
    const st = statuses(pl.text());
    assert.equal(st[0], 'latest: Pulling from busybox');
    for (const want of [/: Pulling fs layer$/, /: Verifying Checksum$/, /: Download complete$/, /: Pull complete$/]) {
      assert.ok(st.some((s) => want.test(s)), `${want} in ${st.join(' | ')}`);
    }
    assert.ok(st.includes(`Digest: ${aux.Digest}`), st.join(' | '));
    assert.ok(st.includes(`Status: Downloaded newer image for ${repo}:latest`), st.join(' | '));
    const img = (await d.request('GET', `/images/${repo}:latest/json`)).json();
    assert.equal(img.Id, busyboxId, 'same image ID after push and pull');
    assert.deepEqual(img.RepoDigests, [`${repo}@${aux.Digest}`]);

    const up = await pull(repo);
    assert.ok(statuses(up.text()).includes(`Status: Image is up to date for ${repo}:latest`), up.text());
    assert.equal((await d.request('POST', `/images/${repo}:latest/tag?repo=busybox&tag=latest`)).status, 201);

    // another repository on the same registry: the layer is mounted, not uploaded
    const other = `${reg.host}/mirror/busybox`;
    await tag(other);
    const m = await push(other);
    assert.ok(statuses(m.text()).some((s) => /: Mounted from busybox$/.test(s)), m.text());
  });

  it('answers docker\'s 404s for unknown repositories and tags', async () => {
    const reg = registries[0]!;
    const a = await pull(`${reg.host}/nope`);
    assert.equal(a.status, 404);
    // distribution 2.8 answers MANIFEST_UNKNOWN for an unknown repository too; dockerd words it so
    assert.equal(a.json().message, `manifest for ${reg.host}/nope:latest not found: manifest unknown: manifest unknown`);
    const b = await pull(`${reg.host}/busybox`, 'nope');
    assert.equal(b.status, 404);
    assert.equal(b.json().message, `manifest for ${reg.host}/busybox:nope not found: manifest unknown: manifest unknown`);
    const c = await push(`${reg.host}/absent`);
    assert.match(c.text(), /An image does not exist locally with the tag: .*absent/);
  });

  it('picks the platform of a manifest list and pulls zstd layers', async () => {
    const reg = registries[0]!;
    const man = await fetch(`http://${reg.host}/v2/busybox/manifests/latest`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    const body = Buffer.from(await man.arrayBuffer());
    const digest = man.headers.get('docker-content-digest')!;
    const entry = (arch: string) => ({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', size: body.length, digest,
      platform: { os: 'linux', architecture: arch } });
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [entry('arm64'), entry('amd64')] };
    const put = await fetch(`http://${reg.host}/v2/busybox/manifests/multi`, { method: 'PUT', body: JSON.stringify(index),
      headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(put.status, 201);
    const ok = await pull(`${reg.host}/busybox`, 'multi', {}, '&platform=linux/amd64');
    assert.ok(statuses(ok.text()).some((s) => s.startsWith('Status: ')), ok.text());
    assert.equal((await d.request('GET', `/images/${reg.host}/busybox:multi/json`)).json().Id, busyboxId);
    const bad = await pull(`${reg.host}/busybox`, 'multi', {}, '&platform=linux/s390x');
    assert.equal(bad.status, 404);
    assert.equal(bad.json().message, 'no matching manifest for linux/s390x in the manifest list entries');

    await run('skopeo', ['copy', '--quiet', '--format', 'oci', '--dest-compress-format', 'zstd', '--dest-tls-verify=false',
      `docker-archive:${await busyboxTar()}`, `docker://${reg.host}/zbusybox:latest`]);
    for (const im of (await d.request('GET', '/images/json')).json()) assert.equal((await rmi(im.Id)).status, 200);
    const z = await pull(`${reg.host}/zbusybox`);
    assert.ok(statuses(z.text()).some((s) => /: Pull complete$/.test(s)), z.text());
    const zi = (await d.request('GET', `/images/${reg.host}/zbusybox/json`)).json();
    const load = await d.request('POST', '/images/load', readFileSync(await busyboxTar()), { 'Content-Type': 'application/x-tar' });
    assert.equal(load.status, 200, load.text());
    assert.deepEqual(zi.RootFS.Layers, (await d.request('GET', `/images/${busyboxId}/json`)).json().RootFS.Layers);
  });

  it('works with the docker CLI', async (t) => {
    if (!existsSync(DOCKER_BIN)) return t.skip('no docker CLI');
    const reg = registries[0]!;
    const docker = (...args: string[]) => run(DOCKER_BIN, ['-H', `unix://${d.socket}`, ...args], { env: { ...process.env, DOCKER_CONFIG: d.tmp } });
    await rmi(`${reg.host}/busybox:latest`);
    const p = await docker('pull', `${reg.host}/busybox:latest`);
    assert.match(p.stdout, /Pull complete|Already exists/);
    assert.match(p.stdout, /Status: Downloaded newer image for/);
    await tag(`${reg.host}/cli/busybox`);
    const q = await docker('push', `${reg.host}/cli/busybox:latest`);
    assert.match(q.stdout, /latest: digest: sha256:[0-9a-f]{64} size: \d+/);
  });

  it('verifies TLS with the CA from the certs dir', async () => {
    const reg = await startRegistry({ ipv6: true, tls: true });
    registries.push(reg);
    const repo = `${reg.host}/busybox`;
    await tag(repo);
    const refused = await push(repo);
    assert.match(refused.text(), /certificate/, 'no CA yet: the certificate is refused');
    mkdirSync(join(certsDir, reg.host), { recursive: true });
    writeFileSync(join(certsDir, reg.host, 'ca.crt'), reg.caPem!);
    const p = await push(repo);
    assert.ok(statuses(p.text()).some((s) => /: Pushed$/.test(s)), p.text());
    await rmi(`${repo}:latest`);
    const pl = await pull(repo);
    assert.ok(statuses(pl.text()).some((s) => s.startsWith('Status: Downloaded newer image')), pl.text());
  });

  for (const kind of ['basic', 'bearer'] as const) {
    it(`authenticates with ${kind} auth`, async () => {
      const creds = { user: 'hako', password: 's3cret' };
      const reg = await startRegistry({ [kind]: creds });
      registries.push(reg);
      const repo = `${reg.host}/private/busybox`;
      await tag(repo);
      const anon = await push(repo);
      assert.match(lines(anon.text()).find((m) => m.error)?.error ?? '', /unauthorized|authentication required/, anon.text());
      const bad = await d.request('POST', '/auth', { username: 'hako', password: 'wrong', serveraddress: reg.host });
      assert.equal(bad.status, 401, bad.text());
      const good = await d.request('POST', '/auth', { username: 'hako', password: 's3cret', serveraddress: `http://${reg.host}/v2/` });
      assert.equal(good.status, 200, good.text());
      assert.equal(good.json().Status, 'Login Succeeded');
      const auth = authHeader({ username: 'hako', password: 's3cret', serveraddress: reg.host });
      const p = await push(repo, 'latest', auth);
      assert.ok(statuses(p.text()).some((s) => /: Pushed$/.test(s)), p.text());
      await rmi(`${repo}:latest`);
      const denied = await pull(repo);
      assert.equal(denied.status, 404);
      assert.match(denied.json().message, /pull access denied|may require 'docker login'/);
      const pl = await pull(repo, 'latest', auth);
      assert.ok(statuses(pl.text()).some((s) => s.startsWith('Status: ')), pl.text());
      assert.equal((await d.request('GET', `/images/${repo}:latest/json`)).json().Id, busyboxId);
      if (kind === 'bearer') assert.ok(reg.tokenRequests > 0);
    });
  }

  it('hako login stores credentials that hako pull and push send; logout drops them', async () => {
    const reg = await startRegistry({ basic: { user: 'cli', password: 'pw' } });
    registries.push(reg);
    const cfgDir = mkdtempSync(join(tmpdir(), 'hako-cli-'));
    process.env.HAKO_CONFIG = cfgDir;
    const cli = async (name: string, args: string[], flags: FlagValues = {}, stdin = '') => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (b: Buffer) => (text += b.toString()));
      const ctx = { client: new Client(`unix://${d.socket}`), host: `unix://${d.socket}`, out, err: out,
        stdin: Readable.from([Buffer.from(stdin)]), debug: false, path: name } as unknown as Ctx;
      const cmd = (await import(`../src/cli/commands/${name}.js`) as { default: Command }).default;
      await cmd.run(ctx, args, flags);
      return text;
    };
    try {
      const repo = `${reg.host}/cli/busybox`;
      await tag(repo);
      await assert.rejects(cli('push', [repo]), /unauthorized|authentication required/);
      assert.match(await cli('login', [reg.host], { username: 'cli', 'password-stdin': true }, 'pw\n'), /Login Succeeded/);
      const saved = JSON.parse(readFileSync(join(cfgDir, 'config.json'), 'utf8'));
      assert.equal(saved.auths[reg.host].auth, Buffer.from('cli:pw').toString('base64'));
      assert.match(await cli('push', [repo]), /latest: digest: sha256:[0-9a-f]{64} size: \d+/);
      await rmi(`${repo}:latest`);
      assert.match(await cli('pull', [repo]), new RegExp(`Status: Downloaded newer image for ${repo}:latest\n${repo}:latest`));
      assert.match(await cli('logout', [reg.host]), /Removing login credentials/);
      await rmi(`${repo}:latest`);
      await assert.rejects(cli('pull', [repo]), /pull access denied|manifest unknown|unauthorized/);
    } finally {
      delete process.env.HAKO_CONFIG;
      rmSync(cfgDir, { recursive: true, force: true });
    }
  });
});
