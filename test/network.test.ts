/**
 * Issue 3 acceptance: container networking driven by the stock docker CLI against a
 * private hakod. The article scenario (user bridge, --ip, ping by name, isolation from
 * the default bridge, nothing left on the host), published ports seen from the host,
 * from an "outside host" netns joined to the host by a veth pair over a private /30,
 * and from another network (hairpin); --internal; none/host/container: modes; DNS and
 * etc files; IPAM limits and restart; NET_ADMIN; coexistence with a dockerd that sets
 * the FORWARD policy to DROP; connect/disconnect of a running container.
 *
 * Every subnet is random and checked against the host's routes. No packet leaves for
 * an address outside this host's loopback, the test's bridges and its outside netns:
 * the daemon reads a resolv.conf without nameservers (HAKO_RESOLV_CONF), so its
 * embedded DNS forwards nothing, and no container on the default bridge resolves names.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { freePort, leftovers, must, runTool, sh, type ToolResult } from './helpers/clients.js';
import { DOCKERD, startDockerd, type Dockerd } from './helpers/dockerd.js';
import { DOCKER_BIN } from './helpers/docker-bin.js';

const DOCKER = DOCKER_BIN;
const skip = process.getuid?.() !== 0 ? 'requires root' : !existsSync(DOCKER) ? 'no docker CLI (looked in /usr/local/bin and /usr/bin)' : false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---- subnets: random 10.a.b.0/24, none overlapping a host route or each other ----
const toNum = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
function range(cidr: string): [number, number] {
  const [ip, len] = cidr.split('/');
  const size = 2 ** (32 - Number(len ?? 32));
  const lo = Math.floor(toNum(ip!) / size) * size;
  return [lo, lo + size - 1];
}
async function pickPrefixes(n: number): Promise<string[]> {
  const routes = (JSON.parse(await must('ip', ['-j', 'route'])) as { dst: string }[])
    .map((r) => r.dst).filter((d) => d !== 'default').map((d) => range(d.includes('/') ? d : `${d}/32`));
  const out: string[] = [];
  while (out.length < n) {
    const p = `10.${randomInt(100, 250)}.${randomInt(1, 255)}`;
    const [lo, hi] = range(`${p}.0/24`);
    if (routes.some(([a, b]) => a <= hi && lo <= b) || out.includes(p)) continue;
    out.push(p);
  }
  return out;
}

async function fetchText(url: string, timeoutMs = 3000): Promise<string> {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return r.text();
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}

/** rm returns before the host clean-up ends (it runs in the background): wait for it. */
async function noLeftovers(instance: string, o: Parameters<typeof leftovers>[1]): Promise<void> {
  let left: string[] = [];
  const end = Date.now() + 5000;
  while ((left = await leftovers(instance, o)).length && Date.now() < end) await sleep(100);
  assert.deepEqual(left, []);
}

const httpd = (text: string) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];

