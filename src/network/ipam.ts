/**
 * IPv4 address management, persisted in SQLite (net_addrs), so no address is handed
 * out twice, also across daemon restarts. One pool per network: a subnet, a reserved
 * gateway and an optional range (--ip-range) that dynamic allocation draws from.
 * New networks without a subnet get the first free subnet of the default pools (as
 * dockerd: 172.17-31.0.0/16, then 192.168.0.0/16 split into /20), skipping any subnet
 * that overlaps one of ours or a route already on the host (docker0's 172.17.0.0/16,
 * podman's 10.88.0.0/16 and the host's own LAN included).
 */
import { conflict, invalid, unavailable } from '../core/errors.js';
import type { IpTool } from '../platform/ip.js';
import {
  type Cidr, contains, formatCidr, formatIp, last, overlaps, parseCidr, parseIp, split,
} from './addr.js';
import type { NetworkRow, NetworkStore } from './store.js';

export interface AddressPool {
  base: string;
  size: number;
}

export const DEFAULT_ADDRESS_POOLS: AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 }, { base: '172.18.0.0/16', size: 16 }, { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 }, { base: '172.24.0.0/14', size: 16 }, { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

export interface PoolRequest {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
}

export interface PlannedPool {
  subnet: string;
  gateway: string;
  ipRange: string;
  userSubnet: boolean;
}

export interface IpamOptions {
  defaultPools?: AddressPool[];
  /** dockerd's --bip: the default bridge's gateway with its prefix, e.g. "10.200.0.1/24". */
  bip?: string;
}

/** CIDRs of the host's routes except the default route (`ip -j route`). */
export async function hostRoutes(ip: IpTool): Promise<string[]> {
  const routes = await ip.json(['route']);
  return routes.map((r) => String(r.dst)).filter((d) => d !== 'default' && !d.includes(':'))
    .map((d) => (d.includes('/') ? d : `${d}/32`));
}

export class Ipam {
  private readonly pools: AddressPool[];
  constructor(private readonly store: NetworkStore, private readonly opts: IpamOptions = {}) {
    this.pools = opts.defaultPools ?? DEFAULT_ADDRESS_POOLS;
  }

  /** Chooses subnet, gateway and range for a new network; validates user values. */
  plan(req: PoolRequest, inUse: string[], isDefaultBridge = false): PlannedPool {
    if (isDefaultBridge && this.opts.bip && !req.subnet) {
      const [gw] = this.opts.bip.split('/');
      return this.plan({ subnet: formatCidr(parseCidr(this.opts.bip)), gateway: gw }, [], false);
    }
    if (!req.subnet) {
      if (req.gateway || req.ipRange) throw invalid('ipam: a gateway or ip-range needs a subnet');
      const subnet = this.freeSubnet(inUse);
      return { subnet: formatCidr(subnet), gateway: formatIp(subnet.base + 1), ipRange: '', userSubnet: false };
    }
    const subnet = parseCidr(req.subnet);
    if (subnet.prefix > 30) throw invalid(`invalid subnet ${req.subnet}: the prefix must be at most /30`);
    const taken = this.store.networks().filter((n) => n.subnet && overlaps(parseCidr(n.subnet), subnet));
    if (taken.length) throw conflict(`Pool overlaps with other one on this address space`);
    const gateway = req.gateway ? parseIp(req.gateway) : subnet.base + 1;
    if (!contains(subnet, gateway) || gateway === subnet.base || gateway === last(subnet)) {
      throw invalid(`no matching subnet for gateway ${req.gateway}`);
    }
    let ipRange = '';
    if (req.ipRange) {
      const r = parseCidr(req.ipRange);
      if (r.prefix < subnet.prefix || !contains(subnet, r.base)) {
        throw invalid(`no matching subnet for range ${req.ipRange}`);
      }
      ipRange = formatCidr(r);
    }
    return { subnet: formatCidr(subnet), gateway: formatIp(gateway), ipRange, userSubnet: true };
  }

  private freeSubnet(inUse: string[]): Cidr {
    const used = [...inUse, ...this.store.networks().map((n) => n.subnet).filter(Boolean)].map(parseCidr);
    for (const pool of this.pools) {
      for (const c of split(parseCidr(pool.base), pool.size)) {
        if (!used.some((u) => overlaps(u, c))) return c;
      }
    }
    throw unavailable('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  }

  reserveGateway(n: NetworkRow): void {
    this.store.claim(n.id, n.gateway, 'gateway');
  }

  /**
   * Hands out an address of the network to `owner`: the requested one (Conflict
   * "Address already in use" when taken) or the lowest free one of the range.
   */
  allocate(n: NetworkRow, owner: string, requested?: string): string {
    const subnet = parseCidr(n.subnet);
    if (requested) {
      if (!n.userSubnet && !n.builtin) {
        throw invalid('user specified IP address is supported only when connecting to networks with user configured subnets');
      }
      const ip = parseIp(requested);
      if (!contains(subnet, ip) || ip === subnet.base || ip === last(subnet)) {
        throw invalid(`Invalid address ${requested}: It does not belong to any of this network's subnets`);
      }
      if (!this.store.claim(n.id, formatIp(ip), owner)) throw conflict('Address already in use');
      return formatIp(ip);
    }
    const range = n.ipRange ? parseCidr(n.ipRange) : subnet;
    const used = this.store.addresses(n.id);
    const lo = Math.max(range.base, subnet.base + 1);
    const hi = Math.min(last(range), last(subnet) - 1);
    for (let a = lo; a <= hi; a++) {
      const s = formatIp(a);
      if (!used.has(s) && this.store.claim(n.id, s, owner)) return s;
    }
    throw unavailable(`no available IPv4 addresses on this network's address pools: ${n.name} (${n.id})`);
  }

  release(networkId: string, owner: string): void {
    this.store.release(networkId, owner);
  }
}
