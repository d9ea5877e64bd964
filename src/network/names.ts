/**
 * Names of the host objects one daemon instance creates. Every name starts with the
 * instance name so several daemons, and other engines, never touch each other's objects;
 * kernel interface names are at most 15 bytes (IFNAMSIZ - 1).
 */
import { randomBytes } from 'node:crypto';

export const IFNAMSIZ = 15;

/** "bridge" -> "hako0"; others -> "hako-<12 hex of id>" cut to 15 bytes. */
export function bridgeName(instance: string, networkId: string, isDefault: boolean): string {
  if (isDefault) return `${instance.slice(0, IFNAMSIZ - 1)}0`;
  return `${instance}-${networkId.slice(0, 12)}`.slice(0, IFNAMSIZ);
}

/** The prefix of this instance's host-side veth names ("hakov"). */
export function vethPrefix(instance: string): string {
  return `${instance.slice(0, IFNAMSIZ - 8)}v`;
}

/** A host-side veth name: "<instance>v<7 hex>". */
export function vethName(instance: string, hex = randomBytes(4).toString('hex').slice(0, 7)): string {
  return vethPrefix(instance) + hex;
}

export function isOurVeth(instance: string, name: string): boolean {
  const p = vethPrefix(instance);
  return name.length === p.length + 7 && name.startsWith(p) && /^[0-9a-f]{7}$/.test(name.slice(p.length));
}

/** The netns name (under /run/netns) of a container: "<instance>-<12 hex>". */
export function netnsName(instance: string, containerId: string): string {
  return `${instance}-${containerId.slice(0, 12)}`;
}

export function isOurNetns(instance: string, name: string): boolean {
  return name.startsWith(`${instance}-`) && /^[0-9a-f]{12}$/.test(name.slice(instance.length + 1));
}

/** The nft table (family ip) of an instance; nft identifiers allow [a-zA-Z0-9_-]. */
export function tableName(instance: string): string {
  return instance.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** The iptables chain, jumped to from filter FORWARD, that accepts our bridges' traffic. */
export function iptablesChain(instance: string): string {
  return `${instance.toUpperCase().replace(/[^A-Z0-9_-]/g, '_').slice(0, 20)}-FORWARD`;
}

export function validIfName(s: string): boolean {
  return s.length > 0 && s.length <= IFNAMSIZ && /^[^\s/:]+$/.test(s) && s !== '.' && s !== '..';
}
