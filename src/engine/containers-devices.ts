/**
 * --privileged gets the host's device nodes in its /dev, as dockerd gives them (containerd's
 * HostDevices): every char and block node under /dev, except the pts, shm, fd and mqueue
 * trees and the nodes the runtime makes itself (console, ptmx, null, zero, ...).
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { OciSpec } from '../runtime/spec-types.js';

type OciDevice = NonNullable<OciSpec['linux']['devices']>[number];

const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);
const RUNTIME_MADE = new Set(['console', 'ptmx', 'null', 'zero', 'full', 'random', 'urandom', 'tty']);

/** Linux's major/minor encoding of st_rdev. */
export function devNumbers(st: Stats): { major: number; minor: number } {
  const r = BigInt(st.rdev);
  return { major: Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn)), minor: Number((r & 0xffn) | ((r >> 12n) & ~0xffn)) };
}

/** The device nodes under `dir` (default /dev) as OCI linux.devices entries. */
export function hostDevices(dir = '/dev', top = true): OciDevice[] {
  const out: OciDevice[] = [];
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    const p = join(dir, name);
    let st: Stats;
    try { st = lstatSync(p); } catch { continue; }
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(name)) out.push(...hostDevices(p, false));
      continue;
    }
    if (top && RUNTIME_MADE.has(name)) continue;
    if (!st.isCharacterDevice() && !st.isBlockDevice()) continue;
    const { major, minor } = devNumbers(st);
    if (major === 0 && minor === 0) continue;
    out.push({ path: p, type: st.isCharacterDevice() ? 'c' : 'b', major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
  }
  return out;
}
