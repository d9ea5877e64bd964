#!/usr/bin/env node
// Diagnosis of the container network data path, hakod vs dockerd, on this machine:
// starts both engines as `npm run bench` does (hakod --instance bench, dockerd on our own
// bridge hkbd0, --iptables=false), two busybox containers in each (an iperf3 server and an
// idle client), prints the link settings each engine gave them (ip -d link, tc qdisc,
// ethtool -k, sysctls) and then measures iperf3 client -> server in interleaved rounds,
// with the client and server pinned to different CPUs, both run through `nsenter --net`
// into the containers' netns (the data path alone: no cgroup, no seccomp, same binary).
// Run it under the bench lock: flock /tmp/hako-bench.lock node bench/netprobe.mjs [--rounds N] [--secs S] [--dump]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, median, sleep } from './_lib.mjs';
import { CGROUP_PREFIX, DOCKER_BRIDGE, HAKO_INSTANCE, check, startDocker, startHako, stopInflight } from './_engines.mjs';
import { restore, snapshot } from './_host.mjs';
import { iperfMounts } from './_scenarios2.mjs';

const arg = (k, d) => {
  const i = process.argv.indexOf(k);
  return i > 0 ? process.argv[i + 1] : d;
};
const rounds = Number(arg('--rounds', 9));
const secs = Number(arg('--secs', 5));
const dump = process.argv.includes('--dump');
const streams = Number(arg('--parallel', 1));
const log = (s) => console.error(`[netprobe] ${s}`);
const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    return `(${cmd} failed: ${String(e.stderr ?? e.message).trim()})`;
  }
};

const before = snapshot();
const engines = [];
const tmp = mkdtempSync(join(tmpdir(), 'hkbench-probe-'));
process.env.HKBENCH_TMP = tmp;

const PORTS = { hako: 25301, docker: 25302 };

