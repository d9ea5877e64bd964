// The three engines bench/run.mjs compares, each on temporary roots of its own:
//   hako    a private hakod (--instance bench), driven by the docker CLI for engine scenarios
//   docker  a private dockerd + its managed containerd, driven by the docker CLI
//   podman  podman with --root/--runroot/--tmpdir in a temporary dir (and containers.conf /
//           storage.conf there), driven by its own CLI; `podman system service` for the API
// Each engine: cli(args) runs its engine CLI, ownCli(args) its own CLI, runFlags go on every
// run/create, rmFlags on every rm -f, memPids() lists the processes its memory is counted over, stop() undoes it.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, processTree, sleep, startDaemon, startDockerd, startHakod, stopDaemon, tmpfsDir } from './_lib.mjs';

export const DOCKER_CLI = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';
export const HAKO_INSTANCE = 'bench';
export const DOCKER_BRIDGE = 'hkbd0';
const DOCKER_BRIDGE_CIDR = '10.213.213.1/24';
const PODMAN_SUBNET = '10.214.214.0/24';
export const CGROUP_PREFIX = 'hkbench';

const inflight = new Set();

/** Stops the commands still running (an interrupted run): SIGTERM, then SIGKILL after 10 s. */
export async function stopInflight() {
  for (const c of inflight) c.kill('SIGTERM');
  for (let i = 0; i < 200 && inflight.size; i++) await sleep(50);
  for (const c of inflight) c.kill('SIGKILL');
  for (let i = 0; i < 40 && inflight.size; i++) await sleep(50);
}

/** Counts a long-running child (a registry, a server) among the commands an interrupted run stops. */
export function track(child) {
  inflight.add(child);
  child.on('close', () => inflight.delete(child));
  return child;
}

