#!/usr/bin/env node
// `npm run bench [-- SCENARIO... ] [--rounds N] [--engines hako,docker,podman] [--no-install] [--list]`
//
// Compares hako with dockerd and podman on this machine: installs what it compares against
// when missing (docker.io podman iperf3 hyperfine docker-registry skopeo), starts a private hakod and dockerd and a
// podman on temporary roots, loads the same busybox and Debian tarballs into each, runs each
// selected scenario against all three in interleaved rounds, writes bench/results/results.md,
// results.svg and results.json, then stops everything it started (by pid), removes its temp
// dirs and what the engines added to the host. Must run as root.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT, has } from './_lib.mjs';
import {
  DOCKER_BRIDGE, DOCKER_CLI, CGROUP_PREFIX, HAKO_INSTANCE, runCmd, startDocker, startHako, startPodman, stopInflight,
} from './_engines.mjs';
import { restore, snapshot } from './_host.mjs';
import { reason, setError } from './_measure.mjs';
import { SCENARIOS } from './_scenarios.mjs';
import { writeReport } from './_report.mjs';

const log = (m) => console.error(`bench: ${m}`);
const argv = process.argv.slice(2);
const opts = { rounds: undefined, engines: ['hako', 'docker', 'podman'], install: true, names: [] };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--rounds') opts.rounds = Number(argv[++i]);
  else if (a === '--engines') opts.engines = argv[++i].split(',');
  else if (a === '--no-install') opts.install = false;
  else if (a === '--list' || a === '--help' || a === '-h') {
    console.log('usage: npm run bench -- [SCENARIO...] [--rounds N] [--engines hako,docker,podman] [--no-install]\n\nscenarios:');
    for (const s of SCENARIOS) console.log(`  ${s.name.padEnd(11)} ${s.description}`);
    process.exit(0);
  } else if (a.startsWith('-')) throw new Error(`unknown option "${a}" (try --list)`);
  else opts.names.push(a);
}
const unknown = opts.names.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(' ')}`);
const selected = opts.names.length ? SCENARIOS.filter((s) => opts.names.includes(s.name)) : SCENARIOS;
if (process.getuid() !== 0) throw new Error('run as root: the engines need namespaces, cgroups and mounts');

// --- what we compare against --------------------------------------------------------
function install() {
  const want = { dockerd: 'docker.io', podman: 'podman', iperf3: 'iperf3', hyperfine: 'hyperfine', 'docker-registry': 'docker-registry', skopeo: 'skopeo' };
  const missing = Object.entries(want).filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg);
  if (!missing.length || !opts.install) return;
  log(`installing ${missing.join(' ')} (apt-get)`);
  // Package scripts would start system daemons; a policy-rc.d that refuses keeps the host as it was.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
      stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (e) {
    log(`apt-get install failed (${e.message}); measuring what is installed`);
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}
install();

const images = { busybox: join(ROOT, 'build', 'images', 'busybox.tar'), debian: join(ROOT, 'build', 'images', 'debian.tar') };
if (!existsSync(images.busybox)) {
  log('building build/images/busybox.tar');
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-busybox-image.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
}
if (!existsSync(images.debian) && selected.some((s) => s.name === 'load' || s.name === 'pull')) {
  log('building build/images/debian.tar (mmdebstrap, a minute or two)');
  execFileSync(join(ROOT, 'scripts', 'build-debian-image.sh'), { stdio: ['ignore', 'ignore', 'inherit'] });
}
if (!existsSync(join(ROOT, 'dist', 'src', 'daemon', 'main.js'))) {
  log('building hako (npm run build)');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

// --- engines, with clean-up on any exit ---------------------------------------------------
const before = snapshot();
const tmp = mkdtempSync(join(tmpdir(), 'hkbench-run-'));
process.env.HKBENCH_TMP = tmp;
const engines = [];
const down = {}; // engine -> why it is not measured
let cleaned = false;
async function cleanup() {
  if (cleaned) return undefined;
  cleaned = true;
  await stopInflight();
  for (const e of engines.splice(0)) {
    try {
      log(`stopping ${e.label}`);
      await e.stop();
    } catch (err) {
      log(`stopping ${e.label}: ${err.message}`);
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  const hygiene = restore(before, {
    prefixes: [DOCKER_BRIDGE, 'podman', HAKO_INSTANCE], instance: HAKO_INSTANCE,
    cgroupPrefixes: [CGROUP_PREFIX, 'libpod_parent', HAKO_INSTANCE], exclusivePrefixes: [CGROUP_PREFIX],
  });
  if (hygiene.removed.length) log(`removed from the host: ${hygiene.removed.join(', ')}`);
  if (hygiene.left.length) log(`could not remove: ${hygiene.left.join(', ')}`);
  return hygiene;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

const needsBridge = selected.some((s) => s.needsBridge);
const versions = [];
const starters = {
  hako: startHako,
  docker: () => startDocker({ bridge: needsBridge }),
  podman: startPodman,
};
let run;
try {
  for (const name of opts.engines) {
    if (name === 'docker' && !has('dockerd')) down.docker = 'failed: dockerd is not installed';
    else if (name === 'podman' && !has('podman')) down.podman = 'failed: podman is not installed';
    else {
      try {
        const e = await starters[name]();
        engines.push(e);
        log(`${e.label} up in ${e.startMs.toFixed(0)} ms (${e.dir})`);
      } catch (err) {
        down[name] = `failed: could not start: ${err.message}`;
        log(`${name}: ${down[name]}`);
      }
    }
  }
  for (const n of ['hako', 'docker', 'podman']) if (!opts.engines.includes(n)) down[n] = 'not measured: engine not selected (--engines)';
  const ver = async (cmd, args) => ((await runCmd(cmd, args)).stdout.trim().split('\n')[0] || '?');
  const hakoEngine = engines.find((e) => e.name === 'hako');
  const hakoVer = hakoEngine ? (await hakoEngine.cli(['version', '-f', '{{.Server.Version}} (commit {{.Server.GitCommit}})'])).stdout.trim() : '';
  versions.push(`hako ${hakoVer || JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} (--instance ${HAKO_INSTANCE})`,
    await ver('dockerd', ['--version']), await ver('podman', ['--version']), await ver('crun', ['--version']),
    await ver('runc', ['--version']), await ver('conmon', ['--version']), `docker CLI ${await ver(DOCKER_CLI, ['version', '-f', '{{.Client.Version}}'])}`);

  const ctx = { engines, rounds: opts.rounds, images, tmp, log, dockerCliCmd: (e) => [DOCKER_CLI, '-H', `unix://${e.socket}`] };
  const results = [];
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const s of selected) {
    log(`scenario ${s.name}: ${s.description}`);
    const t0 = performance.now();
    try {
      const figures = await s.run(ctx);
      for (const f of figures) for (const [n, why] of Object.entries(down)) if (!f.values[n]) setError(f, n, why);
      results.push({ name: s.name, description: s.description, date, figures, seconds: (performance.now() - t0) / 1000 });
    } catch (err) {
      log(`scenario ${s.name}: ${err.stack}`);
      results.push({ name: s.name, description: s.description, date, error: reason(err) });
    }
  }
  run = {
    date,
    machine: { kernel: release(), cpu: cpus()[0]?.model ?? '?', cores: cpus().length, memGiB: (totalmem() / 2 ** 30).toFixed(1), node: process.version },
    versions, scenarios: results, memoryDetail: ctx.memoryDetail,
    setup: [
      `hakod: private, temp --data-root/--exec-root/socket, --instance ${HAKO_INSTANCE}; clients: ${DOCKER_CLI} -H unix://… for engine scenarios, bin/hako for the CLI scenario`,
      `dockerd: private, temp --data-root/--exec-root/socket, its own managed containerd, --iptables=false${needsBridge ? `, default bridge = our own ${DOCKER_BRIDGE} (10.213.213.1/24), published ports through docker-proxy` : ', --bridge=none'}, --cgroup-parent=/${CGROUP_PREFIX}-docker`,
      `podman: --root/--runroot/--tmpdir in a temp dir, cgroupfs, netavark default network 10.214.214.0/24 (podman0, iptables-nft), --cgroup-parent /${CGROUP_PREFIX}-podman; \`ps\` goes through \`podman system service\``,
      'memory: PSS from /proc/PID/smaps_rollup summed over the engine\'s own processes (container payloads excluded)',
    ],
  };
} finally {
  run ??= { date: new Date().toISOString(), machine: {}, versions, scenarios: [], setup: [] };
  run.hygiene = await cleanup();
}
// A run of some scenarios keeps the other scenarios' rows of the previous results.json.
const previous = join(ROOT, 'bench', 'results', 'results.json');
if (opts.names.length && existsSync(previous)) {
  try {
    const old = JSON.parse(readFileSync(previous, 'utf8'));
    const fresh = new Map(run.scenarios.map((s) => [s.name, s]));
    const kept = (old.scenarios ?? []).filter((s) => !fresh.has(s.name)).map((s) => ({ ...s, date: s.date ?? old.date }));
    run.scenarios = SCENARIOS.map((s) => fresh.get(s.name) ?? kept.find((k) => k.name === s.name)).filter(Boolean);
    run.memoryDetail ??= old.memoryDetail;
  } catch (err) {
    log(`previous results.json not merged: ${err.message}`);
  }
}
const { md, dir } = writeReport(run);
console.log(md);
log(`wrote ${dir}/results.md, results.svg, results.json`);