describe('networking with the docker CLI (issue 3)', { skip }, () => {
  let d: TestDaemon;
  let tmp: string;
  let pfx: string[] = [];
  // The "outside host": a netns joined to the host by a veth over a private /30.
  const tag = randomBytes(3).toString('hex');
  const outNs = `hnout-${tag}`;
  const outVeth = `hno${tag}`;
  let hostAddr = '';
  let outAddr = '';
  const procs: ChildProcess[] = [];
  const servers: Server[] = [];

  const docker = (args: string[], input?: string): Promise<ToolResult> =>
    runTool(DOCKER, ['-H', `unix://${d.socket}`, ...args], { input, env: { DOCKER_CONFIG: tmp }, timeoutMs: 60_000 });
  const ok = async (args: string[]) => {
    const r = await docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const fails = async (args: string[], re: RegExp) => {
    const r = await docker(args);
    assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail: ${r.stdout}`);
    assert.match(r.stderr, re);
    return r;
  };
  const ex = (c: string, cmd: string) => docker(['exec', c, 'sh', '-c', cmd]);
  const exOk = async (c: string, cmd: string) => {
    const r = await ex(c, cmd);
    assert.equal(r.code, 0, `exec ${c} ${cmd}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const pings = async (c: string, addr: string) => (await ex(c, `ping -c1 -W1 ${addr}`)).code === 0;
  const inspect = async (kind: 'container' | 'network', name: string) => JSON.parse(await ok([kind, 'inspect', name]))[0];
  const ipOf = async (c: string, net: string) => (await inspect('container', c)).NetworkSettings.Networks[net].IPAddress as string;
  const outside = (...args: string[]) => sh('ip', ['netns', 'exec', outNs, '/bin/busybox', ...args]);
  const outWget = async (url: string) => {
    // (busybox 1.35's wget -T segfaults: timeout(1) bounds it instead)
    const r = await outside('timeout', '3', '/bin/busybox', 'wget', '-qO-', url);
    return r.code === 0 ? r.stdout : undefined;
  };
  const rmAll = async () => {
    const ids = (await ok(['ps', '-aq'])).split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '-f', ...ids]);
    const nets = (await ok(['network', 'ls', '-q', '--filter', 'type=custom'])).split('\n').filter(Boolean);
    for (const n of nets) await docker(['network', 'rm', n]);
  };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'hako-nettest-'));
    const resolv = join(tmp, 'resolv.conf');
    writeFileSync(resolv, '# no nameserver: the embedded DNS forwards nothing\n');
    d = await startDaemon({ env: { HAKO_RESOLV_CONF: resolv } });
    await ok(['load', '-i', await busyboxTar()]);
    pfx = await pickPrefixes(14);
    const o = pfx[13]!;
    hostAddr = `${o}.1`;
    outAddr = `${o}.2`;
    await must('ip', ['netns', 'add', outNs]);
    await must('ip', ['link', 'add', outVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outNs]);
    await must('ip', ['addr', 'add', `${hostAddr}/30`, 'dev', outVeth]);
    await must('ip', ['link', 'set', outVeth, 'up']);
    await must('ip', ['-n', outNs, 'addr', 'add', `${outAddr}/30`, 'dev', 'eth0']);
    await must('ip', ['-n', outNs, 'link', 'set', 'eth0', 'up']);
    await must('ip', ['-n', outNs, 'link', 'set', 'lo', 'up']);
  });

  after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const s of servers) s.close();
    if (d) {
      await rmAll().catch(() => {});
      await d.stop();
    }
    await sh('ip', ['link', 'del', outVeth]);
    await sh('ip', ['netns', 'del', outNs]);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the article: user bridge, --ip, ping by name, isolation, inspect shapes, nothing left after rm', async () => {
    const x = pfx[0]!;
    const netId = (await ok(['network', 'create', '-d', 'bridge', '--subnet', `${x}.0/24`, 'my_bridge'])).trim();
    assert.match(netId, /^[0-9a-f]{64}$/);
    const c2 = (await ok(['run', '-itd', '--name', 'c2', '--net', 'my_bridge', 'busybox', 'sh'])).trim();
    const c3 = (await ok(['run', '-itd', '--name', 'c3', '--net', 'my_bridge', '--ip', `${x}.254`, 'busybox', 'sh'])).trim();
    const c1 = (await ok(['run', '-itd', '--name', 'c1', 'busybox', 'sh'])).trim();
    // glibc takes an all-digit hostname (a 12-hex id without a letter, 1 in ~280) for a bad
    // address and never reads /etc/hosts for it: docker's containers behave the same.
    if (/[a-f]/.test(c3.slice(0, 12))) assert.equal(await exOk('c3', 'hostname -i'), `${x}.254\n`);
    else assert.match(await exOk('c3', 'cat /etc/hosts'), new RegExp(`^${esc(x)}\\.254\\s+${c3.slice(0, 12)}`, 'm'));
    assert.match(await exOk('c3', 'ip route'), new RegExp(`^default via ${esc(x)}\\.1 dev eth0`));
    assert.match(await exOk('c2', 'ping -c1 -W2 c3'), new RegExp(`PING c3 \\(${esc(x)}\\.254\\)[^]*1 packets received`));
    assert.ok(!(await pings('c1', `${x}.254`)), 'the default bridge cannot reach c3');
    assert.ok(await pings('c2', `${x}.1`), 'c2 reaches its gateway');
    await fails(['run', '-d', '--name', 'c4', '--net', 'my_bridge', '--ip', `${x}.254`, 'busybox', 'sh'],
      /Error response from daemon: Address already in use/);
    await ok(['rm', '-f', 'c4']);

    const n = await inspect('network', 'my_bridge');
    assert.deepEqual(Object.keys(n), ['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable',
      'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels']);
    assert.deepEqual({ ...n, Created: undefined, Containers: undefined }, {
      Name: 'my_bridge', Id: netId, Created: undefined, Scope: 'local', Driver: 'bridge', EnableIPv6: false,
      IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: `${x}.0/24`, Gateway: `${x}.1` }] },
      Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
      Containers: undefined, Options: {}, Labels: {},
    });
    assert.ok(!Number.isNaN(Date.parse(n.Created)));
    assert.deepEqual(Object.keys(n.Containers).sort(), [c2, c3].sort());
    const macOf = (ip: string) => '02:42:' + ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join(':');
    assert.deepEqual({ ...n.Containers[c3], EndpointID: undefined }, { Name: 'c3', EndpointID: undefined,
      MacAddress: macOf(`${x}.254`), IPv4Address: `${x}.254/24`, IPv6Address: '' });

    const s3 = (await inspect('container', 'c3')).NetworkSettings;
    assert.deepEqual(Object.keys(s3.Networks), ['my_bridge']);
    const e3 = s3.Networks.my_bridge;
    assert.equal(e3.IPAddress, `${x}.254`);
    assert.equal(e3.Gateway, `${x}.1`);
    assert.equal(e3.IPPrefixLen, 24);
    assert.equal(e3.MacAddress, macOf(`${x}.254`));
    assert.equal(e3.NetworkID, netId);
    assert.equal(e3.EndpointID, n.Containers[c3].EndpointID);
    assert.deepEqual(e3.IPAMConfig, { IPv4Address: `${x}.254` });
    // dockerd fills the top-level fields from the default bridge only.
    assert.deepEqual([s3.IPAddress, s3.Gateway, s3.MacAddress, s3.EndpointID], ['', '', '', '']);
    const s1 = (await inspect('container', 'c1')).NetworkSettings;
    const bridge = await inspect('network', 'bridge');
    const gw = bridge.IPAM.Config[0].Gateway as string;
    const e1 = s1.Networks.bridge;
    assert.deepEqual(Object.keys(s1.Networks), ['bridge']);
    assert.equal(e1.Gateway, gw);
    assert.equal(e1.NetworkID, bridge.Id);
    assert.equal(e1.MacAddress, macOf(e1.IPAddress));
    assert.deepEqual([s1.IPAddress, s1.Gateway, s1.MacAddress, s1.EndpointID, s1.IPPrefixLen],
      [e1.IPAddress, gw, e1.MacAddress, e1.EndpointID, e1.IPPrefixLen]);
    assert.deepEqual(s1.Ports, {});
    assert.match(await exOk('c1', 'ip -o -4 addr show eth0'), new RegExp(`inet ${esc(e1.IPAddress)}/`));
    assert.ok(bridge.Containers[c1]);

    const brName = `${d.instance}-${netId.slice(0, 12)}`.slice(0, 15);
    assert.match(await must('ip', ['link', 'show', brName]), /state UP/);
    await ok(['rm', '-f', 'c1', 'c2', 'c3']);
    await ok(['network', 'rm', 'my_bridge']);
    await noLeftovers(d.instance, { containerIds: [c1, c2, c3], networkIds: [netId] });
    const rules = await must('nft', ['list', 'ruleset']);
    for (const s of [brName, `${x}.`]) assert.ok(!rules.includes(s), `nft still mentions ${s}`);
    const ipt = (await sh('iptables-save', [])).stdout;
    assert.ok(!ipt.includes(brName), 'iptables still mentions the bridge');
    assert.ok(!(await must('ip', ['route'])).includes(`${x}.0/24`), 'no route of the subnet');
  });

  it('published ports: from the host, the outside netns, another network (hairpin); -P; docker port; refusals; udp', async () => {
    const [a, b] = [pfx[1]!, pfx[2]!];
    await ok(['network', 'create', '--subnet', `${a}.0/24`, 'pa']);
    await ok(['network', 'create', '--subnet', `${b}.0/24`, 'pb']);
    const [p1, p2] = [await freePort(), await freePort()];
    await ok(['run', '-d', '--name', 'web', '--net', 'pa', '-p', `127.0.0.1:${p1}:80`, '-p', `${p2}:80`, 'busybox', ...httpd('hello-web')]);
    await ok(['run', '-itd', '--name', 'client', '--net', 'pb', 'busybox', 'sh']);
    assert.equal(await until('web answers', () => fetchText(`http://127.0.0.1:${p1}/`)), 'hello-web\n');
    assert.equal(await fetchText(`http://127.0.0.1:${p2}/`), 'hello-web\n');
    const port = await ok(['port', 'web']);
    assert.deepEqual(port.trim().split('\n').sort(), [`80/tcp -> 0.0.0.0:${p2}`, `80/tcp -> 127.0.0.1:${p1}`].sort());
    const ports = (await inspect('container', 'web')).NetworkSettings.Ports;
    assert.deepEqual(ports['80/tcp'].map((p: any) => `${p.HostIp}:${p.HostPort}`).sort(), [`0.0.0.0:${p2}`, `127.0.0.1:${p1}`].sort());

    assert.equal(await outWget(`http://${hostAddr}:${p2}/`), 'hello-web\n', 'outside -> host address:port');
    assert.equal(await outWget(`http://${hostAddr}:${p1}/`), undefined, 'a 127.0.0.1 binding is not reachable from outside');
    assert.equal(await exOk('client', `timeout 3 wget -qO- http://${hostAddr}:${p2}/`), 'hello-web\n', 'hairpin from another network');
    assert.equal(await exOk('web', `timeout 3 wget -qO- http://${hostAddr}:${p2}/`), 'hello-web\n', 'hairpin to itself');
    assert.ok(!(await pings('client', await ipOf('web', 'pa'))), 'the networks stay isolated apart from published ports');

    // -P publishes what is exposed on random ports.
    await ok(['run', '-d', '--name', 'webp', '--net', 'pa', '--expose', '80', '-P', 'busybox', ...httpd('hello-P')]);
    const pp = await ok(['port', 'webp', '80']);
    const m = /^0\.0\.0\.0:(\d+)\n/.exec(pp);
    assert.ok(m, pp);
    assert.equal(await until('webp answers', () => fetchText(`http://127.0.0.1:${m[1]}/`)), 'hello-P\n');

    // Taken host ports: by one of ours, by another program.
    const r1 = await fails(['run', '-d', '--name', 'dup', '-p', `${p2}:80`, 'busybox', 'sleep', '60'],
      new RegExp(`^docker: Error response from daemon: Bind for 0\\.0\\.0\\.0:${p2} failed: port is already allocated`));
    assert.equal(r1.code, 125);
    assert.equal((await inspect('container', 'dup')).State.Status, 'created');
    const p3 = await freePort();
    const srv = createServer();
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(p3, '0.0.0.0', r));
    await fails(['run', '-d', '--name', 'dup2', '-p', `${p3}:80`, 'busybox', 'sleep', '60'],
      new RegExp(`^docker: Error response from daemon: driver failed programming external connectivity on endpoint dup2 \\([0-9a-f]{64}\\): Error starting userland proxy: listen tcp4 0\\.0\\.0\\.0:${p3}: bind: address already in use`));
    srv.close();
    await ok(['rm', '-f', 'dup', 'dup2']);

    // udp: an echo server in the container's netns (busybox has no udp server).
    const pu = await freePort();
    await ok(['run', '-itd', '--name', 'udp', '--net', 'pa', '-p', `${pu}:5353/udp`, 'busybox', 'sh']);
    const sandbox = (await inspect('container', 'udp')).NetworkSettings.SandboxKey as string;
    const echo = spawn('nsenter', [`--net=${sandbox}`, process.execPath, '-e',
      `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(Buffer.concat([Buffer.from('echo:'),m]),r.port,r.address));s.bind(5353,()=>console.log('ready'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(echo);
    await new Promise<void>((r) => echo.stdout!.once('data', () => r()));
    const got = await new Promise<string>((resolve, reject) => {
      const s = createSocket('udp4');
      const t = setTimeout(() => { s.close(); reject(new Error('no udp answer')); }, 3000);
      s.on('message', (msg) => { clearTimeout(t); s.close(); resolve(msg.toString()); });
      s.send('ping', pu, '127.0.0.1');
    });
    assert.equal(got, 'echo:ping');
    assert.match(await ok(['port', 'udp']), new RegExp(`^5353/udp -> 0\\.0\\.0\\.0:${pu}$`, 'm'));
    echo.kill('SIGKILL');

    await ok(['rm', '-f', 'web', 'webp', 'client', 'udp']);
    await ok(['network', 'rm', 'pa', 'pb']);
    const rules = await must('nft', ['list', 'ruleset']);
    for (const p of [p1, p2, pu, Number(m[1])]) assert.doesNotMatch(rules, new RegExp(`dport ${p}\\b`));
  });

  it('--internal: no way out, containers on it reach each other', async () => {
    const [i, o] = [pfx[3]!, pfx[4]!];
    await ok(['network', 'create', '--internal', '--subnet', `${i}.0/24`, 'inet']);
    await ok(['network', 'create', '--subnet', `${o}.0/24`, 'onet']);
    assert.equal((await inspect('network', 'inet')).Internal, true);
    const p = await freePort();
    await ok(['run', '-d', '--name', 'pub', '--net', 'onet', '-p', `${p}:80`, 'busybox', ...httpd('hello-pub')]);
    await ok(['run', '-itd', '--name', 'i1', '--net', 'inet', 'busybox', 'sh']);
    await ok(['run', '-itd', '--name', 'i2', '--net', 'inet', 'busybox', 'sh']);
    await ok(['run', '-itd', '--name', 'o1', '--net', 'onet', 'busybox', 'sh']);
    assert.doesNotMatch(await exOk('i1', 'ip route'), /default/);
    assert.ok(await pings('i1', 'i2'), 'i1 -> i2 by name');
    assert.ok(await pings('i1', await ipOf('i2', 'inet')));
    assert.ok(await pings('o1', outAddr), 'control: a normal network reaches the outside netns');
    assert.ok(!(await pings('i1', outAddr)), 'internal -> outside netns');
    assert.ok(!(await pings('i1', `${o}.1`)), 'internal -> another network\'s gateway');
    assert.ok(!(await pings('i1', await ipOf('o1', 'onet'))), 'internal -> a container of another network');
    assert.ok((await ex('i1', `timeout 2 wget -qO- http://${hostAddr}:${p}/`)).code !== 0, 'internal -> a published port');
    // Even with a default route added by hand (NET_ADMIN), the host drops what leaves the bridge.
    await ok(['run', '-itd', '--name', 'i3', '--net', 'inet', '--cap-add', 'NET_ADMIN', 'busybox', 'sh']);
    await exOk('i3', `ip route add default via ${i}.1`);
    assert.ok(!(await pings('i3', outAddr)), 'internal with a default route -> outside netns');
    assert.ok(!(await pings('i3', await ipOf('o1', 'onet'))), 'internal with a default route -> another network');
    await ok(['rm', '-f', 'pub', 'i1', 'i2', 'i3', 'o1']);
    await ok(['network', 'rm', 'inet', 'onet']);
  });

  it('--network none, host and container:X', async () => {
    const none = await ok(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']);
    assert.deepEqual(none.trim().split('\n').map((l) => l.split(':')[1]!.trim()), ['lo']);
    const host = await ok(['run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link']);
    assert.match(host, new RegExp(`: ${outVeth}@`), 'the host network shows the host\'s links');
    await ok(['run', '-d', '--name', 'lsrv', 'busybox', 'sh', '-c',
      'mkdir -p /www && echo hello-lo > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www']);
    const got = await until('the shared netns answers', async () => {
      const r = await docker(['run', '--rm', '--network', 'container:lsrv', 'busybox', 'timeout', '2', 'wget', '-qO-', 'http://127.0.0.1:8080/']);
      return r.code === 0 && r.stdout;
    });
    assert.equal(got, 'hello-lo\n');
    const ns = (await inspect('container', 'lsrv')).State.Pid;
    await ok(['run', '-itd', '--name', 'joiner', '--network', 'container:lsrv', 'busybox', 'sh']);
    const jpid = (await inspect('container', 'joiner')).State.Pid;
    assert.equal(await must('readlink', [`/proc/${jpid}/ns/net`]), await must('readlink', [`/proc/${ns}/ns/net`]));
    await ok(['rm', '-f', 'lsrv', 'joiner']);
  });

  it('DNS and etc files: names, aliases, short ids on user networks; none on the default bridge; --add-host, --dns*', async () => {
    const n = pfx[5]!;
    await ok(['network', 'create', '--subnet', `${n}.0/24`, 'dnet']);
    const id1 = (await ok(['run', '-itd', '--name', 'd1', '--net', 'dnet', '--network-alias', 'web1', '--network-alias', 'db1', 'busybox', 'sh'])).trim();
    await ok(['run', '-itd', '--name', 'd2', '--net', 'dnet', 'busybox', 'sh']);
    const ip1 = await ipOf('d1', 'dnet');
    assert.match(await exOk('d2', 'cat /etc/resolv.conf'), new RegExp(`^nameserver ${esc(n)}\\.1$`, 'm'));
    for (const name of ['d1', 'web1', 'db1', id1.slice(0, 12)]) {
      const out = await exOk('d2', `nslookup ${name}`);
      assert.match(out, new RegExp(`Address: ${esc(ip1)}\\b`), `${name}: ${out}`);
      assert.ok(await pings('d2', name), `ping ${name}`);
    }
    // The default bridge: no embedded DNS, no names of other containers in /etc/hosts.
    await ok(['run', '-itd', '--name', 'b1', 'busybox', 'sh']);
    await ok(['run', '-itd', '--name', 'b2', '--add-host', 'a:1.2.3.4', '--add-host', 'h:host-gateway',
      '--dns', '10.1.2.3', '--dns-search', 'example.test', '--dns-option', 'ndots:3', 'busybox', 'sh']);
    const gw = (await inspect('network', 'bridge')).IPAM.Config[0].Gateway;
    const hosts = await exOk('b2', 'cat /etc/hosts');
    assert.match(hosts, /^1\.2\.3\.4\ta$/m);
    assert.match(hosts, new RegExp(`^${esc(gw)}\\th$`, 'm'));
    assert.doesNotMatch(hosts, /\bb1\b/);
    assert.equal(await exOk('b2', 'cat /etc/resolv.conf'), 'nameserver 10.1.2.3\nsearch example.test\noptions ndots:3\n');
    const look = await ex('b1', `nslookup -timeout=1 b2 ${gw}`);
    assert.notEqual(look.code, 0, `the default bridge's gateway answers no names: ${look.stdout}`);
    assert.doesNotMatch(look.stdout, new RegExp(esc(await ipOf('b2', 'bridge'))));
    await ok(['rm', '-f', 'd1', 'd2', 'b1', 'b2']);
    await ok(['network', 'rm', 'dnet']);
  });

  it('IPAM: an exhausted /30 refuses the next container; addresses survive a daemon restart without reuse', async () => {
    const s = pfx[6]!;
    const netId = (await ok(['network', 'create', '--subnet', `${s}.0/30`, 'tiny'])).trim();
    await ok(['run', '-itd', '--name', 't1', '--net', 'tiny', 'busybox', 'sh']);
    assert.equal(await ipOf('t1', 'tiny'), `${s}.2`);
    await fails(['run', '-itd', '--name', 't2', '--net', 'tiny', 'busybox', 'sh'],
      new RegExp(`Error response from daemon: no available IPv4 addresses on this network's address pools: tiny \\(${netId}\\)`));
    await ok(['rm', '-f', 't1', 't2']);
    await ok(['network', 'rm', 'tiny']);

    // A second daemon of our own: stopped without teardown, started again on the same state.
    const dataRoot = mkdtempSync(join(tmpdir(), 'hako-netrestart-'));
    const execRoot = mkdtempSync(join(tmpdir(), 'hako-netrestart-run-'));
    const inst = `tr${randomBytes(3).toString('hex')}`;
    const args = ['--instance', inst, '--exec-root', execRoot];
    const r = pfx[7]!;
    let d2: TestDaemon | undefined;
    const dk = (args2: string[]) => runTool(DOCKER, ['-H', `unix://${d2!.socket}`, ...args2], { env: { DOCKER_CONFIG: tmp }, timeoutMs: 60_000 });
    const dok = async (args2: string[]) => {
      const x = await dk(args2);
      assert.equal(x.code, 0, `docker ${args2.join(' ')}: ${x.stderr}`);
      return x.stdout;
    };
    const ipIn = async (c: string) => JSON.parse(await dok(['inspect', c]))[0].NetworkSettings.Networks.rnet.IPAddress;
    let ids: string[] = [];
    let netId2 = '';
    try {
      d2 = await startDaemon({ dataRoot, args, env: { HAKO_TEARDOWN_ON_EXIT: '0', HAKO_RESOLV_CONF: join(tmp, 'resolv.conf') } });
      await dok(['load', '-i', await busyboxTar()]);
      netId2 = (await dok(['network', 'create', '--subnet', `${r}.0/24`, 'rnet'])).trim();
      ids.push((await dok(['run', '-itd', '--name', 'r1', '--net', 'rnet', 'busybox', 'sh'])).trim());
      ids.push((await dok(['run', '-itd', '--name', 'r2', '--net', 'rnet', 'busybox', 'sh'])).trim());
      assert.deepEqual([await ipIn('r1'), await ipIn('r2')], [`${r}.2`, `${r}.3`]);
      await d2.stop();
      d2 = await startDaemon({ dataRoot, args, env: { HAKO_RESOLV_CONF: join(tmp, 'resolv.conf') } });
      assert.deepEqual([await ipIn('r1'), await ipIn('r2')], [`${r}.2`, `${r}.3`]);
      ids.push((await dok(['run', '-itd', '--name', 'r3', '--net', 'rnet', 'busybox', 'sh'])).trim());
      assert.equal(await ipIn('r3'), `${r}.4`);
      const p = await dk(['exec', 'r3', 'ping', '-c1', '-W2', 'r1']);
      assert.equal(p.code, 0, `r3 -> r1 after the restart: ${p.stdout}${p.stderr}`);
      await dok(['rm', '-f', 'r1', 'r2', 'r3']);
      await dok(['network', 'rm', 'rnet']);
      await noLeftovers(inst, { containerIds: ids, networkIds: [netId2] });
    } finally {
      if (d2) {
        await dk(['rm', '-f', 'r1', 'r2', 'r3']).catch(() => {});
        await dk(['network', 'rm', 'rnet']).catch(() => {});
        await d2.stop();
      }
      rmSync(dataRoot, { recursive: true, force: true });
      rmSync(execRoot, { recursive: true, force: true });
    }
  });

  it('--cap-add NET_ADMIN changes only the container\'s netns; without it permission is denied', async () => {
    const link = `hk${randomBytes(3).toString('hex')}`;
    const dst = `${pfx[8]!}.0/24`;
    await ok(['run', '-itd', '--name', 'adm', '--cap-add', 'NET_ADMIN', 'busybox', 'sh']);
    await exOk('adm', `ip link add ${link} type bridge && ip link set ${link} up && ip route add ${dst} dev ${link}`);
    assert.match(await exOk('adm', 'ip -o link'), new RegExp(`: ${link}:`));
    assert.match(await exOk('adm', 'ip route'), new RegExp(`^${esc(dst)} dev ${link}`, 'm'));
    assert.equal((await sh('ip', ['link', 'show', link])).code, 1, 'the host has no such link');
    assert.ok(!(await must('ip', ['route'])).includes(dst), 'the host has no such route');
    const r = await docker(['run', '--rm', 'busybox', 'sh', '-c', `ip link add ${link} type bridge`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Operation not permitted/);
    const r2 = await docker(['run', '--rm', 'busybox', 'sh', '-c', `ip route add ${dst} via 127.0.0.1 dev lo`]);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /Operation not permitted/);
    await ok(['rm', '-f', 'adm']);
  });

  it('network connect/disconnect of a running container', async () => {
    const [a, b] = [pfx[10]!, pfx[11]!];
    await ok(['network', 'create', '--subnet', `${a}.0/24`, 'ca']);
    await ok(['network', 'create', '--subnet', `${b}.0/24`, 'cb']);
    await ok(['run', '-itd', '--name', 'm1', '--net', 'ca', 'busybox', 'sh']);
    await ok(['run', '-itd', '--name', 'm2', '--net', 'cb', 'busybox', 'sh']);
    const ip2 = await ipOf('m2', 'cb');
    assert.ok(!(await pings('m1', ip2)));
    await ok(['network', 'connect', '--alias', 'mm', 'cb', 'm1']);
    const ip1b = await ipOf('m1', 'cb');
    assert.match(await exOk('m1', 'ip -o -4 addr show eth1'), new RegExp(`inet ${esc(ip1b)}/24`));
    assert.ok(await pings('m1', ip2), 'm1 reaches m2 over its new interface');
    assert.ok(await pings('m2', 'mm'), 'the alias given at connect resolves');
    const n = await inspect('network', 'cb');
    assert.equal(Object.keys(n.Containers).length, 2);
    await ok(['network', 'disconnect', 'cb', 'm1']);
    assert.notEqual((await ex('m1', 'ip link show eth1')).code, 0, 'eth1 is gone');
    assert.ok(!(await pings('m1', ip2)));
    assert.deepEqual(Object.keys((await inspect('container', 'm1')).NetworkSettings.Networks), ['ca']);
    assert.ok(await pings('m1', `${a}.1`), 'eth0 still works');
    await ok(['rm', '-f', 'm1', 'm2']);
    await ok(['network', 'rm', 'ca', 'cb']);
  });

  it('coexists with a dockerd that sets the FORWARD policy to DROP', async (t) => {
    if (!existsSync(DOCKERD)) return t.skip(`no dockerd at ${DOCKERD}`);
    const running = await sh('pgrep', ['-x', 'dockerd']);
    if (running.code === 0) return t.skip(`another dockerd runs on this host (pid ${running.stdout.trim()}): its iptables rules are not ours to touch`);
    const u = pfx[12]!;
    await ok(['network', 'create', '--subnet', `${u}.0/24`, 'unet']);
    const p = await freePort();
    await ok(['run', '-itd', '--name', 'k1', 'busybox', 'sh']);
    await ok(['run', '-d', '--name', 'k2', '-p', `${p}:80`, 'busybox', ...httpd('hello-k2')]);
    await ok(['run', '-itd', '--name', 'k3', '--net', 'unet', 'busybox', 'sh']);
    await ok(['run', '-itd', '--name', 'k4', '--net', 'unet', 'busybox', 'sh']);
    assert.equal(await until('k2 answers', () => outWget(`http://${hostAddr}:${p}/`)), 'hello-k2\n');

    const chains = async () => {
      const out: string[] = [];
      for (const table of ['filter', 'nat']) {
        for (const l of (await sh('iptables', ['-t', table, '-S'])).stdout.split('\n')) {
          const m = /^-N (\S+)$/.exec(l);
          if (m) out.push(`${table} ${m[1]}`);
        }
      }
      return out;
    };
    const policy = async () => /^-P FORWARD (\S+)$/m.exec((await sh('iptables', ['-S', 'FORWARD'])).stdout)?.[1] ?? 'ACCEPT';
    const before = new Set(await chains());
    const policyBefore = await policy();
    let dockerd: Dockerd | undefined;
    let setByUs = false;
    try {
      dockerd = await startDockerd(60_000, { iptables: true });
      assert.match(await must('iptables', ['-S', 'FORWARD']), /-j DOCKER-USER/, 'dockerd installed its chains');
      if ((await policy()) !== 'DROP') {
        // dockerd sets DROP only when it turns ip_forward on itself; here it is already on.
        await must('iptables', ['-P', 'FORWARD', 'DROP']);
        setByUs = true;
      }
      t.diagnostic(`FORWARD policy DROP set by ${setByUs ? 'the test (ip_forward was already on)' : 'dockerd'}`);
      // A firewall change of ours after dockerd's start, then the checks.
      await ok(['run', '-itd', '--name', 'k5', '--net', 'unet', 'busybox', 'sh']);
      assert.ok(await pings('k1', await ipOf('k2', 'bridge')), 'default bridge: k1 -> k2');
      assert.ok(await pings('k3', 'k4'), 'user network: k3 -> k4');
      assert.ok(await pings('k5', 'k3'), 'user network: k5 -> k3');
      assert.ok(await pings('k3', outAddr), 'user network -> the outside netns');
      assert.ok(await pings('k1', outAddr), 'default bridge -> the outside netns');
      assert.equal(await outWget(`http://${hostAddr}:${p}/`), 'hello-k2\n', 'published port from the outside netns');
      assert.equal(await exOk('k3', `timeout 3 wget -qO- http://${hostAddr}:${p}/`), 'hello-k2\n', 'hairpin from a user network');
    } finally {
      await dockerd?.stop();
      if ((await policy()) !== policyBefore) await sh('iptables', ['-P', 'FORWARD', policyBefore]);
      const made = (await chains()).filter((c) => !before.has(c) && /^\S+ DOCKER/.test(c));
      for (const table of ['filter', 'nat']) {
        const mine = new Set(made.filter((c) => c.startsWith(`${table} `)).map((c) => c.split(' ')[1]));
        if (!mine.size) continue;
        // Jumps into dockerd's chains from chains that stay (FORWARD, PREROUTING, OUTPUT).
        for (const l of (await sh('iptables', ['-t', table, '-S'])).stdout.split('\n')) {
          const m = /^-A (\S+) (.*-j (\S+).*)$/.exec(l);
          if (m && mine.has(m[3]!) && !mine.has(m[1]!)) await sh('sh', ['-c', `iptables -t ${table} -D ${m[1]} ${m[2]}`]);
        }
        for (const c of mine) await sh('iptables', ['-t', table, '-F', c!]);
        for (const c of mine) await sh('iptables', ['-t', table, '-X', c!]);
      }
    }
    // Only dockerd's: other test daemons running alongside add their own <INSTANCE>-FORWARD.
    assert.deepEqual((await chains()).filter((c) => !before.has(c) && /^\S+ DOCKER/.test(c)), [], 'dockerd\'s chains are removed');
    assert.equal(await policy(), policyBefore);
    await ok(['rm', '-f', 'k1', 'k2', 'k3', 'k4', 'k5']);
    await ok(['network', 'rm', 'unet']);
  });
});
