/**
 * Networks of created (never started) containers with the stock docker CLI, as dockerd
 * shows and changes them: inspect and ps list the configured networks with empty
 * addresses; `network connect|disconnect` on a created container is recorded and applied
 * at start; none, host and container:X modes before start.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { dockerCli, dockerOk, skipReason, stopChecked } from './helpers/hostobjects.js';

const skip = skipReason();

describe('networks of created containers', { skip }, () => {
  let d: TestDaemon;
  const ok = (...args: string[]) => dockerOk(d, args);
  const nets = async (name: string) => JSON.parse(await ok('inspect', '-f', '{{json .NetworkSettings.Networks}}', name)) as Record<string, Record<string, unknown>>;

  before(async () => {
    d = await startDaemon();
    await ok('load', '-i', await busyboxTar());
    await ok('network', 'create', 'cn1');
    await ok('network', 'create', 'cn2');
  });
  after(async () => {
    if (!d) return;
    await dockerCli(d, ['rm', '-f', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    await dockerCli(d, ['network', 'rm', 'cn1', 'cn2']);
    assert.deepEqual(await stopChecked(d), []);
  });

  it('inspect and ps show the configured networks before the first start', async () => {
    await ok('create', '--name', 'c1', '--network', 'cn1', 'busybox:latest', 'sleep', '300');
    await ok('create', '--name', 'c2', 'busybox:latest', 'true');
    await ok('create', '--name', 'c3', '--network', 'none', 'busybox:latest', 'true');
    await ok('create', '--name', 'c4', '--network', 'host', 'busybox:latest', 'true');
    await ok('create', '--name', 'c5', '--network', 'container:c1', 'busybox:latest', 'true');
    const c1 = await nets('c1');
    assert.deepEqual(Object.keys(c1), ['cn1']);
    assert.equal(c1.cn1!.IPAddress, '');
    assert.equal(c1.cn1!.EndpointID, '');
    assert.equal(c1.cn1!.Gateway, '');
    assert.equal(c1.cn1!.IPPrefixLen, 0);
    assert.equal(c1.cn1!.Aliases, null);
    assert.deepEqual(Object.keys(await nets('c2')), ['bridge']);
    assert.deepEqual(Object.keys(await nets('c3')), ['none']);
    assert.deepEqual(Object.keys(await nets('c4')), ['host']);
    assert.deepEqual(await nets('c5'), {});
    const c1Id = (await ok('inspect', '-f', '{{.Id}}', 'c1')).trim();
    assert.equal((await ok('inspect', '-f', '{{.HostConfig.NetworkMode}}', 'c5')).trim(), `container:${c1Id}`);
    const ps = (await ok('ps', '-a', '--format', '{{.Names}} {{.Networks}}')).trim().split('\n').sort();
    assert.deepEqual(ps, ['c1 cn1', 'c2 bridge', 'c3 none', 'c4 host', 'c5 ']);
  });

  it('connect and disconnect a created container: recorded, applied at start', async () => {
    await ok('network', 'connect', '--alias', 'foo', 'cn2', 'c1');
    await ok('network', 'disconnect', 'cn1', 'c1');
    const before = await nets('c1');
    assert.deepEqual(Object.keys(before), ['cn2']);
    assert.deepEqual(before.cn2!.Aliases, ['foo']);
    const again = await dockerCli(d, ['network', 'disconnect', 'cn1', 'c1']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^Error response from daemon: container [0-9a-f]{64} is not connected to the network cn1\n$/);
    // The shared-namespace modes refuse other networks, as dockerd does.
    const host = await dockerCli(d, ['network', 'connect', 'cn1', 'c4']);
    assert.equal(host.stderr, 'Error response from daemon: container sharing network namespace with another container or host cannot be connected to any other network\n');
    const none = await dockerCli(d, ['network', 'connect', 'cn1', 'c3']);
    assert.equal(none.stderr, 'Error response from daemon: container cannot be connected to multiple networks with one of the networks in private (none) mode\n');

    await ok('start', 'c1');
    const after = await nets('c1');
    assert.deepEqual(Object.keys(after), ['cn2']);
    assert.match(String(after.cn2!.IPAddress), /^\d+\.\d+\.\d+\.\d+$/);
    const cn2 = JSON.parse(await ok('network', 'inspect', '-f', '{{json .IPAM.Config}}', 'cn2')) as { Subnet: string }[];
    assert.equal(String(after.cn2!.IPAddress).split('.').slice(0, 2).join('.'), cn2[0]!.Subnet.split('.').slice(0, 2).join('.'));
    // The kernel agrees: one interface besides lo, with that address.
    const addrs = (await ok('exec', 'c1', 'ip', '-4', '-o', 'addr')).trim().split('\n').filter((l) => !/\blo\b/.test(l));
    assert.equal(addrs.length, 1, addrs.join('\n'));
    assert.ok(addrs[0]!.includes(`${after.cn2!.IPAddress}/`), addrs[0]);
    // Reached by its alias from another container of cn2.
    const ping = await dockerCli(d, ['run', '--rm', '--network', 'cn2', 'busybox:latest', 'ping', '-c', '1', '-W', '2', 'foo']);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    // Stopped again: the network stays configured, its addresses empty.
    await ok('stop', '-t', '0', 'c1');
    const stopped = await nets('c1');
    assert.deepEqual(Object.keys(stopped), ['cn2']);
    assert.equal(stopped.cn2!.IPAddress, '');
  });

  it('a created container disconnected from every network starts with loopback only', async () => {
    await ok('create', '--name', 'c6', '--network', 'cn1', 'busybox:latest', 'sleep', '300');
    await ok('network', 'disconnect', 'cn1', 'c6');
    assert.deepEqual(await nets('c6'), {});
    await ok('start', 'c6');
    const links = (await ok('exec', 'c6', 'ip', '-o', 'link')).trim().split('\n');
    assert.equal(links.length, 1, links.join('\n'));
    assert.match(links[0]!, /\blo\b/);
    assert.deepEqual(await nets('c6'), {});
  });
});
