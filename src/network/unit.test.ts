/** Logic tests over the fakes: no root, no host changes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { FakeIp } from '../platform/ip.js';
import { FakeFirewall, parseTableEvent } from '../platform/nft.js';
import { macFromIp, parseCidr, formatCidr } from './addr.js';
import { Ipam } from './ipam.js';
import { NetworkStore, type NetworkRow } from './store.js';
import { renderIptablesChain, renderTable } from './nat.js';
import { assignPorts, portRequests } from './ports.js';
import { bridgeName, isOurVeth, vethName } from './names.js';
import { buildQuery, buildResponse, parseAnswers, parseQuery } from './dnsmsg.js';
import { hostsFile, resolvFile } from './etcfiles.js';
import { NetworkManager } from './manager.js';
import { bridgeMac } from './bridge.js';

const net = (over: Partial<NetworkRow> = {}): NetworkRow => ({ id: 'n1', name: 'n1', driver: 'bridge', created: '',
  internal: false, attachable: false, builtin: false, bridge: 'hako-n1', subnet: '10.9.0.0/29', gateway: '10.9.0.1',
  ipRange: '', userSubnet: true, options: {}, labels: {}, ipamOptions: {}, ...over });

test('names: bridges, veths, IFNAMSIZ', () => {
  assert.equal(bridgeName('hako', 'x', true), 'hako0');
  assert.equal(bridgeName('hako', 'abcdef0123456789', false), 'hako-abcdef0123');
  assert.equal(bridgeName('hako', 'abcdef0123456789', false).length, 15);
  const v = vethName('hako');
  assert.match(v, /^hakov[0-9a-f]{7}$/);
  assert.ok(isOurVeth('hako', v) && !isOurVeth('hakox', v) && !isOurVeth('hako', 'hakovv1234567'));
  assert.ok(vethName('averylonginstancename').length <= 15);
  assert.equal(macFromIp('172.17.0.2'), '02:42:ac:11:00:02');
});

test('ipam: gateway reserved, no duplicates across restarts, --ip, range, exhaustion', () => {
  const db = new Database(':memory:');
  const store = new NetworkStore(db);
  const n = net();
  store.insertNetwork(n);
  const ipam = new Ipam(store);
  ipam.reserveGateway(n);
  assert.equal(ipam.allocate(n, 'a'), '10.9.0.2');
  assert.equal(new Ipam(new NetworkStore(db)).allocate(n, 'b'), '10.9.0.3'); // a "restarted" daemon
  assert.equal(ipam.allocate(n, 'c', '10.9.0.6'), '10.9.0.6');
  assert.throws(() => ipam.allocate(n, 'd', '10.9.0.6'), /Address already in use/);
  assert.throws(() => ipam.allocate(n, 'd', '10.9.1.6'), /does not belong/);
  assert.equal(ipam.allocate(n, 'd'), '10.9.0.4');
  assert.equal(ipam.allocate(n, 'e'), '10.9.0.5');
  assert.throws(() => ipam.allocate(n, 'f'), /no available IPv4 addresses/);
  ipam.release(n.id, 'b');
  assert.equal(ipam.allocate(n, 'f'), '10.9.0.3');
  const r = net({ id: 'n2', name: 'n2', subnet: '10.8.0.0/24', gateway: '10.8.0.1', ipRange: '10.8.0.128/25' });
  store.insertNetwork(r);
  assert.equal(ipam.allocate(r, 'x'), '10.8.0.128');
  assert.throws(() => ipam.allocate(net({ userSubnet: false }), 'y', '10.9.0.7'), /user configured subnets/);
});

test('ipam: default pools skip host routes and our subnets; --bip; validation', () => {
  const store = new NetworkStore(new Database(':memory:'));
  const ipam = new Ipam(store);
  const p = ipam.plan({}, ['172.17.0.0/16', '10.88.0.0/16', '192.0.2.0/24']);
  assert.deepEqual(p, { subnet: '172.18.0.0/16', gateway: '172.18.0.1', ipRange: '', userSubnet: false });
  store.insertNetwork(net({ subnet: p.subnet }));
  assert.equal(ipam.plan({}, ['172.17.0.0/16']).subnet, '172.19.0.0/16');
  const all = ['172.16.0.0/12'];
  assert.equal(ipam.plan({}, all).subnet, '192.168.0.0/20');
  assert.equal(new Ipam(store, { bip: '10.50.0.1/24' }).plan({}, [], true).gateway, '10.50.0.1');
  assert.throws(() => ipam.plan({ subnet: '172.18.5.0/24' }, []), /overlaps/);
  assert.throws(() => ipam.plan({ subnet: '10.1.0.0/24', gateway: '10.2.0.1' }, []), /gateway/);
  assert.equal(ipam.plan({ subnet: '10.1.0.7/24' }, []).subnet, '10.1.0.0/24');
  assert.equal(formatCidr(parseCidr('10.1.2.3/8')), '10.0.0.0/8');
});

test('nat: one table with masquerade, isolation, internal, DNAT; iptables chain', () => {
  const s = renderTable('hako', [{ bridge: 'hako0', subnet: '172.18.0.0/16', internal: false },
    { bridge: 'hako-x', subnet: '10.1.0.0/24', internal: true }],
  [{ proto: 'udp', hostIp: '', hostPort: 53, containerIp: '172.18.0.2', containerPort: 5353 }]);
  assert.match(s, /^table ip hako \{\}\ndelete table ip hako\n/);
  assert.match(s, /udp dport 53 dnat to 172\.18\.0\.2:5353/);
  assert.match(s, /oifname != "hako0" ip saddr 172\.18\.0\.0\/16 masquerade/);
  assert.doesNotMatch(s, /oifname != "hako-x" ip saddr 10\.1\.0\.0\/24 masquerade/);
  assert.match(s, /iifname "hako-x" oifname != "hako-x" drop/);
  assert.match(s, /oifname "hako0" ip saddr 127\.0\.0\.0\/8 masquerade/);
  const ipt = renderIptablesChain('HAKO-FORWARD', [{ bridge: 'hako0', subnet: '', internal: false }]);
  assert.match(ipt, /:HAKO-FORWARD - \[0:0\]\n-A HAKO-FORWARD -i hako0 -j ACCEPT/);
});

test('ports: explicit, ranges, random, conflicts with bindings and sockets', () => {
  const reqs = portRequests({ '80/tcp': [{ HostPort: '8080' }], '53/udp': [{ HostIp: '::', HostPort: '53' }] }, ['443/tcp'], true);
  assert.deepEqual(reqs.map((r) => `${r.containerPort}/${r.proto}:${r.hostPort}`), ['80/tcp:8080', '443/tcp:']);
  const got = assignPorts(reqs, [], [], [40000, 40010]);
  assert.equal(got[0]!.port, 8080);
  assert.ok(got[1]!.port >= 40000 && got[1]!.port <= 40010);
  // HostPort "0" (testcontainers' withExposedPorts) is a random port, as with dockerd
  const zero = assignPorts([{ proto: 'tcp', containerPort: 80, hostIp: '', hostPort: '0' }], [], [], [40000, 40010]);
  assert.ok(zero[0]!.port >= 40000 && zero[0]!.port <= 40010);
  assert.throws(() => assignPorts(reqs.slice(0, 1), [{ proto: 'tcp', hostIp: '', hostPort: 8080 }], [], [1, 2]),
    /Bind for 0\.0\.0\.0:8080 failed: port is already allocated/);
  assert.throws(() => assignPorts(reqs.slice(0, 1), [], [{ proto: 'tcp', address: '127.0.0.1', port: 8080 }], [1, 2]),
    /Error starting userland proxy: listen tcp4 0\.0\.0\.0:8080: bind: address already in use$/);
  const udpOk = assignPorts([{ proto: 'udp', containerPort: 1, hostIp: '', hostPort: '8080' }],
    [{ proto: 'tcp', hostIp: '', hostPort: 8080 }], [], [1, 2]);
  assert.equal(udpOk[0]!.port, 8080);
  const ranged = assignPorts([{ proto: 'tcp', containerPort: 1, hostIp: '', hostPort: '9000-9001' }],
    [{ proto: 'tcp', hostIp: '', hostPort: 9000 }], [], [1, 2]);
  assert.equal(ranged[0]!.port, 9001);
});

test('dns messages round-trip', () => {
  const q = buildQuery(7, 'web');
  const pq = parseQuery(q)!;
  assert.equal(pq.name, 'web');
  const r = parseAnswers(buildResponse(q, pq, ['10.0.0.2', '10.0.0.3']));
  assert.deepEqual(r, { rcode: 0, addresses: ['10.0.0.2', '10.0.0.3'] });
  assert.equal(parseQuery(Buffer.alloc(5)), undefined);
});

test('hosts and resolv.conf like dockerd', () => {
  const h = hostsFile({ hostname: 'abc', addresses: ['10.0.0.2'], extraHosts: ['db:1.2.3.4', 'gw:host-gateway'], hostGateway: '10.0.0.1' });
  assert.match(h, /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/);
  assert.match(h, /1\.2\.3\.4\tdb\n10\.0\.0\.1\tgw\n10\.0\.0\.2\tabc\n$/);
  const host = 'nameserver 127.0.0.53\nsearch lan\noptions edns0\n';
  assert.equal(resolvFile({ host, dns: [], dnsSearch: [], dnsOptions: [] }), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch lan\noptions edns0\n');
  assert.equal(resolvFile({ host, dns: ['1.1.1.1'], dnsSearch: ['x'], dnsOptions: ['ndots:2'] }), 'nameserver 1.1.1.1\nsearch x\noptions ndots:2\n');
  assert.equal(resolvFile({ host, dns: [], dnsSearch: [], dnsOptions: [], embedded: '10.0.0.1' }), 'nameserver 10.0.0.1\nsearch lan\noptions edns0 ndots:0\n');
  assert.equal(resolvFile({ host, dns: [], dnsSearch: [], dnsOptions: ['ndots:2'], embedded: '10.0.0.1' }), 'nameserver 10.0.0.1\nsearch lan\noptions ndots:2\n');
});

test('manager over fakes: one nft transaction per change, two ip batches per endpoint', async () => {
  const ip = new FakeIp();
  const fw = new FakeFirewall();
  fw.tableList.push({ family: 'ip', name: 'filter' });
  const m = new NetworkManager({ db: new Database(':memory:'), instance: 'hk', ip, firewall: fw, dns: { enabled: false },
    portProbe: { sockets: async () => [], ephemeralRange: async () => [40000, 40001] } });
  await m.init();
  assert.equal(m.defaultBridge().bridge, 'hk0');
  assert.equal(m.defaultBridge().subnet, '172.17.0.0/16');
  assert.ok(ip.all().includes(`link add hk0 address ${bridgeMac('hk0')} type bridge`));
  const n = await m.createNetwork({ name: 'app', subnet: '10.7.0.0/24', internal: true });
  assert.match(fw.last(), /iifname "hk-[0-9a-f]{12}" oifname != "hk-[0-9a-f]{12}" drop/);
  assert.match(fw.restores.at(-1)!, /-A HK-FORWARD -i hk0 -j ACCEPT/);
  assert.deepEqual(fw.iptablesCalls.at(-1), ['-I', 'FORWARD', '1', '-j', 'HK-FORWARD']);
  const before = ip.calls.length;
  const e = await m.connect('app', { containerId: 'c'.repeat(64), containerName: '/web', netns: '/run/netns/x' });
  assert.equal(ip.calls.length - before, 2);
  assert.equal(e.ifname, 'eth0');
  assert.ok(ip.calls.at(-1)!.cmds.every((c) => !c.startsWith('route')), 'internal network: no default route');
  assert.deepEqual(m.resolveName(n.id, 'web'), ['10.7.0.2']);
  await assert.rejects(m.removeNetwork('app'), /has active endpoints/);
  await assert.rejects(m.removeNetwork('bridge'), /pre-defined/);
  await m.releaseContainer('c'.repeat(64));
  assert.match(ip.all().at(-1)!, new RegExp(`^link del ${e.veth}$`));
  await m.removeNetwork(n.id);
  assert.throws(() => m.find('app'), /network app not found/);
});

test('a bridge gets a fixed unicast, locally administered MAC from its name', () => {
  const m = bridgeMac('hako0');
  assert.match(m, /^02(:[0-9a-f]{2}){5}$/);
  assert.equal(bridgeMac('hako0'), m);
  assert.notEqual(bridgeMac('hako-0123456789'), m);
});

test('iptables auto mode: a filter table created after start gets our chain without a change of ours', async () => {
  const fw = new FakeFirewall();
  const m = new NetworkManager({ db: new Database(':memory:'), instance: 'hk', ip: new FakeIp(), firewall: fw, dns: { enabled: false } });
  await m.init();
  assert.equal(fw.restores.length, 0, 'no filter table yet: no chain');
  assert.equal(fw.watchers.size, 1);
  fw.emit({ op: 'add', family: 'ip', name: 'other' });
  fw.tableList.push({ family: 'ip', name: 'filter' });
  fw.emit({ op: 'add', family: 'ip', name: 'filter' });
  fw.emit({ op: 'add', family: 'ip', name: 'filter' });
  const deadline = Date.now() + 2000;
  while (fw.restores.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(fw.restores.length, 1, 'one resync for a burst of events');
  assert.match(fw.restores[0]!, /-A HK-FORWARD -i hk0 -j ACCEPT/);
  assert.deepEqual(fw.iptablesCalls.at(-1), ['-I', 'FORWARD', '1', '-j', 'HK-FORWARD']);
  // The table goes away (with our chain): a later change of ours does not recreate it.
  fw.tableList = fw.tableList.filter((t) => t.name !== 'filter');
  fw.emit({ op: 'delete', family: 'ip', name: 'filter' });
  await m.syncFirewall();
  assert.equal(fw.restores.length, 1);
  m.shutdown();
  assert.equal(fw.watchers.size, 0, 'shutdown stops watching');
  const never = new FakeFirewall();
  const m2 = new NetworkManager({ db: new Database(':memory:'), instance: 'hk', ip: new FakeIp(), firewall: never,
    dns: { enabled: false }, iptablesCompat: 'never' });
  await m2.init();
  assert.equal(never.watchers.size, 0, "'never' does not watch");
});

test('nft monitor lines', () => {
  assert.deepEqual(parseTableEvent('add table ip filter'), { op: 'add', family: 'ip', name: 'filter' });
  assert.deepEqual(parseTableEvent('delete table inet x'), { op: 'delete', family: 'inet', name: 'x' });
  assert.equal(parseTableEvent('# new generation 12 by process 1 (nft)'), undefined);
});