async function setup(e) {
  const load = await e.cli(['load', '-q', '-i', join(ROOT, 'build', 'images', 'busybox.tar')], { timeoutMs: 300_000 });
  check(load, 'load');
  const out = {};
  const roles = {
    srv: ['--cpuset-cpus', '0', '-p', `127.0.0.1:${PORTS[e.name]}:5201`, ...iperfMounts(), 'busybox', 'iperf3', '-s'],
    cli: ['--cpuset-cpus', '1', ...iperfMounts(), 'busybox', 'sleep', '3600'],
  };
  for (const [role, args] of Object.entries(roles)) {
    check(await e.cli(['run', '-d', '--name', `hkprobe-${role}`, ...args]), `run ${role}`);
    const pid = check(await e.cli(['inspect', '-f', '{{.State.Pid}}', `hkprobe-${role}`]), 'inspect').stdout.trim();
    const ip = check(await e.cli(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', `hkprobe-${role}`]), 'inspect').stdout.trim();
    out[role] = { pid, ip, ns: `/proc/${pid}/ns/net` };
  }
  out.e = e;
  await sleep(500);
  return out;
}

/** The host-side veth whose peer is eth0 in the netns of pid. */
function hostVeth(ns) {
  const idx = String(JSON.parse(sh('nsenter', [`--net=${ns}`, 'ip', '-j', 'link', 'show', 'eth0']))[0].link_index);
  const j = JSON.parse(sh('ip', ['-j', 'link', 'show']));
  return j.find((l) => String(l.ifindex) === idx)?.ifname;
}

function describe(name, c) {
  const lines = [`===== ${name}`];
  for (const role of ['srv', 'cli']) {
    const v = hostVeth(c[role].ns);
    c[role].veth = v;
    const cpus = /Cpus_allowed_list:\s*(\S+)/.exec(sh('cat', [`/proc/${c[role].pid}/status`]))?.[1];
    lines.push(`--- ${role}: ip ${c[role].ip}, host veth ${v}, CPUs ${cpus}`);
    lines.push(sh('ip', ['-d', 'link', 'show', v]));
    lines.push(sh('tc', ['qdisc', 'show', 'dev', v]));
    if (dump) lines.push(sh('ethtool', ['-k', v]));
    lines.push('  in netns:');
    lines.push(sh('nsenter', [`--net=${c[role].ns}`, 'ip', '-d', 'link', 'show', 'eth0']));
    lines.push(sh('nsenter', [`--net=${c[role].ns}`, 'tc', 'qdisc', 'show']));
    if (dump) lines.push(sh('nsenter', [`--net=${c[role].ns}`, 'ethtool', '-k', 'eth0']));
    lines.push(sh('nsenter', [`--net=${c[role].ns}`, 'sh', '-c',
      'for k in ipv4/tcp_rmem ipv4/tcp_wmem ipv4/tcp_congestion_control core/rmem_max core/wmem_max ipv4/tcp_timestamps ipv4/tcp_sack; do echo "$k $(cat /proc/sys/net/$k)"; done']));
  }
  return lines.join('\n');
}

// A sample: Gbit/s received, and CPU ms per GB moved (iperf3's own user+system time of
// client and server over the bytes received: a per-byte cost that time-slicing by other
// load on this 2-CPU machine disturbs far less than the throughput; softirq work done
// in ksoftirqd is not in it).
const samplesOf = {};
const gbps = (out) => {
  let j;
  try {
    j = JSON.parse(out.slice(out.indexOf('{')));
  } catch (err) {
    throw new Error(`iperf3: ${err.message}: ${out.slice(0, 300)}`);
  }
  if (j.error) throw new Error(`iperf3: ${j.error}`);
  const s = j.end.sum_received;
  const cpu = j.end.cpu_utilization_percent;
  samplesOf.lastCost = ((cpu.host_total + cpu.remote_total) / 100) * s.seconds * 1000 / (s.bytes / 1e9);
  return s.bits_per_second / 1e9;
};
const flags = () => ['-t', String(secs), '-O', '1', '-P', String(streams), '-J'];

/** One sample of every path of one engine's containers. */
async function paths(c) {
  const r = {};
  const cost = (k) => { r[`${k}.cpu-ms/GB`] = samplesOf.lastCost; };
  // container -> container: the client's netns entered from the host (data path only)
  r['c2c-ns'] = gbps(sh('nsenter', [`--net=${c.cli.ns}`, 'taskset', '-c', '1', 'iperf3', '-c', c.srv.ip, ...flags()]));
  cost('c2c-ns');
  // container -> container: iperf3 exec'd in the client container (its cgroup, seccomp)
  r['c2c-ct'] = gbps((await c.e.cli(['exec', 'hkprobe-cli', 'iperf3', '-c', c.srv.ip, ...flags()], { timeoutMs: 60_000 })).stdout);
  cost('c2c-ct');
  r['host-ip'] = gbps(sh('taskset', ['-c', '1', 'iperf3', '-c', c.srv.ip, ...flags()]));
  cost('host-ip');
  r['host-pub'] = gbps(sh('taskset', ['-c', '1', 'iperf3', '-c', '127.0.0.1', '-p', String(PORTS[c.e.name]), ...flags()]));
  cost('host-pub');
  return r;
}

try {
  for (const start of [startHako, () => startDocker({ bridge: true })]) {
    const e = await start();
    engines.push(e);
  }
  const probes = {};
  for (const e of engines) probes[e.name] = await setup(e);
  for (const e of engines) console.log(describe(e.name, probes[e.name]));
  console.log('===== host');
  console.log(sh('sh', ['-c', 'for f in /proc/sys/net/bridge/*; do echo "$f $(cat $f)"; done']));
  console.log(sh('ip', ['-d', 'link', 'show', `${HAKO_INSTANCE}0`]));
  console.log(sh('ip', ['-d', 'link', 'show', DOCKER_BRIDGE]));
  if (dump) console.log(sh('nft', ['list', 'ruleset']));
  const samples = {}; // path -> engine -> [Gbit/s]
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...engines].reverse() : engines;
    for (const e of order) {
      let x;
      try {
        x = await paths(probes[e.name]);
      } catch (err) {
        log(`round ${r + 1}/${rounds} ${e.name}: sample lost: ${err.message}`);
        continue;
      }
      for (const [k, v] of Object.entries(x)) ((samples[k] ??= {})[e.name] ??= []).push(v);
      log(`round ${r + 1}/${rounds} ${e.name}: ${Object.entries(x).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
    }
  }
  const fmt = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return `median ${median(xs).toFixed(2)} (${s[0].toFixed(2)}-${s[s.length - 1].toFixed(2)})`;
  };
  for (const [k, byEngine] of Object.entries(samples)) {
    if (Object.values(byEngine).some((xs) => !xs.length)) continue;
    const line = Object.entries(byEngine).map(([n, xs]) => `${n} ${fmt(xs)}`).join('; ');
    const ratio = byEngine.hako && byEngine.docker ? ` ratio ${(median(byEngine.hako) / median(byEngine.docker)).toFixed(3)}` : '';
    console.log(`${k}: ${line};${ratio} n=${Object.values(byEngine).map((xs) => xs.length).join('/')}`);
  }
  for (const n of Object.keys(probes)) {
    const h = samples['host-pub']?.[n];
    const d = samples['host-ip']?.[n];
    if (h?.length && d?.length) console.log(`${n} pub/ip: ${(median(h) / median(d)).toFixed(3)}; paired median ${median(h.map((x, i) => x / d[i])).toFixed(3)}`);
  }
} finally {
  await stopInflight();
  for (const e of engines) {
    await e.cli(['rm', '-f', 'hkprobe-srv', 'hkprobe-cli']).catch(() => {});
    await e.stop().catch((err) => log(`stop ${e.name}: ${err.message}`));
  }
  rmSync(tmp, { recursive: true, force: true });
  const h = restore(before, { prefixes: [DOCKER_BRIDGE, HAKO_INSTANCE], instance: HAKO_INSTANCE,
    cgroupPrefixes: [CGROUP_PREFIX, HAKO_INSTANCE], exclusivePrefixes: [CGROUP_PREFIX] });
  if (h.removed.length) log(`removed: ${h.removed.join(', ')}`);
  if (h.left.length) log(`left: ${h.left.join(', ')}`);
}