/** Runs a command; resolves {code, stdout, stderr, ms}. Never rejects; kills it (by pid) on timeout. */
export function runCmd(cmd, args, { env, timeoutMs = 120_000, input } = {}) {
  return new Promise((res) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: env ?? process.env, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    inflight.add(child);
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    if (input) child.stdin.end(input);
    child.on('error', (e) => err.push(Buffer.from(String(e.message))));
    child.on('close', (code, signal) => {
      inflight.delete(child);
      clearTimeout(timer);
      res({ code: code ?? (signal ? 128 : 1), signal, ms: performance.now() - t0,
        stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** Throws a one-line error out of a failed command. */
export function check(r, what) {
  if (r.code === 0) return r;
  const msg = (r.stderr || r.stdout || `exit ${r.code}`).trim().split('\n').filter((l) => l && !/^Run '.* --help'/.test(l)).pop() ?? '';
  throw new Error(`${what}: ${msg}`);
}

/** All pids whose command line mentions `dir` (conmon, containerd, shims of our engines). */
function pidsMentioning(dir) {
  const out = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir)) out.push(Number(p));
    } catch {
      // exited
    }
  }
  return out;
}

const comm = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** The engine's own processes: daemon tree plus helpers naming its dir, by command name. */
function enginePids(daemonPid, dir, names) {
  const cand = new Set([...(daemonPid ? processTree(daemonPid) : []), ...pidsMentioning(dir)]);
  return [...cand].filter((p) => p === daemonPid || names.includes(comm(p)));
}

export async function startHako() {
  const d = await startHakod({ instance: HAKO_INSTANCE });
  const host = ['-H', d.host];
  const env = { ...process.env, DOCKER_CONFIG: join(d.dir, 'docker-config') };
  return {
    name: 'hako', label: 'hako', socket: d.socket, dir: d.dir, pid: d.pid, startMs: d.startMs, runFlags: [], rmFlags: [],
    cli: (args, o = {}) => runCmd(DOCKER_CLI, [...host, ...args], { env, ...o }),
    ownCli: (args, o = {}) => runCmd(join(ROOT, 'bin', 'hako'), [...host, ...args], o),
    ownCliCmd: `${join(ROOT, 'bin', 'hako')} -H ${d.host}`,
    memPids: () => enginePids(d.pid, d.dir, ['conmon', 'hako-attach', 'hako-spawn']),
    apiSocket: async () => d.socket,
    stop: () => d.stop(),
  };
}

export async function startDocker({ bridge }) {
  if (bridge) {
    // hkbd0 is ours by name: one left by an interrupted run is replaced.
    execFileSync('sh', ['-c', `ip link del ${DOCKER_BRIDGE} 2>/dev/null || true`]);
    execFileSync('ip', ['link', 'add', DOCKER_BRIDGE, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', DOCKER_BRIDGE_CIDR, 'dev', DOCKER_BRIDGE]);
    execFileSync('ip', ['link', 'set', DOCKER_BRIDGE, 'up']);
  }
  const dropBridge = () => bridge && execFileSync('sh', ['-c', `ip link del ${DOCKER_BRIDGE} 2>/dev/null || true`]);
  let d;
  try {
    d = await startDockerd({ bridge: bridge ? DOCKER_BRIDGE : undefined, cgroupParent: `/${CGROUP_PREFIX}-docker` });
  } catch (e) {
    dropBridge();
    throw e;
  }
  const host = ['-H', d.host];
  const env = { ...process.env, DOCKER_CONFIG: join(d.dir, 'docker-config') };
  const cli = (args, o = {}) => runCmd(DOCKER_CLI, [...host, ...args], { env, ...o });
  return {
    name: 'docker', label: 'dockerd', socket: d.socket, dir: d.dir, pid: d.pid, startMs: d.startMs, runFlags: [], rmFlags: [],
    cli, ownCli: cli, ownCliCmd: `${DOCKER_CLI} -H ${d.host}`,
    memPids: () => enginePids(d.pid, d.dir, ['dockerd', 'containerd', 'containerd-shim', 'containerd-shim-runc-v2', 'docker-proxy']),
    apiSocket: async () => d.socket,
    stop: async () => {
      await d.stop();
      dropBridge();
    },
  };
}

/** podman on temporary roots; its API service (for `ps`) starts on first use. */
export async function startPodman() {
  const dir = mkdtempSync(join(tmpdir(), 'podman-bench-'));
  for (const s of ['root', 'runroot', 'tmp', 'networks', 'volumes']) mkdirSync(join(dir, s));
  tmpfsDir(join(dir, 'runroot')); // run-time state on tmpfs, as under /run on a standard host
  writeFileSync(join(dir, 'storage.conf'),
    `[storage]\ndriver = "overlay"\ngraphroot = "${dir}/root"\nrunroot = "${dir}/runroot"\n`);
  // podman asks crun for RLIMIT_NOFILE 1048576 and a large RLIMIT_NPROC by default, which
  // this host refuses (hard nofile 20000; crun gets EPERM on nproc above a few thousand):
  // containers get the bench process's open-files limit, as under hakod and dockerd, and
  // nproc 4096 (what the measured workloads need is a handful).
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const nofile = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits)?.slice(1, 3).join(':') ?? '1024:4096';
  writeFileSync(join(dir, 'containers.conf'), [
    '[containers]', `default_ulimits = ["nofile=${nofile}", "nproc=4096:4096"]`,
    '[engine]', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"',
    `events_logfile_path = "${dir}/events.log"`, `tmp_dir = "${dir}/tmp"`, `volume_path = "${dir}/volumes"`,
    '[network]', 'network_backend = "netavark"', `network_config_dir = "${dir}/networks"`,
    `default_subnet = "${PODMAN_SUBNET}"`, '',
  ].join('\n'));
  const env = { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf'), CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf') };
  const flags = ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--tmpdir', join(dir, 'tmp'),
    '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  const cli = (args, o = {}) => runCmd('podman', [...flags, ...args], { env, ...o });
  const t0 = performance.now();
  const info = await cli(['info', '--format', '{{.Host.NetworkBackend}}']);
  const startMs = performance.now() - t0;
  if (info.code !== 0) {
    await stopDaemon({ exitCode: 0 }, dir); // unmounts the runroot tmpfs, removes the tree
    check(info, 'podman info');
  }
  let service;
  return {
    name: 'podman', label: 'podman', dir, startMs, runFlags: ['--cgroup-parent', `/${CGROUP_PREFIX}-podman`],
    // `docker rm -f` kills at once; podman's waits the stop timeout (10 s) first unless -t 0.
    rmFlags: ['-t', '0'],
    cli, ownCli: cli, ownCliCmd: `podman ${flags.join(' ')}`, env,
    memPids: () => enginePids(undefined, dir, ['conmon']),
    apiSocket: async () => {
      if (!service) {
        const socket = join(dir, 'podman.sock');
        service = await startDaemon('podman-service', 'podman',
          [...flags, 'system', 'service', '--time=0', `unix://${socket}`], dir, socket, env);
      }
      return service.socket;
    },
    stop: async () => {
      await cli(['rm', '-a', '-f', '-t', '0'], { timeoutMs: 180_000 });
      if (service) {
        service.child.kill('SIGTERM');
        for (let i = 0; i < 100 && service.child.exitCode === null && service.child.signalCode === null; i++) await sleep(50);
        if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
      }
      await cli(['system', 'reset', '--force'], { timeoutMs: 180_000 });
      for (let i = 0; i < 3 && existsSync(dir); i++) {
        try {
          await stopDaemon({ exitCode: 0 }, dir); // unmounts what is left under dir, removes it
        } catch (err) {
          if (i === 2) throw err;
          await sleep(1000);
        }
      }
    },
  };
}
