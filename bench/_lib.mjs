// Shared pieces of the benchmarks: a private hakod or dockerd on a temporary root,
// API calls over a unix socket, process-tree memory, medians, markdown results.
import { spawn, execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function has(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** One API call over a unix socket; body may be a Buffer, string or file path ({file}). Resolves {status, body}. */
export function api(socketPath, method, path, body) {
  return new Promise((res, rej) => {
    const headers = {};
    if (body?.file) headers['Content-Type'] = 'application/x-tar';
    else if (body !== undefined) headers['Content-Type'] = 'application/json';
    const req = request({ socketPath, method, path, headers }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode, body: Buffer.concat(chunks).toString() }));
      r.on('error', rej);
    });
    req.on('error', rej);
    if (body?.file) createReadStream(body.file).pipe(req);
    else req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

async function waitPing(socketPath, child, name, logFile, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start (${child.exitCode}); log: ${logFile}`);
    try {
      if ((await api(socketPath, 'GET', '/_ping')).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${name} did not answer on ${socketPath} within ${ms} ms; log: ${logFile}`);
}

export function startDaemon(name, bin, args, dir, socket, env) {
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: true, env: env ?? process.env });
  closeSync(fd);
  const t0 = performance.now();
  return waitPing(socket, child, name, logFile).then(() => ({
    name, child, pid: child.pid, socket, dir, logFile, startMs: performance.now() - t0,
    host: `unix://${socket}`,
    stop: () => stopDaemon(child, dir),
  }));
}

/** hakod on a temporary root, socket and instance name (default: one per bench process). */
export function startHakod({ instance = `hkb${process.pid % 100000}` } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hako-bench-'));
  const socket = join(dir, 'hakod.sock');
  const args = [
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'run'), '-H', `unix://${socket}`,
    '--pidfile', join(dir, 'hakod.pid'), '--instance', instance,
  ];
  // HAKO_TEARDOWN_ON_EXIT: its SIGTERM also removes the instance's bridges, nft table,
  // iptables chain and cgroups, so a bench run leaves the host as it found it.
  return startDaemon('hakod', join(ROOT, 'bin', 'hakod'), args, dir, socket, { ...process.env, HAKO_TEARDOWN_ON_EXIT: '1' });
}

/**
 * A tmpfs on `path` (created), as /run is on a standard host: run-time state of every
 * engine lives on tmpfs (hakod mounts its own when its exec root sits on a disk, as on this
 * VM, where /run is on ext4). stopDaemon() unmounts it with the rest of the tree.
 */
export function tmpfsDir(path) {
  mkdirSync(path, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0711', 'tmpfs', path]);
  return path;
}

/**
 * dockerd (with its own managed containerd) on a temporary root, no iptables. Without
 * `bridge` it has no default bridge (--bridge=none); with it, containers on the default
 * network join that existing bridge (created and removed by the caller), and published
 * ports go through docker-proxy. `cgroupParent` keeps its cgroups under a name of ours.
 */
export function startDockerd({ bridge, cgroupParent } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'docker-bench-'));
  const socket = join(dir, 'docker.sock');
  tmpfsDir(join(dir, 'run')); // its exec root and containerd's state, on tmpfs as under /run
  const args = [
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'run'), '-H', `unix://${socket}`,
    '--pidfile', join(dir, 'docker.pid'), `--bridge=${bridge ?? 'none'}`, '--iptables=false', '--ip6tables=false',
    '--ip-masq=false', '--storage-driver=overlay2',
    ...(cgroupParent ? [`--cgroup-parent=${cgroupParent}`] : []),
  ];
  return startDaemon('dockerd', 'dockerd', args, dir, socket);
}

/** Installs docker.io with apt-get when dockerd is missing (only when asked to). */
export function ensureDocker(install) {
  if (has('dockerd')) return true;
  if (!install) return false;
  console.error('bench: installing docker.io (apt-get)');
  // The package would start a system dockerd (docker0 bridge, iptables rules) from its
  // postinst; a policy-rc.d that refuses keeps the host as it was. Ours runs privately.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker.io'], {
      stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  return has('dockerd');
}

export async function stopDaemon(child, dir) {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    const deadline = Date.now() + 20_000;
    while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) await sleep(50);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  // Whatever the daemon left mounted under its temporary root (deepest first), then the tree.
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n')
    .map((l) => l.split(' ')[1]).filter((m) => m && (m === dir || m.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** The pid and all its descendants (from /proc/<pid>/task/*\/children). */
export function processTree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i];
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        const kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      } catch {
        // task exited
      }
    }
  }
  return out;
}

/** RSS and PSS in KiB of one process, with its command name. */
export function memoryOf(pid) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name) => Number((new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup) ?? [])[1] ?? 0);
  const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  return { pid, comm, rssKiB: field('Rss'), pssKiB: field('Pss') };
}

export function machine() {
  return `${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), kernel ${release()}, Node ${process.version}`;
}

/** Writes bench/results/<name>.md: a title, the machine, and a markdown table. */
export function writeResults(name, title, header, rows, notes = []) {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const line = (cells) => `| ${cells.join(' | ')} |`;
  const text = [
    `# ${title}`, '',
    `${new Date().toISOString().slice(0, 10)}, ${machine()}`, '',
    line(header), line(header.map(() => '---')), ...rows.map(line), '',
    ...notes.map((n) => `${n}`), '',
  ].join('\n');
  const file = join(dir, `${name}.md`);
  writeFileSync(file, text);
  return { file, text };
}

export function parseFlags(argv, spec) {
  const opts = { ...spec };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in spec)) throw new Error(`unknown option "${argv[i]}"; known: ${Object.keys(spec).map((k) => `--${k}`).join(' ')}`);
    if (typeof spec[key] === 'boolean') opts[key] = true;
    else opts[key] = typeof spec[key] === 'number' ? Number(argv[++i]) : argv[++i];
  }
  return opts;
}

export { existsSync };
