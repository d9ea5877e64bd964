/** Logic of a container's configured networks, over an in-memory store and a fake networker. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../platform/sqlite.js';
import { notFound } from '../core/errors.js';
import { ContainerStore, newState, type ContainerRecord } from './containers-store.js';
import { configureNetwork, configuredNetworks, networksView, prepareNetworks } from './containers-networks.js';
import type { ContainerNetworker } from './types.js';

const networker = {
  async networkName(x: string) {
    const known: Record<string, string> = { bridge: 'bridge', none: 'none', host: 'host', n1: 'n1', abc123: 'n1', n2: 'n2' };
    if (!known[x]) throw notFound(`network ${x} not found`);
    return known[x]!;
  },
} as unknown as ContainerNetworker;

let seq = 0;
function record(mode: string | undefined, eps: ContainerRecord['endpointsConfig'] = {}): ContainerRecord {
  const id = String(++seq).padStart(64, 'a');
  return {
    id, name: `c${seq}`, created: new Date().toISOString(), imageId: 'sha256:x', config: {}, hostConfig: mode ? { NetworkMode: mode } : {},
    state: newState(), path: 'true', args: [], layerDirs: [], restartCount: 0, network: { networks: {}, ports: {}, sandboxKey: '' },
    manuallyStopped: false, endpointsConfig: eps,
  };
}

test('prepareNetworks keys the configured set by network name, NetworkMode first', async () => {
  const store = new ContainerStore(openDatabase(':memory:'));
  const a = record('default');
  await prepareNetworks(store, networker, a);
  assert.deepEqual(a.networks, { bridge: {} });
  const b = record('abc123', { n2: { Aliases: ['x'] } });
  await prepareNetworks(store, networker, b);
  assert.deepEqual(Object.keys(b.networks!), ['n1', 'n2']);
  assert.deepEqual(b.networks!.n2, { Aliases: ['x'] });
  const c = record('none');
  await prepareNetworks(store, networker, c);
  assert.deepEqual(c.networks, { none: {} });
  // Missing network: kept as given (the start fails, not the create).
  const d = record('nosuch');
  await prepareNetworks(store, networker, d);
  assert.deepEqual(d.networks, { nosuch: {} });
});

test('container:X is recorded by X\'s full id and has no networks of its own', async () => {
  const store = new ContainerStore(openDatabase(':memory:'));
  const x = record('default');
  store.insert(x);
  const c = record(`container:${x.name}`);
  await prepareNetworks(store, networker, c);
  assert.equal(c.hostConfig.NetworkMode, `container:${x.id}`);
  assert.deepEqual(networksView(c), {});
  const gone = record('container:nope');
  await prepareNetworks(store, networker, gone);
  assert.equal(gone.hostConfig.NetworkMode, 'container:nope');
});

test('configureNetwork adds and drops; the view empties addresses unless running', async () => {
  const store = new ContainerStore(openDatabase(':memory:'));
  const c = record('n1');
  await prepareNetworks(store, networker, c);
  store.insert(c);
  configureNetwork(store, c.id, 'n2', { Aliases: ['foo'] });
  configureNetwork(store, c.id, 'n1', null);
  let cur = store.resolve(c.id);
  assert.deepEqual(Object.keys(configuredNetworks(cur)), ['n2']);
  const idle = networksView(cur).n2!;
  assert.deepEqual(idle.Aliases, ['foo']);
  assert.equal(idle.IPAddress, '');
  assert.equal(idle.EndpointID, '');
  assert.equal(idle.DNSNames, null);
  cur.state = { ...cur.state, Running: true, Status: 'running' };
  cur.network = { networks: { n2: { NetworkID: 'nid', IPAddress: '10.1.0.2', IPPrefixLen: 16 } }, ports: {}, sandboxKey: '' };
  store.save(cur);
  cur = store.resolve(c.id);
  assert.equal(networksView(cur).n2!.IPAddress, '10.1.0.2');
  assert.equal(networksView(cur).n2!.GlobalIPv6Address, '');
  cur.state = { ...cur.state, Running: false, Status: 'exited' };
  assert.equal(networksView(cur).n2!.IPAddress, '');
  assert.equal(networksView(cur).n2!.NetworkID, 'nid');
});

test('records made before the configured set: NetworkMode\'s network plus EndpointsConfig', () => {
  const c = record('n1', { n1: { Aliases: ['a'] }, n2: {} });
  assert.deepEqual(configuredNetworks(c), { n1: { Aliases: ['a'] }, n2: {} });
  assert.deepEqual(configuredNetworks(record(undefined)), { bridge: {} });
});
