/** IPv4 arithmetic on 32-bit unsigned numbers; pure. */
import { invalid } from '../core/errors.js';

export interface Cidr {
  base: number; // network address
  prefix: number;
}

export function parseIp(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) throw invalid(`invalid IPv4 address: "${s}"`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw invalid(`invalid IPv4 address: "${s}"`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export const isIpv4 = (s: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(s.trim());

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "10.0.0.0/24"; the host bits are cleared ("10.0.0.5/24" -> 10.0.0.0/24). */
export function parseCidr(s: string): Cidr {
  const [ip, p] = s.split('/');
  const prefix = p === undefined ? 32 : Number(p);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw invalid(`invalid CIDR address: ${s}`);
  return { base: (parseIp(ip!) & mask(prefix)) >>> 0, prefix };
}

export const formatCidr = (c: Cidr) => `${formatIp(c.base)}/${c.prefix}`;
export const size = (c: Cidr) => 2 ** (32 - c.prefix);
export const last = (c: Cidr) => c.base + size(c) - 1;
export const contains = (c: Cidr, ip: number) => ((ip & mask(c.prefix)) >>> 0) === c.base;
export const overlaps = (a: Cidr, b: Cidr) => a.base <= last(b) && b.base <= last(a);

/** Splits a pool into subnets of `prefix` bits, in order. */
export function split(c: Cidr, prefix: number): Cidr[] {
  if (prefix < c.prefix) return [c];
  const out: Cidr[] = [];
  const step = 2 ** (32 - prefix);
  for (let b = c.base; b <= last(c); b += step) out.push({ base: b, prefix });
  return out;
}

/** Docker's MAC for an IPv4 address: 02:42 followed by the four address bytes. */
export function macFromIp(ip: string): string {
  const n = parseIp(ip);
  const b = [0x02, 0x42, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
