/** Host-side pieces of a container: its dirs, overlay rootfs, etc files, netns file. */
import { mkdirSync, writeFileSync, readFileSync, rmSync, existsSync, closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../platform/exec.js';
import type { ContainerRecord } from './containers-store.js';

export class ContainerPaths {
  constructor(readonly dataRoot: string, readonly execRoot: string) {}
  dir(id: string) { return join(this.dataRoot, 'containers', id); }
  rootfs(id: string) { return join(this.dir(id), 'merged'); }
  logPath(id: string) { return join(this.dir(id), `${id}-json.log`); }
  bundle(id: string) { return join(this.execRoot, 'containers', id); }
  persist(id: string) { return join(this.bundle(id), 'persist'); }
  get exitDir() { return join(this.execRoot, 'exits'); }
  netns(id: string) { return join(this.execRoot, 'netns', id); }
}

async function isMounted(path: string): Promise<boolean> {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[4] === path);
}

/** Mounts the overlay rootfs (lowerdir is top layer first, so the list is reversed). Idempotent. */
export async function mountRootfs(p: ContainerPaths, c: ContainerRecord): Promise<string> {
  const dir = p.dir(c.id);
  const merged = p.rootfs(c.id);
  if (await isMounted(merged)) return merged;
  for (const d of ['upper', 'work', 'merged', 'empty']) mkdirSync(join(dir, d), { recursive: true });
  const lower = c.layerDirs.length ? [...c.layerDirs].reverse().join(':') : join(dir, 'empty');
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${dir}/upper,workdir=${dir}/work`, merged]);
  return merged;
}

export async function unmountRootfs(p: ContainerPaths, id: string): Promise<void> {
  const merged = p.rootfs(id);
  if (await isMounted(merged)) await run('umount', ['-l', merged], { allowFailure: true });
}

export function readRootfsFile(rootfs: string, path: string): string {
  try { return readFileSync(join(rootfs, path), 'utf8'); } catch { return ''; }
}

/** /etc/hosts, /etc/hostname, /etc/resolv.conf for the container (bind-mounted by the spec). */
export function writeEtcFiles(p: ContainerPaths, c: ContainerRecord, hostname: string, net?: { hosts: string; resolvConf: string }): void {
  const dir = p.dir(c.id);
  mkdirSync(dir, { recursive: true });
  const hosts = net?.hosts ?? `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
  writeFileSync(join(dir, 'hosts'), hosts);
  writeFileSync(join(dir, 'hostname'), `${hostname}\n`);
  writeFileSync(join(dir, 'resolv.conf'), net?.resolvConf ?? hostResolvConf(c));
}

function hostResolvConf(c: ContainerRecord): string {
  const hc = c.hostConfig;
  if (hc.Dns?.length || hc.DnsSearch?.length || hc.DnsOptions?.length) {
    return [...(hc.Dns ?? []).map((d) => `nameserver ${d}`), ...(hc.DnsSearch?.length ? [`search ${hc.DnsSearch.join(' ')}`] : []),
      ...(hc.DnsOptions?.length ? [`options ${hc.DnsOptions.join(' ')}`] : [])].join('\n') + '\n';
  }
  const host = readRootfsFile('/', 'etc/resolv.conf');
  return host.split('\n').filter((l) => !/^nameserver\s+127\./.test(l)).join('\n');
}

/** A new network namespace held by a bind mount on <execRoot>/netns/<id>. */
export async function createNetns(p: ContainerPaths, id: string): Promise<string> {
  const path = p.netns(id);
  if (existsSync(path) && (await isMounted(path))) return path;
  mkdirSync(join(p.execRoot, 'netns'), { recursive: true });
  closeSync(openSync(path, 'w'));
  await run('unshare', [`--net=${path}`, 'ip', 'link', 'set', 'lo', 'up']);
  return path;
}

export async function removeNetns(p: ContainerPaths, id: string): Promise<void> {
  const path = p.netns(id);
  if (!existsSync(path)) return;
  await run('umount', [path], { allowFailure: true });
  rmSync(path, { force: true });
}

export function removeDirs(p: ContainerPaths, id: string): void {
  rmSync(p.bundle(id), { recursive: true, force: true });
  rmSync(p.dir(id), { recursive: true, force: true });
  rmSync(join(p.exitDir, id), { force: true });
}
