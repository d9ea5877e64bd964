/**
 * Host ports for published container ports: explicit ports, ranges ("8000-8010"),
 * and random ones from the ephemeral range (-P / HostPort ""). A host port is refused
 * when one of our bindings or a socket on the host already holds it, with dockerd's
 * messages: "Bind for 0.0.0.0:8080 failed: port is already allocated" (ours), and
 * "... Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address already
 * in use" (another program's socket).
 */
import { readFile } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import { EngineError, conflict, invalid } from '../core/errors.js';
import type { PortBinding } from '../core/docker.js';
import { formatIp } from './addr.js';

export type Proto = 'tcp' | 'udp';

export interface HostSocket {
  proto: Proto;
  address: string;
  port: number;
}

export interface PortProbe {
  /** Listening TCP and bound UDP sockets of the host (its own netns). */
  sockets(): Promise<HostSocket[]>;
  ephemeralRange(): Promise<[number, number]>;
}

function parseProcNet(text: string, proto: Proto, v6: boolean): HostSocket[] {
  const out: HostSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    if (proto === 'tcp' && f[3] !== '0A') continue;
    const [hexAddr, hexPort] = f[1]!.split(':');
    let address = v6 ? (/^0+$/.test(hexAddr!) ? '::' : 'v6') : '';
    if (!v6) {
      const n = parseInt(hexAddr!, 16);
      address = formatIp(((n & 255) << 24 | ((n >>> 8) & 255) << 16 | ((n >>> 16) & 255) << 8 | (n >>> 24)) >>> 0);
    }
    out.push({ proto, address, port: parseInt(hexPort!, 16) });
  }
  return out;
}

export class ProcPortProbe implements PortProbe {
  async sockets(): Promise<HostSocket[]> {
    const files: Array<[string, Proto, boolean]> = [
      ['tcp', 'tcp', false], ['tcp6', 'tcp', true], ['udp', 'udp', false], ['udp6', 'udp', true],
    ];
    const all = await Promise.all(files.map(async ([f, p, v6]) =>
      parseProcNet(await readFile(`/proc/net/${f}`, 'utf8').catch(() => ''), p, v6)));
    return all.flat();
  }
  async ephemeralRange(): Promise<[number, number]> {
    const t = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768 60999');
    const [lo, hi] = t.trim().split(/\s+/).map(Number);
    return [lo!, hi!];
  }
}

export interface PortRequest {
  proto: Proto;
  containerPort: number;
  hostIp: string;
  /** '' (random), '8080' or '8000-8010'. */
  hostPort: string;
}

export interface Taken {
  proto: Proto;
  hostIp: string;
  hostPort: number;
}

/** "80/tcp" -> [80, 'tcp']; a bare "80" is tcp. */
export function parsePortKey(key: string): [number, Proto] {
  const [p, proto = 'tcp'] = key.split('/');
  const port = Number(p);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || (proto !== 'tcp' && proto !== 'udp')) {
    throw invalid(`invalid port specification: "${key}"`);
  }
  return [port, proto];
}

/** The requests of a container: its PortBindings, plus every exposed port when publishAll. */
export function portRequests(bindings: Record<string, PortBinding[] | null>, exposed: string[], publishAll: boolean): PortRequest[] {
  const out: PortRequest[] = [];
  for (const [key, list] of Object.entries(bindings)) {
    const [containerPort, proto] = parsePortKey(key);
    for (const b of list?.length ? list : [{}]) {
      const hostIp = b.HostIp ?? '';
      if (hostIp.includes(':')) continue; // IPv6 bindings: not published (IPv4 NAT only)
      out.push({ proto, containerPort, hostIp, hostPort: b.HostPort ?? '' });
    }
  }
  if (publishAll) {
    for (const key of exposed) {
      if (key in bindings) continue;
      const [containerPort, proto] = parsePortKey(key);
      out.push({ proto, containerPort, hostIp: '', hostPort: '' });
    }
  }
  return out;
}

/** A host port held by a program other than this daemon (dockerd: the userland proxy's bind failed). */
export class PortInUseError extends EngineError {
  constructor(message: string) {
    super('Conflict', message);
  }
}

const anyIp = (ip: string) => ip === '' || ip === '0.0.0.0';
const clash = (a: Taken, proto: Proto, ip: string, port: number) =>
  a.proto === proto && a.hostPort === port && (anyIp(a.hostIp) || anyIp(ip) || a.hostIp === ip);

function sockClash(s: HostSocket, proto: Proto, ip: string, port: number, ignore: Set<string>): boolean {
  if (s.proto !== proto || s.port !== port || ignore.has(s.address)) return false;
  return s.address === '0.0.0.0' || s.address === '::' || anyIp(ip) || s.address === ip || s.address === 'v6';
}

/**
 * Chooses the host port of every request. `taken` are our existing bindings,
 * `sockets` the host's; addresses in `ignore` (our DNS sockets) do not count.
 */
export function assignPorts(reqs: PortRequest[], taken: Taken[], sockets: HostSocket[],
  range: [number, number], ignore = new Set<string>()): Array<PortRequest & { port: number }> {
  const used = [...taken];
  const free = (proto: Proto, ip: string, p: number) =>
    !used.some((t) => clash(t, proto, ip, p)) && !sockets.some((s) => sockClash(s, proto, ip, p, ignore));
  const out: Array<PortRequest & { port: number }> = [];
  for (const r of reqs) {
    // dockerd: host port 0 (testcontainers sends it) is a random port, as an empty one
    const random = r.hostPort === '' || r.hostPort === '0';
    const parts = random ? range : r.hostPort.split('-').map(Number);
    const lo = parts[0]!;
    const top = parts[1] ?? lo;
    if (!Number.isInteger(lo) || !Number.isInteger(top) || lo < 1 || top > 65535 || top < lo) {
      throw invalid(`invalid host port "${r.hostPort}"`);
    }
    const port = pick(lo, top, random, (p) => free(r.proto, r.hostIp, p));
    if (port === undefined) {
      const shown = random ? 'a random port' : r.hostPort;
      // One port that none of our bindings holds but another program does: dockerd
      // fails its userland proxy's listen(), and says so (the caller names the endpoint).
      if (lo === top && !random && !used.some((t) => clash(t, r.proto, r.hostIp, lo))) {
        throw new PortInUseError(`Error starting userland proxy: listen ${r.proto}4 ${r.hostIp || '0.0.0.0'}:${lo}: bind: address already in use`);
      }
      throw conflict(`Bind for ${r.hostIp || '0.0.0.0'}:${shown} failed: port is already allocated`);
    }
    used.push({ proto: r.proto, hostIp: r.hostIp, hostPort: port });
    out.push({ ...r, port });
  }
  return out;
}

function pick(lo: number, hi: number, random: boolean, ok: (p: number) => boolean): number | undefined {
  const n = hi - lo + 1;
  const start = random ? randomInt(n) : 0;
  for (let i = 0; i < n; i++) {
    const p = lo + ((start + i) % n);
    if (ok(p)) return p;
  }
  return undefined;
}
