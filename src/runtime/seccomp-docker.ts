/**
 * docker's seccomp profile format -> OCI linux.seccomp. parseProfile() decodes and
 * checks the JSON text a client sends in `seccomp=<json>` (errors in dockerd's words,
 * "Decoding seccomp profile failed: ..."); convertProfile() keeps the rules whose
 * includes/excludes match the container's capabilities, the host's architecture and
 * kernel, and picks the architectures from archMap, as dockerd does.
 */
import { invalid } from '../core/errors.js';
import {
  SECCOMP_ACTIONS, SECCOMP_OPS,
  type DockerSeccompFilter, type DockerSeccompProfile, type DockerSyscall, type OciSeccomp, type OciSeccompArg, type OciSyscall, type SeccompTarget,
} from './seccomp-types.js';

/** libseccomp native arch name -> SCMP_ARCH_* (docker's nativeToSeccomp). */
const NATIVE_TO_SCMP: Record<string, string> = {
  x86: 'SCMP_ARCH_X86', amd64: 'SCMP_ARCH_X86_64', arm: 'SCMP_ARCH_ARM', arm64: 'SCMP_ARCH_AARCH64',
  loong64: 'SCMP_ARCH_LOONGARCH64', ppc64le: 'SCMP_ARCH_PPC64LE', ppc64: 'SCMP_ARCH_PPC64', s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64', mips64: 'SCMP_ARCH_MIPS64', mipsle: 'SCMP_ARCH_MIPSEL',
};

const fail = (msg: string) => invalid(`Decoding seccomp profile failed: ${msg}`);

type JsonKind = 'string' | 'number' | 'bool' | 'array' | 'object';
const kindOf = (v: unknown): JsonKind =>
  Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : (typeof v as JsonKind);

/** Checks a decoded value's JSON kind as Go's decoder would (null is always accepted). */
function expect(v: unknown, kind: JsonKind, field: string, goType: string): void {
  if (v === undefined || v === null || kindOf(v) === kind) return;
  throw fail(`json: cannot unmarshal ${kindOf(v)} into Go struct field ${field} of type ${goType}`);
}

function syntaxError(e: Error, text: string): string {
  if (/end of (JSON )?input/i.test(e.message)) return 'unexpected end of JSON input';
  const pos = Number(/position (\d+)/.exec(e.message)?.[1] ?? NaN);
  const ch = Number.isNaN(pos) ? /token '?(.)/.exec(e.message)?.[1] : text[pos];
  return ch ? `invalid character '${ch}' looking for beginning of value` : e.message;
}

/** Decodes and checks a docker-format profile; throws InvalidArgument in dockerd's words. */
export function parseProfile(text: string): DockerSeccompProfile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw fail(syntaxError(e as Error, text));
  }
  if (v === null) return {};
  if (kindOf(v) !== 'object') throw fail(`json: cannot unmarshal ${kindOf(v)} into Go value of type seccomp.Seccomp`);
  const p = v as DockerSeccompProfile & Record<string, unknown>;
  expect(p.defaultAction, 'string', 'Seccomp.defaultAction', 'specs.LinuxSeccompAction');
  expect(p.defaultErrnoRet, 'number', 'Seccomp.defaultErrnoRet', 'uint');
  expect(p.architectures, 'array', 'Seccomp.architectures', '[]specs.Arch');
  expect(p.archMap, 'array', 'Seccomp.archMap', '[]seccomp.Architecture');
  expect(p.flags, 'array', 'Seccomp.flags', '[]specs.LinuxSeccompFlag');
  expect(p.syscalls, 'array', 'Seccomp.syscalls', '[]*seccomp.Syscall');
  if (p.defaultAction && !SECCOMP_ACTIONS.includes(p.defaultAction)) throw fail(`unknown action "${p.defaultAction}"`);
  for (const a of p.architectures ?? []) if (typeof a !== 'string') throw fail(`json: cannot unmarshal ${kindOf(a)} into Go struct field Seccomp.architectures of type specs.Arch`);
  for (const m of p.archMap ?? []) {
    expect(m, 'object', 'Seccomp.archMap', 'seccomp.Architecture');
    expect(m?.architecture, 'string', 'Architecture.archMap.architecture', 'specs.Arch');
    expect(m?.subArchitectures, 'array', 'Architecture.archMap.subArchitectures', '[]specs.Arch');
  }
  (p.syscalls ?? []).forEach(checkSyscall);
  if (p.syscalls?.length && !p.defaultAction) throw fail('the profile has syscall rules but no defaultAction');
  return p;
}

