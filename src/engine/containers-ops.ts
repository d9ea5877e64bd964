/** Namespace planning, network wiring, attach sessions and top for OciContainerService. */
import { PassThrough } from 'node:stream';
import { constants } from 'node:os';
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, invalid } from '../core/errors.js';
import { run } from '../platform/exec.js';
import { attachSocket } from '../runtime/monitor.js';
import { hostnameOf, type NamespacePlan } from '../runtime/spec.js';
import type { AttachOptions, AttachSession } from './types.js';
import type { ContainerRecord } from './containers-store.js';
import { createNetns } from './containers-host.js';
import { createUsernsNetns } from './userns-netns.js';
import type { IdMapping } from './userns.js';
import { configuredNetworks } from './containers-networks.js';
import type { ContainerStore } from './containers-store.js';
import type { ContainerPaths } from './containers-host.js';
import type { CgroupReader } from '../runtime/cgroups.js';
import type { ContainerNetworker } from './types.js';

/** What these helpers need of the service (kept structural: no import cycle). */
export interface OpsHost {
  store: ContainerStore;
  paths: ContainerPaths;
  cgroups: CgroupReader;
  o: { instance: string; execRoot: string; networker?: ContainerNetworker };
  userns?: { mappingFor(hc: ContainerRecord['hostConfig']): Promise<IdMapping | undefined> };
}

const NS_FILE = { network: 'net', pid: 'pid', ipc: 'ipc', uts: 'uts' } as const;
/** dockerd's words: "cannot join network of a non running container: <name as given>". */
const WHAT = { network: 'network', pid: 'PID', ipc: 'IPC', uts: 'UTS' } as const;

/** HostConfig modes -> namespace plan: host (omit), container:X (/proc/<pid>/ns/..), or new. */
export async function planNamespaces(svc: OpsHost, c: ContainerRecord): Promise<NamespacePlan> {
  const hc = c.hostConfig;
  const plan: NamespacePlan = {};
  const modes = { network: hc.NetworkMode, pid: hc.PidMode, ipc: hc.IpcMode, uts: hc.UTSMode } as const;
  const idmap = await svc.userns?.mappingFor(hc);
  for (const [type, mode] of Object.entries(modes) as [keyof typeof NS_FILE, string | undefined][]) {
    if (mode === 'host') plan[type] = 'host';
    else if (mode?.startsWith('container:')) {
      const ref = mode.slice('container:'.length);
      const other = svc.store.resolve(ref);
      if (other.id === c.id) throw invalid(`cannot join own ${WHAT[type]}`);
      if (!other.state.Running) throw conflict(`cannot join ${WHAT[type]} of a non running container: ${ref}`);
      plan[type] = `/proc/${other.state.Pid}/ns/${NS_FILE[type]}`;
      if (idmap) plan.user ??= await joinedUserns(other.state.Pid, ref, WHAT[type]);
    }
  }
  if (!plan.network && svc.o.networker && !['none'].includes(hc.NetworkMode ?? '')) {
    if (idmap) Object.assign(plan, await createUsernsNetns(svc.o.execRoot, c.id, idmap, plan.user).then((r) => ({ user: r.user, network: r.net })));
    else plan.network = await createNetns(svc.paths, c.id);
  }
  return plan;
}

/**
 * A remapped container that shares a namespace of container X joins X's user namespace
 * too, the owner of what it shares (dockerd does so for the network): a runtime may only
 * enter a namespace its own user namespace owns (runc refuses otherwise, and `runc exec`
 * enters the user namespace first). X in the host's user namespace is refused.
 */
async function joinedUserns(pid: number, ref: string, what: string): Promise<string> {
  const [theirs, ours] = await Promise.all([readlink(`/proc/${pid}/ns/user`).catch(() => ''), readlink('/proc/self/ns/user')]);
  if (!theirs || theirs === ours) {
    throw conflict(`cannot join the ${what} namespace of ${ref} from a user namespace: ${ref} runs in the host's user namespace (give both containers the same user namespace mode)`);
  }
  return `/proc/${pid}/ns/user`;
}

