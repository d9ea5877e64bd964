// Host hygiene for bench/run.mjs: what the host looked like before the run, and the undoing
// of what our engines added to it (bridges, netns, iptables-nft tables, cgroups, sysctls).
// Only objects that did not exist before AND carry a name our engines use are touched.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
};

export const links = () => new Set(sh('ip', ['-o', 'link', 'show']).split('\n')
  .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1]).filter(Boolean));
const netns = () => new Set(sh('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter(Boolean));
const tables = () => new Set(sh('nft', ['list', 'tables']).split('\n').map((l) => l.replace(/^table /, '').trim()).filter(Boolean));
const SYSCTLS = ['net/ipv4/ip_forward', 'net/bridge/bridge-nf-call-iptables', 'net/bridge/bridge-nf-call-ip6tables'];
const sysctls = () => Object.fromEntries(SYSCTLS.map((k) => {
  try {
    return [k, readFileSync(`/proc/sys/${k}`, 'utf8').trim()];
  } catch {
    return [k, undefined];
  }
}));

/** Top-level directories of every mounted cgroup hierarchy (v1 controllers and v2). */
function cgroupDirs() {
  const out = new Set();
  const roots = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '))
    .filter((f) => f[2] === 'cgroup' || f[2] === 'cgroup2').map((f) => f[1]);
  for (const r of roots) {
    try {
      for (const d of readdirSync(r, { withFileTypes: true })) if (d.isDirectory()) out.add(join(r, d.name));
    } catch {
      // hierarchy gone
    }
  }
  return out;
}

export function snapshot() {
  return { links: links(), netns: netns(), tables: tables(), cgroups: cgroupDirs(), sysctls: sysctls() };
}

/** rmdir a cgroup tree bottom-up; a cgroup that still holds a process stays (and is reported). */
function rmCgroupTree(dir) {
  try {
    for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) rmCgroupTree(join(dir, d.name));
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes what appeared since `before` and is ours by name: links and netns whose name starts
 * with one of `prefixes`, nft tables of our hako instance, the iptables-nft tables (ip/ip6 filter,
 * nat) that netavark or docker created when they did not exist before, cgroup directories
 * starting with one of `cgroupPrefixes`; restores the sysctls. Returns what it removed and
 * what it could not.
 */
export function restore(before, { prefixes, instance, cgroupPrefixes, exclusivePrefixes = [] }) {
  const removed = [];
  const left = [];
  const ours = (name) => prefixes.some((p) => name.startsWith(p));
  for (const l of links()) {
    if (before.links.has(l) || !ours(l)) continue;
    sh('ip', ['link', 'del', l]);
    (links().has(l) ? left : removed).push(`link ${l}`);
  }
  for (const n of netns()) {
    if (before.netns.has(n) || !ours(n)) continue;
    sh('ip', ['netns', 'del', n]);
    (netns().has(n) ? left : removed).push(`netns ${n}`);
  }
  const iptablesTables = ['ip filter', 'ip nat', 'ip6 filter', 'ip6 nat', 'ip mangle', 'ip raw', 'ip6 mangle', 'ip6 raw'];
  for (const t of tables()) {
    if (before.tables.has(t)) continue;
    const hakoTable = instance && t.split(' ')[1]?.startsWith(instance);
    if (!hakoTable && !iptablesTables.includes(t)) continue;
    sh('nft', ['delete', 'table', ...t.split(' ')]);
    (tables().has(t) ? left : removed).push(`nft table ${t}`);
  }
  for (const c of cgroupDirs()) {
    const base = c.split('/').pop();
    // Names starting with an `exclusivePrefix` are ours even from an earlier, interrupted run.
    const mine = exclusivePrefixes.some((p) => base.startsWith(p));
    if ((before.cgroups.has(c) && !mine) || !cgroupPrefixes.some((p) => base.startsWith(p))) continue;
    (rmCgroupTree(c) ? removed : left).push(`cgroup ${c}`);
  }
  for (const [k, v] of Object.entries(before.sysctls)) {
    if (v === undefined) continue;
    try {
      if (readFileSync(`/proc/sys/${k}`, 'utf8').trim() !== v) {
        execFileSync('sysctl', ['-q', '-w', `${k.replaceAll('/', '.')}=${v}`], { stdio: 'ignore' });
        removed.push(`sysctl ${k} back to ${v}`);
      }
    } catch {
      left.push(`sysctl ${k}`);
    }
  }
  return { removed, left };
}

/** Mount points at or under dir, deepest first. */
export function mountsUnder(dir) {
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1])
    .filter((m) => m && (m === dir || m.startsWith(dir + '/'))).sort((a, b) => b.length - a.length);
}

export function isDir(p) {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
