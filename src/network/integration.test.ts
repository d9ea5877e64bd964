/**
 * Root integration test of the bridge driver, NAT and DNS: three netns act as
 * containers (two on network A, one on B), one as an outside host. Skips without root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { openDatabase } from '../platform/sqlite.js';
import { run } from '../platform/exec.js';
import { NetworkManager } from './manager.js';
import { portRequests } from './ports.js';

const isRoot = process.getuid?.() === 0;
const sh = (cmd: string, args: string[]) => run(cmd, args, { allowFailure: true, timeoutMs: 10000 });
const inNs = (ns: string, ...args: string[]) => sh('ip', ['netns', 'exec', ns, '/bin/busybox', ...args]);
const ping = async (ns: string, addr: string) => (await inNs(ns, 'ping', '-c1', '-W1', addr)).code === 0;

test('bridge networks: connectivity, isolation, published ports, DNS, cleanup', { skip: !isRoot && 'needs root' }, async (t) => {
  const inst = `ht${randomBytes(2).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'hako-net-'));
  const x = randomInt(10, 250);
  const db = openDatabase(join(dir, 'state.db'));
  const mgr = new NetworkManager({ db, instance: inst, iptablesCompat: 'never', ipam: { bip: `10.213.${x}.1/24` },
    dns: { upstreams: [] } });
  const outNs = `${inst}-outside`;
  const outVeth = `${inst}o`;
  const procs: ChildProcess[] = [];
  const ids = [1, 2, 3].map(() => randomBytes(32).toString('hex'));
  t.after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await mgr.destroy().catch((e) => console.error('destroy', e));
    await sh('ip', ['link', 'del', outVeth]);
    await sh('ip', ['netns', 'del', outNs]);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await mgr.init();
  const a = await mgr.createNetwork({ name: 'neta', subnet: `10.214.${x}.0/24` });
  const b = await mgr.createNetwork({ name: 'netb', subnet: `10.215.${x}.0/24` });
  const ns = await Promise.all(ids.map((id) => mgr.createNetns(id)));
  const nsName = (i: number) => ns[i]!.replace('/run/netns/', '');
  const e1 = await mgr.connect(a.id, { containerId: ids[0]!, containerName: 'c1', netns: ns[0]! });
  const e2 = await mgr.connect(a.id, { containerId: ids[1]!, containerName: '/c2', netns: ns[1]!, aliases: ['web'] });
  const e3 = await mgr.connect(b.id, { containerId: ids[2]!, containerName: 'c3', netns: ns[2]! });
  assert.equal(e1.ip, `10.214.${x}.2`);
  assert.equal(e1.mac, `02:42:0a:d6:${x.toString(16).padStart(2, '0')}:02`);

  assert.ok(await ping(nsName(0), e2.ip), 'c1 -> c2 on the same network');
  assert.ok(await ping(nsName(0), a.gateway), 'c1 -> gateway');
  assert.ok(!(await ping(nsName(0), e3.ip)), 'c1 -> c3 across networks is dropped');

  // DNS on network A answers names of A's containers only.
  const look = await inNs(nsName(0), 'nslookup', 'web', a.gateway);
  assert.match(look.stdout, new RegExp(e2.ip.replace(/\./g, '\\.')));
  const miss = await inNs(nsName(0), 'nslookup', 'c3', a.gateway);
  assert.doesNotMatch(miss.stdout, new RegExp(e3.ip.replace(/\./g, '\\.')));

  // A web server in c2, published on a random host port.
  const www = join(dir, 'www');
  mkdirSync(www);
  writeFileSync(join(www, 'index.html'), 'hello from c2\n');
  const httpd = spawn('ip', ['netns', 'exec', nsName(1), '/bin/busybox', 'httpd', '-f', '-p', '80', '-h', www], { stdio: 'ignore' });
  procs.push(httpd);
  const [port] = await mgr.publish(ids[1]!, a.id, e2.ip, portRequests({ '80/tcp': [{ HostPort: '' }] }, [], false));
  assert.ok(port && port.hostPort >= 1024);
  await new Promise((r) => setTimeout(r, 300));
  const fromHost = await sh('curl', ['-s', '-m', '3', `http://127.0.0.1:${port.hostPort}/`]);
  assert.equal(fromHost.stdout, 'hello from c2\n', `host -> 127.0.0.1:${port.hostPort}: ${fromHost.stderr}`);

  // An outside host behind its own veth reaches the port at the host's address.
  await sh('ip', ['netns', 'add', outNs]);
  await run('ip', ['-batch', '-'], { input: [`link add ${outVeth} type veth peer name eth0 netns ${outNs}`,
    `addr add 10.216.${x}.1/30 dev ${outVeth}`, `link set ${outVeth} up`].join('\n') + '\n' });
  await run('ip', ['-n', outNs, '-batch', '-'], { input: ['link set lo up', `addr add 10.216.${x}.2/30 dev eth0`,
    'link set eth0 up', `route add default via 10.216.${x}.1`].join('\n') + '\n' });
  const fromOut = await sh('ip', ['netns', 'exec', outNs, 'curl', '-s', '-m', '3',
    `http://10.216.${x}.1:${port.hostPort}/`]);
  assert.equal(fromOut.stdout, 'hello from c2\n', `outside -> host port: ${fromOut.stderr}`);
  // Hairpin: c1 reaches c2 through the published port on the host address.
  const hairpin = await sh('ip', ['netns', 'exec', nsName(0), 'curl', '-s', '-m', '3', `http://10.216.${x}.1:${port.hostPort}/`]);
  assert.equal(hairpin.stdout, 'hello from c2\n', `hairpin: ${hairpin.stderr}`);

  // The port is refused to another container while held.
  await assert.rejects(mgr.publish(ids[0]!, a.id, e1.ip, portRequests({ '81/tcp': [{ HostPort: String(port.hostPort) }] }, [], false)),
    /port is already allocated/);

  // Teardown of a container, then of the networks, then of everything.
  await mgr.releaseContainer(ids[1]!);
  await assert.rejects(mgr.removeNetwork('netb'), /active endpoints/);
  await mgr.releaseContainer(ids[2]!);
  await mgr.removeNetwork('netb');
  await mgr.releaseContainer(ids[0]!);
  for (const id of ids) await mgr.deleteNetns(id);
  httpd.kill('SIGKILL');
  await mgr.destroy();
  await sh('ip', ['link', 'del', outVeth]);
  await sh('ip', ['netns', 'del', outNs]);
  const links = (await sh('ip', ['-o', 'link'])).stdout;
  assert.ok(!links.includes(inst), links);
  assert.ok(!(await sh('nft', ['list', 'tables'])).stdout.includes(inst));
  assert.ok(!(await sh('ip', ['netns', 'list'])).stdout.includes(inst));
});