function checkSyscall(s: DockerSyscall): void {
  expect(s, 'object', 'Seccomp.syscalls', 'seccomp.Syscall');
  if (!s) return;
  expect(s.name, 'string', 'Syscall.syscalls.name', 'string');
  expect(s.names, 'array', 'Syscall.syscalls.names', '[]string');
  expect(s.action, 'string', 'Syscall.syscalls.action', 'specs.LinuxSeccompAction');
  expect(s.errnoRet, 'number', 'Syscall.syscalls.errnoRet', 'uint');
  expect(s.args, 'array', 'Syscall.syscalls.args', '[]specs.LinuxSeccompArg');
  for (const n of s.names ?? []) if (typeof n !== 'string') throw fail(`json: cannot unmarshal ${kindOf(n)} into Go struct field Syscall.syscalls.names of type string`);
  if (!s.action || !SECCOMP_ACTIONS.includes(s.action)) throw fail(`unknown action "${s.action ?? ''}" for syscall ${(s.names ?? [s.name]).join(',')}`);
  for (const a of s.args ?? []) {
    expect(a, 'object', 'Syscall.syscalls.args', 'specs.LinuxSeccompArg');
    for (const k of ['index', 'value', 'valueTwo'] as const) expect(a?.[k], 'number', `LinuxSeccompArg.syscalls.args.${k}`, k === 'index' ? 'uint' : 'uint64');
    if (a && !SECCOMP_OPS.includes(a.op)) throw fail(`unknown operator "${a.op ?? ''}"`);
  }
  for (const f of [s.includes, s.excludes]) {
    expect(f, 'object', 'Syscall.syscalls.includes', 'seccomp.Filter');
    expect(f?.caps, 'array', 'Filter.syscalls.includes.caps', '[]string');
    expect(f?.arches, 'array', 'Filter.syscalls.includes.arches', '[]string');
    if (f?.minKernel !== undefined && f.minKernel !== null && f.minKernel !== '') kernelOf(f.minKernel);
  }
}

/** "<kernel>.<major>" as docker's KernelVersion reads it. */
function kernelOf(v: unknown): [number, number] {
  const bad = (why = '') => fail(`invalid kernel version: ${JSON.stringify(v)}, expected "<kernel>.<major>"${why}`);
  if (typeof v !== 'string') throw bad();
  const parts = v.split('.');
  if (parts.length !== 2 || !parts.every((x) => /^\d{1,3}$/.test(x))) throw bad();
  const k: [number, number] = [Number(parts[0]), Number(parts[1])];
  if (k[0] === 0 && k[1] === 0) throw bad(': version cannot be 0.0');
  return k;
}

function kernelAtLeast(host: string | undefined, min: string): boolean {
  if (!host) return true;
  const [hk = 0, hm = 0] = host.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const [mk, mm] = kernelOf(min);
  return hk > mk || (hk === mk && hm >= mm);
}

/** Whether a rule applies to this container and host (docker's includes/excludes). */
function applies(s: DockerSyscall, t: SeccompTarget): boolean {
  const ex: DockerSeccompFilter = s.excludes ?? {};
  if (ex.arches?.includes(t.arch)) return false;
  if (ex.caps?.some((c) => t.caps.includes(c))) return false;
  if (ex.minKernel && kernelAtLeast(t.kernel, ex.minKernel)) return false;
  const inc: DockerSeccompFilter = s.includes ?? {};
  if (inc.arches?.length && !inc.arches.includes(t.arch)) return false;
  if (inc.caps?.length && !inc.caps.every((c) => t.caps.includes(c))) return false;
  if (inc.minKernel && !kernelAtLeast(t.kernel, inc.minKernel)) return false;
  return true;
}

function ociSyscall(s: DockerSyscall): OciSyscall {
  if (s.name && s.names?.length) throw invalid("both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'");
  const out: OciSyscall = { names: s.name ? [s.name] : [...(s.names ?? [])], action: s.action! };
  if (s.errnoRet !== undefined && s.errnoRet !== null) out.errnoRet = s.errnoRet;
  if (s.args?.length) {
    out.args = s.args.map((a): OciSeccompArg => ({
      index: a.index ?? 0, value: a.value ?? 0, ...(a.valueTwo ? { valueTwo: a.valueTwo } : {}), op: a.op,
    }));
  }
  return out;
}

/**
 * linux.seccomp for `t` from a docker-format profile, or undefined when the profile
 * confines nothing (no defaultAction and no rules: dockerd runs such a container unconfined).
 */
export function convertProfile(p: DockerSeccompProfile, t: SeccompTarget): OciSeccomp | undefined {
  if (!p.defaultAction && !p.syscalls?.length) return undefined;
  if (p.architectures?.length && p.archMap?.length) {
    throw invalid("both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  const out: OciSeccomp = { defaultAction: p.defaultAction! };
  if (p.defaultErrnoRet !== undefined && p.defaultErrnoRet !== null) out.defaultErrnoRet = p.defaultErrnoRet;
  let arches = p.architectures ?? [];
  const mine = p.archMap?.find((m) => m.architecture === NATIVE_TO_SCMP[t.arch]);
  if (mine) arches = [mine.architecture, ...(mine.subArchitectures ?? [])];
  if (arches.length) out.architectures = [...arches];
  if (p.flags?.length) out.flags = [...p.flags];
  if (p.listenerPath) out.listenerPath = p.listenerPath;
  if (p.listenerMetadata) out.listenerMetadata = p.listenerMetadata;
  out.syscalls = (p.syscalls ?? []).filter((s) => applies(s, t)).map(ociSyscall).filter((s) => s.names.length > 0);
  return out;
}