/** Calls the networker for a netns the daemon created; otherwise "none" (lo only) and default etc files. */
export async function connectNetwork(svc: OpsHost, c: ContainerRecord, plan: NamespacePlan) {
  const net = svc.o.networker;
  const path = plan.network;
  const joined = c.hostConfig.NetworkMode?.startsWith('container:') ? await joinedNetworkFiles(svc, c) : undefined;
  const hc = c.hostConfig;
  const request = (netnsPath: string) => ({
    containerId: c.id, containerName: c.name, hostname: hostnameOf(c.config, c.id), netnsPath,
    networkMode: hc.NetworkMode || 'default', endpoints: configuredNetworks(c), portBindings: hc.PortBindings ?? {}, publishAllPorts: !!hc.PublishAllPorts,
    exposedPorts: Object.keys(c.config.ExposedPorts ?? {}), extraHosts: hc.ExtraHosts ?? [], dns: hc.Dns ?? [],
    dnsSearch: hc.DnsSearch ?? [], dnsOptions: hc.DnsOptions ?? [],
  });
  if (!net || !path || path === 'host' || path.startsWith('/proc/')) {
    c.network = { networks: hc.NetworkMode === 'host' ? { host: {} } : { none: {} }, ports: {}, sandboxKey: path && path !== 'host' ? path : '' };
    if (net && path === 'host') {
      // the host's /etc/hosts (plus --add-host) and resolv.conf, as dockerd gives a --network host container
      const r = await net.setup(request(''));
      return { hosts: r.hosts, resolvConf: r.resolvConf };
    }
    return joined;
  }
  const r = await net.setup(request(path));
  c.network = { networks: r.networks, ports: r.ports, sandboxKey: path };
  svc.store.save(c);
  return { hosts: r.hosts, resolvConf: r.resolvConf };
}

/**
 * `--network container:X`, as dockerd's initializeNetworkingPaths: the container takes X's
 * hostname and domain name and X's /etc/hosts and /etc/resolv.conf (copied at each start),
 * so `hostname -i` in it finds X's address.
 */
async function joinedNetworkFiles(svc: OpsHost, c: ContainerRecord): Promise<{ hosts: string; resolvConf: string } | undefined> {
  let other: ContainerRecord;
  try { other = svc.store.resolve(c.hostConfig.NetworkMode!.slice('container:'.length)); } catch { return undefined; }
  c.config.Hostname = hostnameOf(other.config, other.id);
  c.config.Domainname = other.config.Domainname ?? '';
  const dir = svc.paths.dir(other.id);
  const [hosts, resolvConf] = await Promise.all([readFile(join(dir, 'hosts'), 'utf8'), readFile(join(dir, 'resolv.conf'), 'utf8')]).catch(() => []);
  return hosts !== undefined && resolvConf !== undefined ? { hosts, resolvConf } : undefined;
}

/**
 * An attach session whose socket is connected by `schedule(connect)`: at once for a
 * running container, or by start() between conmon's create and the runtime's start,
 * so `docker run -a` sees every byte. The output ends once `stopped` resolves too (the exit
 * is recorded), so a client that removes the container right after the stream ended
 * (docker-py's attach, then remove) does not find it still running.
 */
export function attachSession(opts: AttachOptions, schedule: (connect: (bundle: string) => Promise<void>) => void,
  stopped: () => Promise<unknown> = async () => {}): AttachSession {
  const output = new PassThrough({ objectMode: true });
  const stdin = opts.stdin ? new PassThrough() : undefined;
  let close = () => { output.end(); };
  schedule(async (bundle) => {
    const raw = attachSocket(`${bundle}/attach`);
    close = raw.close;
    raw.output.on('data', (ch: { stream: 1 | 2 }) => {
      if ((ch.stream === 1 && opts.stdout !== false) || (ch.stream === 2 && opts.stderr !== false)) output.write(ch);
    });
    raw.output.on('end', () => void stopped().finally(() => output.end()));
    raw.output.on('error', (e) => output.destroy(e));
    if (stdin) stdin.pipe(raw.stdin);
    await raw.ready;
  });
  return { output, stdin, close: () => close() };
}

/** `ps` on the host, restricted to the container's pids; docker's default columns. */
export async function topOf(pids: number[], psArgs = '-ef'): Promise<{ Titles: string[]; Processes: string[][] }> {
  // As dockerd: ask ps for the container's pids (`-q`), so options that select nothing by
  // themselves (`-o pid,comm`) list them too; options that refuse -q (`f`) run without it.
  const args = psArgs.split(/\s+/).filter(Boolean);
  let r = pids.length ? await run('ps', [...args, `-q${pids.join(',')}`], { allowFailure: true }) : undefined;
  if (!r || r.code !== 0) r = await run('ps', args);
  const lines = r.stdout.split('\n').filter(Boolean);
  const titles = lines[0]!.trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw invalid(`Couldn't find PID field in ps output`);
  const want = new Set(pids.map(String));
  const procs: string[][] = [];
  for (const l of lines.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (!want.has(f[pidCol]!)) continue;
    procs.push([...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(' ')]);
  }
  return { Titles: titles, Processes: procs };
}

export function signalNumber(sig: string): number {
  if (/^\d+$/.test(sig)) return Number(sig);
  const name = `SIG${sig.toUpperCase().replace(/^SIG/, '')}` as keyof typeof constants.signals;
  const n = constants.signals[name];
  if (n === undefined) throw invalid(`Invalid signal: ${sig}`);
  return n;
}
