/** docker's nat.ParsePortSpecs: `-p [ip:][hostPort:]containerPort[/proto]`, ranges included. */
import type { PortBinding } from '../../core/docker.js';

export interface PortSpec {
  exposed: Record<string, object>;
  bindings: Record<string, PortBinding[]>;
}

function parseRange(s: string, what: string, spec: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new Error(`invalid ${what}: ${s}`);
  const a = Number(m[1]);
  const b = m[2] ? Number(m[2]) : a;
  if (a > 65535 || b > 65535 || b < a) throw new Error(`invalid ${what}: ${s}`);
  void spec;
  return [a, b];
}

/** Splits "ip:host:ctr", "host:ctr", "ctr" with IPv6 addresses in brackets. */
function split(raw: string): { ip: string; host: string; ctr: string } {
  let ip = '';
  let rest = raw;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(raw);
  if (v6) {
    ip = v6[1]!;
    rest = v6[2]!;
    const [host = '', ctr = ''] = rest.includes(':') ? rest.split(':') : ['', rest];
    return { ip, host, ctr };
  }
  const parts = rest.split(':');
  if (parts.length === 1) return { ip: '', host: '', ctr: parts[0]! };
  if (parts.length === 2) return { ip: '', host: parts[0]!, ctr: parts[1]! };
  if (parts.length === 3) return { ip: parts[0]!, host: parts[1]!, ctr: parts[2]! };
  return { ip: parts.slice(0, -2).join(':'), host: parts[parts.length - 2]!, ctr: parts[parts.length - 1]! };
}

export function parsePorts(specs: string[], expose: string[] = []): PortSpec {
  const out: PortSpec = { exposed: {}, bindings: {} };
  for (const e of expose) {
    const [port, proto = 'tcp'] = e.split('/');
    const [a, b] = parseRange(port!, 'port', e);
    for (let p = a; p <= b; p++) out.exposed[`${p}/${proto.toLowerCase()}`] = {};
  }
  for (const spec of specs) {
    const slash = spec.lastIndexOf('/');
    const proto = slash > spec.lastIndexOf(']') && slash >= 0 ? spec.slice(slash + 1).toLowerCase() : 'tcp';
    const raw = slash > spec.lastIndexOf(']') && slash >= 0 ? spec.slice(0, slash) : spec;
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new Error(`invalid proto: ${proto}`);
    const { ip, host, ctr } = split(raw);
    if (!ctr) throw new Error(`no port specified: ${spec}<empty>`);
    const [c1, c2] = parseRange(ctr, 'containerPort', spec);
    const [h1, h2] = host ? parseRange(host, 'hostPort', spec) : [0, 0];
    const n = c2 - c1;
    if (host && h2 - h1 !== n && n !== 0) throw new Error(`invalid ranges specified for container and host Ports: ${ctr} and ${host}`);
    for (let i = 0; i <= n; i++) {
      const key = `${c1 + i}/${proto}`;
      let hostPort = '';
      if (host) hostPort = n === 0 && h2 !== h1 ? `${h1}-${h2}` : String(h1 + i);
      out.exposed[key] = {};
      (out.bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
    }
  }
  return out;
}
