import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';

// dockerd's --bip and default-address-pools: the default bridge and new networks take
// their subnets from what the daemon was given (daemon.json form for the pools).
describe('daemon network configuration', { skip: process.getuid?.() !== 0 ? 'needs root (creates bridges)' : false }, () => {
  let d: TestDaemon;
  const oct = 100 + Math.floor(Math.random() * 100);
  before(async () => {
    d = await startDaemon({
      args: ['--bip', `10.${oct}.7.1/24`],
      config: { 'default-address-pools': [{ base: `10.${oct}.128.0/17`, size: 24 }] },
    });
  });
  after(async () => { await d?.stop(); });

  it('gives the default bridge the --bip subnet and new networks a subnet of the pool', async () => {
    const bridge = (await d.request('GET', '/networks/bridge')).json();
    assert.equal(bridge.IPAM.Config[0].Subnet, `10.${oct}.7.0/24`);
    assert.equal(bridge.IPAM.Config[0].Gateway, `10.${oct}.7.1`);
    const created = await d.request('POST', '/networks/create', { Name: 'pooled' });
    assert.equal(created.status, 201);
    const net = (await d.request('GET', '/networks/pooled')).json();
    assert.match(net.IPAM.Config[0].Subnet, new RegExp(`^10\\.${oct}\\.(1[2-9][0-9]|2[0-5][0-9])\\.0/24$`));
    assert.equal((await d.request('DELETE', '/networks/pooled')).status, 204);
  });
});
