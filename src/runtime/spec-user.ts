/** Resolution of a docker User string ("name", "uid", "name:group", "uid:gid") against a rootfs's passwd/group. */
import { invalid } from '../core/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').map((l) => l.split(':')).filter((f) => f.length >= 7 && !f[0]!.startsWith('#'))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }));
}

export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').map((l) => l.split(':')).filter((f) => f.length >= 4 && !f[0]!.startsWith('#'))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) }));
}

const isNum = (s: string) => /^\d+$/.test(s);

/**
 * Resolves a user as docker does: numeric ids need no passwd entry; names must exist
 * ("unable to find user x: no matching entries in passwd file"). Supplementary groups
 * are the groups listing the user as member plus `groupAdd`.
 */
export function resolveUser(spec: string | undefined, passwd: string, group: string, groupAdd: string[] = []): ResolvedUser {
  const [u = '', g] = (spec || '0').split(':', 2);
  const users = parsePasswd(passwd);
  const groups = parseGroup(group);
  const pw = users.find((e) => (isNum(u) ? e.uid === Number(u) : e.name === u));
  if (!pw && !isNum(u)) throw invalid(`unable to find user ${u}: no matching entries in passwd file`);
  const uid = isNum(u) ? Number(u) : pw!.uid;
  let gid = pw ? pw.gid : 0;
  if (g !== undefined && g !== '') gid = lookupGroup(g, groups);
  const name = pw?.name;
  const member = name ? groups.filter((e) => e.members.includes(name)).map((e) => e.gid) : [];
  const extra = groupAdd.map((x) => lookupGroup(x, groups));
  const additionalGids = [...new Set([gid, ...member, ...extra])];
  return { uid, gid, additionalGids, home: pw?.home || '/' };
}

function lookupGroup(g: string, groups: GroupEntry[]): number {
  if (isNum(g)) return Number(g);
  const e = groups.find((x) => x.name === g);
  if (!e) throw invalid(`unable to find group ${g}: no matching entries in group file`);
  return e.gid;
}
