/**
 * Issue 3, coexistence with iptables users in the order "hakod first, dockerd later":
 * a hakod started while iptables' filter table does not exist installs no accept chain
 * (mode 'auto'); a dockerd started afterwards creates that table and the FORWARD policy
 * goes to DROP. Without any network change of hakod's, its containers must keep their
 * way out, their bridge and their published ports.
 *
 * Both daemons run in a network namespace of this test (nsenter --net), so the filter
 * table is really absent at hakod's start, the FORWARD DROP touches no other engine on
 * the host, and a dockerd already running on the host does not matter. "The outside"
 * is a second netns joined to the first by a veth over a private /30.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { must, runTool, sh } from './helpers/clients.js';
import { DOCKERD, startDockerd, type Dockerd } from './helpers/dockerd.js';
import { DOCKER_BIN } from './helpers/docker-bin.js';
import { stopChecked } from './helpers/hostobjects.js';

const skip = process.getuid?.() !== 0 ? 'requires root'
  : !existsSync(DOCKER_BIN) ? 'no docker CLI (looked in /usr/local/bin and /usr/bin)'
    : !existsSync(DOCKERD) ? `no dockerd at ${DOCKERD}` : false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('iptables coexistence: a dockerd started after hakod (issue 3)', { skip }, () => {
  it('its FORWARD DROP does not cut hakod\'s containers off, with no change of hakod\'s in between', async (t) => {
    const tag = randomBytes(3).toString('hex');
    const ns = `hkcx-${tag}`;
    const outNs = `hkcxo-${tag}`;
    const tmp = mkdtempSync(join(tmpdir(), 'hako-coexist-'));
    const resolv = join(tmp, 'resolv.conf');
    writeFileSync(resolv, '# no nameserver\n');
    let d: TestDaemon | undefined;
    let dockerd: Dockerd | undefined;
    const inNs = (cmd: string, args: string[]) => sh('ip', ['netns', 'exec', ns, cmd, ...args]);
    const docker = async (args: string[]) => {
      const r = await runTool(DOCKER_BIN, ['-H', `unix://${d!.socket}`, ...args], { env: { DOCKER_CONFIG: tmp }, timeoutMs: 60_000 });
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const pings = async (c: string, addr: string) =>
      (await runTool(DOCKER_BIN, ['-H', `unix://${d!.socket}`, 'exec', c, 'ping', '-c1', '-W1', addr], { env: { DOCKER_CONFIG: tmp } })).code === 0;
    const outWget = async (url: string) =>
      (await sh('ip', ['netns', 'exec', outNs, '/bin/busybox', 'timeout', '3', '/bin/busybox', 'wget', '-qO-', url])).stdout;
    const filterTable = async () => / ip filter$/m.test((await inNs('nft', ['list', 'tables'])).stdout);
    try {
      for (const n of [ns, outNs]) {
        await must('ip', ['netns', 'add', n]);
        await must('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
      }
      await must('ip', ['-n', ns, 'link', 'add', 'out0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outNs]);
      await must('ip', ['-n', ns, 'addr', 'add', '192.168.251.1/30', 'dev', 'out0']);
      await must('ip', ['-n', ns, 'link', 'set', 'out0', 'up']);
      await must('ip', ['-n', outNs, 'addr', 'add', '192.168.251.2/30', 'dev', 'eth0']);
      await must('ip', ['-n', outNs, 'link', 'set', 'eth0', 'up']);
      await must('ip', ['-n', outNs, 'route', 'add', 'default', 'via', '192.168.251.1']);

      d = await startDaemon({ netns: ns, env: { HAKO_RESOLV_CONF: resolv } });
      assert.equal(await filterTable(), false, 'no iptables filter table in the netns at hakod\'s start');
      await docker(['load', '-i', await busyboxTar()]);
      await docker(['run', '-itd', '--name', 'k1', 'busybox', 'sh']);
      await docker(['run', '-d', '--name', 'k2', '-p', '8080:80', 'busybox', 'sh', '-c',
        'mkdir -p /www && echo hello-k2 > /www/index.html && exec httpd -f -p 80 -h /www']);
      const k2 = await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'k2']);
      assert.ok(await pings('k1', '192.168.251.2'), 'before dockerd: k1 -> the outside');
      await until('k2 answers from the outside', async () => (await outWget('http://192.168.251.1:8080/')) === 'hello-k2\n');

      dockerd = await startDockerd(60_000, { iptables: true, netns: ns });
      assert.match((await inNs('iptables', ['-S', 'FORWARD'])).stdout, /-j DOCKER-USER/, 'dockerd installed its chains');
      if (!/^-P FORWARD DROP$/m.test((await inNs('iptables', ['-S', 'FORWARD'])).stdout)) {
        // dockerd sets DROP only when it turns ip_forward on itself; here hakod already did.
        await must('ip', ['netns', 'exec', ns, 'iptables', '-P', 'FORWARD', 'DROP']);
        t.diagnostic('FORWARD policy DROP set by the test (ip_forward was already on)');
      }
      const chain = `${d.instance.toUpperCase()}-FORWARD`;
      const t0 = Date.now();
      await until(`-j ${chain} in FORWARD`, async () => (await inNs('iptables', ['-S', 'FORWARD'])).stdout.includes(`-j ${chain}`));
      t.diagnostic(`accept chain in FORWARD ${Date.now() - t0} ms after the DROP policy`);
      assert.ok(await pings('k1', '192.168.251.2'), 'after dockerd: k1 -> the outside (forwarded)');
      assert.ok(await pings('k1', k2), 'after dockerd: k1 -> k2 over the bridge');
      assert.equal(await outWget('http://192.168.251.1:8080/'), 'hello-k2\n', 'after dockerd: the published port from the outside');
    } finally {
      await dockerd?.stop();
      if (d) assert.deepEqual(await stopChecked(d), [], 'hakod\'s instance leaves nothing');
      for (const n of [ns, outNs]) await sh('ip', ['netns', 'del', n]);
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
