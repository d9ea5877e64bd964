/**
 * Where a registry name is served: the ordered endpoints (scheme, host, TLS
 * material) dockerd would try. 127.0.0.0/8 and the daemon's "insecure-registries"
 * (names or CIDRs) are insecure: https without verification first, then plain http.
 * Every other registry is https, verified with the system CAs plus the *.crt files
 * of <certsDir>/<host[:port]>/ (and a client certificate from *.cert + *.key there).
 * For docker.io, "registry-mirrors" come first when pulling.
 */
import { lookup } from 'node:dns/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { invalid } from '../core/errors.js';
import { HUB_HOST } from './registry-auth.js';

export interface RegistryHostsConfig {
  /** daemon.json "insecure-registries": "host[:port]" or CIDR ("10.0.0.0/8"). */
  insecureRegistries?: string[];
  /** daemon.json "registry-mirrors": URLs used before Docker Hub when pulling docker.io images. */
  mirrors?: string[];
  /** Directory of per-registry certificates (default $HAKO_CERTS_DIR or /etc/hako/certs.d). */
  certsDir?: string;
}

export interface TlsMaterial {
  ca?: string[];
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
}

export interface RegistryEndpoint {
  /** "https://127.0.0.1:5000" (no trailing slash). */
  base: string;
  /** The registry's name as references spell it ("docker.io", "127.0.0.1:5000"). */
  name: string;
  insecure: boolean;
  mirror: boolean;
  tls?: TlsMaterial;
}

export const DEFAULT_CERTS_DIR = '/etc/hako/certs.d';
const DEFAULT_INSECURE_CIDRS = ['127.0.0.0/8'];

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, p) => (a << 8) + Number(p), 0) >>> 0;
}

function ipv6ToBig(ip: string): bigint {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const parts = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return parts.reduce((a, p) => (a << 16n) + BigInt(parseInt(p || '0', 16)), 0n);
}

/** True when `ip` lies in `cidr` (IPv4 or IPv6). */
export function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsS] = cidr.split('/') as [string, string | undefined];
  const fam = isIP(ip);
  if (!fam || fam !== isIP(net)) return false;
  const bits = Number(bitsS ?? (fam === 4 ? 32 : 128));
  if (fam === 4) {
    if (bits === 0) return true;
    const mask = (~0 << (32 - bits)) >>> 0;
    return (ipv4ToInt(ip) & mask) === (ipv4ToInt(net) & mask);
  }
  const shift = BigInt(128 - bits);
  return ipv6ToBig(ip) >> shift === ipv6ToBig(net) >> shift;
}

/** "host:port" -> "host"; "[::1]:5000" -> "::1". */
export function hostOnly(name: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(name);
  if (m) return m[1]!;
  return name.replace(/:\d+$/, '');
}

export class RegistryHosts {
  private readonly names = new Set<string>();
  private readonly cidrs: string[];
  readonly certsDir: string;
  readonly mirrors: string[];

  constructor(cfg: RegistryHostsConfig = {}) {
    this.cidrs = [...DEFAULT_INSECURE_CIDRS];
    for (const e of cfg.insecureRegistries ?? []) {
      const v = e.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
      if (/^[0-9a-f.:]+\/\d+$/i.test(v)) this.cidrs.push(v);
      else this.names.add(v.toLowerCase());
    }
    this.certsDir = cfg.certsDir ?? process.env.HAKO_CERTS_DIR ?? DEFAULT_CERTS_DIR;
    this.mirrors = (cfg.mirrors ?? []).map((m) => {
      let u: URL;
      try {
        u = new URL(m);
      } catch {
        throw invalid(`invalid mirror "${m}": not a URL`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(`invalid mirror "${m}": use http:// or https://`);
      return `${u.protocol}//${u.host}`;
    });
  }

  /** dockerd's rule: listed by name, or one of the host's addresses is in an insecure CIDR. */
  async isInsecure(name: string): Promise<boolean> {
    const n = name.toLowerCase();
    if (this.names.has(n) || this.names.has(hostOnly(n))) return true;
    const host = hostOnly(n);
    let ips: string[];
    if (isIP(host)) ips = [host];
    else {
      try {
        ips = (await lookup(host, { all: true })).map((a) => a.address);
      } catch {
        return false;
      }
    }
    return ips.some((ip) => this.cidrs.some((c) => inCidr(ip, c)));
  }

  /** The TLS settings for `name` from the certs dir (an absent dir means system CAs only). */
  tlsFor(name: string, insecure: boolean): TlsMaterial {
    const dir = join(this.certsDir, name);
    const tls: TlsMaterial = { rejectUnauthorized: !insecure };
    let files: string[] = [];
    try {
      files = readdirSync(dir).sort();
    } catch {
      return tls;
    }
    const cas = files.filter((f) => f.endsWith('.crt')).map((f) => readFileSync(join(dir, f), 'utf8'));
    if (cas.length) tls.ca = [...rootCertificates, ...cas];
    const cert = files.find((f) => f.endsWith('.cert') && files.includes(f.replace(/\.cert$/, '.key')));
    if (cert) {
      tls.cert = readFileSync(join(dir, cert), 'utf8');
      tls.key = readFileSync(join(dir, cert.replace(/\.cert$/, '.key')), 'utf8');
    }
    return tls;
  }

  /** The endpoints to try, in order, for registry `name` ("docker.io" for Docker Hub). */
  async endpoints(name: string, purpose: 'pull' | 'push'): Promise<RegistryEndpoint[]> {
    const out: RegistryEndpoint[] = [];
    if (name === 'docker.io') {
      if (purpose === 'pull') {
        for (const m of this.mirrors) {
          const host = new URL(m).host;
          const insecure = m.startsWith('http:') || (await this.isInsecure(host));
          out.push({ base: m, name, insecure, mirror: true, tls: this.tlsFor(host, insecure) });
        }
      }
      out.push({ base: `https://${HUB_HOST}`, name, insecure: false, mirror: false, tls: this.tlsFor(HUB_HOST, false) });
      return out;
    }
    const insecure = await this.isInsecure(name);
    out.push({ base: `https://${name}`, name, insecure, mirror: false, tls: this.tlsFor(name, insecure) });
    if (insecure) out.push({ base: `http://${name}`, name, insecure, mirror: false });
    return out;
  }
}
