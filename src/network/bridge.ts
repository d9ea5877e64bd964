/**
 * The bridge driver: a host bridge per network, addressed with the network's gateway,
 * and per container a veth pair whose peer is created directly inside the container's
 * netns under its final name (eth0, eth1, ...). Wiring one endpoint is two `ip -batch`
 * runs: one in the host, one in the netns.
 */
import { createHash } from 'node:crypto';
import type { IpTool } from '../platform/ip.js';

/**
 * A fixed, locally administered MAC for a bridge, from its name. Without one the kernel
 * gives the bridge the lowest MAC of its ports, so it changes as containers come and go
 * and every container's ARP entry for its gateway goes stale (docker sets one too).
 */
export function bridgeMac(name: string): string {
  const h = createHash('sha256').update(`hako-bridge:${name}`).digest();
  return ['02', ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

export interface AttachSpec {
  bridge: string;
  /** Host-side veth name. */
  veth: string;
  /** A name under /run/netns or a path to a netns file. */
  netns: string;
  ifname: string;
  ip: string;
  prefix: number;
  mac: string;
  gateway: string;
  defaultRoute: boolean;
  mtu?: number;
}

export class BridgeDriver {
  constructor(private readonly ip: IpTool) {}

  async createBridge(name: string, gateway: string, prefix: number, mtu?: number): Promise<void> {
    await this.ip.batch([
      `link add ${name} address ${bridgeMac(name)} type bridge${mtu ? ` mtu ${mtu}` : ''}`,
      `addr add ${gateway}/${prefix} dev ${name}`,
      `link set ${name} up`,
    ]);
  }

  /** Makes sure an existing bridge carries the gateway address and is up (daemon restart). */
  async repairBridge(name: string, gateway: string, prefix: number): Promise<void> {
    await this.ip.batchForce([`link set ${name} address ${bridgeMac(name)}`, `addr replace ${gateway}/${prefix} dev ${name}`, `link set ${name} up`]);
  }

  async deleteBridge(name: string): Promise<void> {
    await this.ip.batchForce([`link del ${name}`]);
  }

  async attach(s: AttachSpec): Promise<void> {
    const mtu = s.mtu ? ` mtu ${s.mtu}` : '';
    await this.ip.batch([
      `link add ${s.veth}${mtu} type veth peer name ${s.ifname}${mtu} netns ${s.netns}`,
      `link set ${s.veth} master ${s.bridge}`,
      `link set dev ${s.veth} type bridge_slave hairpin on`,
      `link set ${s.veth} up`,
    ]);
    const inside = [
      'link set lo up',
      `link set ${s.ifname} address ${s.mac}`,
      `addr add ${s.ip}/${s.prefix} dev ${s.ifname}`,
      `link set ${s.ifname} up`,
    ];
    if (s.defaultRoute) inside.push(`route replace default via ${s.gateway} dev ${s.ifname}`);
    try {
      await this.ip.batch(inside, s.netns);
    } catch (e) {
      await this.detach([s.veth]);
      throw e;
    }
  }

  /** Deletes host-side veths (their peers go with them); missing ones are ignored. */
  async detach(veths: string[]): Promise<void> {
    await this.ip.batchForce(veths.map((v) => `link del ${v}`));
  }

  async createNetns(name: string): Promise<void> {
    await this.ip.batch([`netns add ${name}`]);
    await this.ip.batch(['link set lo up'], name);
  }

  async deleteNetns(names: string[]): Promise<void> {
    await this.ip.batchForce(names.map((n) => `netns del ${n}`));
  }
}
