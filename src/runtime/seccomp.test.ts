import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLONE_NEW_FLAGS, DEFAULT_PROFILE, profileFor } from './seccomp-default.js';
import { convertProfile, parseProfile } from './seccomp-docker.js';
import { parseSecurityOpts, seccompFor, validateSecurityOpts } from './seccomp.js';
import { SeccompBpfCache, BPF_ANNOTATION } from './seccomp-cache.js';
import { capsInMask } from './caps-host.js';
import { DEFAULT_CAPS, ALL_CAPS } from './spec-defaults.js';
import { buildSpec, type SpecInput } from './spec.js';
import type { OciSeccomp } from './seccomp-types.js';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the filter answers for one call, as libseccomp would build it: a matching rule's action, else the default. */
function verdict(p: OciSeccomp, name: string, args: number[] = []): string {
  for (const s of p.syscalls ?? []) {
    if (!s.names.includes(name)) continue;
    const match = (s.args ?? []).every((a) => {
      const v = args[a.index] ?? 0;
      switch (a.op) {
        case 'SCMP_CMP_EQ': return v === a.value;
        case 'SCMP_CMP_NE': return v !== a.value;
        case 'SCMP_CMP_LT': return v < a.value;
        case 'SCMP_CMP_GT': return v > a.value;
        case 'SCMP_CMP_MASKED_EQ': return Number(BigInt(v) & BigInt(a.value)) === (a.valueTwo ?? 0);
        default: throw new Error(`op ${a.op}`);
      }
    });
    if (match) return s.action === 'SCMP_ACT_ERRNO' ? `errno ${s.errnoRet ?? p.defaultErrnoRet ?? 1}` : s.action;
  }
  return p.defaultAction === 'SCMP_ACT_ERRNO' ? `errno ${p.defaultErrnoRet ?? 1}` : p.defaultAction;
}

const EPERM = 'errno 1';
const ALLOW = 'SCMP_ACT_ALLOW';
const withCap = (cap: string) => [...DEFAULT_CAPS, cap];

test('the default profile is an allow-list failing everything else with EPERM, for x86_64, x86 and x32', () => {
  const p = profileFor(DEFAULT_CAPS, 'amd64', '6.1');
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(p.defaultErrnoRet, 1);
  assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(profileFor(DEFAULT_CAPS, 'arm64').architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  for (const c of ['read', 'write', 'openat', 'execve', 'mmap', 'futex', 'epoll_wait', 'clone', 'fork', 'wait4', 'socket', 'chroot', 'arch_prctl', 'ptrace']) {
    assert.equal(verdict(p, c), ALLOW, c);
  }
  assert.equal(verdict(profileFor(DEFAULT_CAPS, 'arm64'), 'arch_prctl'), EPERM, 'x86-only calls stay out on arm64');
  assert.equal(verdict(profileFor(DEFAULT_CAPS, 'arm64'), 'set_tls'), ALLOW);
});

test('every syscall issue #6 names is blocked by default', () => {
  const p = profileFor(DEFAULT_CAPS, 'amd64');
  const blocked = ['keyctl', 'add_key', 'request_key', 'kexec_load', 'kexec_file_load', 'open_by_handle_at', 'init_module', 'finit_module',
    'delete_module', 'bpf', 'perf_event_open', 'mount', 'umount', 'umount2', 'unshare', 'setns', 'pivot_root', 'userfaultfd',
    'io_uring_setup', 'reboot', 'swapon', 'settimeofday', 'clock_settime', 'acct', 'iopl', 'fsopen', 'move_mount', 'open_tree'];
  for (const c of blocked) assert.equal(verdict(p, c), EPERM, c);
  // Same with every capability but CAP_SYS_ADMIN (as with --cap-add ALL --cap-drop SYS_ADMIN), for the always-blocked ones.
  const most = profileFor(ALL_CAPS.filter((c) => c !== 'CAP_SYS_ADMIN'), 'amd64');
  for (const c of ['keyctl', 'add_key', 'request_key', 'kexec_load', 'mount', 'unshare', 'setns', 'pivot_root']) assert.equal(verdict(most, c), EPERM, c);
});

test('clone with CLONE_NEW* flags is blocked without CAP_SYS_ADMIN, clone3 answers ENOSYS', () => {
  const p = profileFor(DEFAULT_CAPS, 'amd64');
  const SIGCHLD = 17;
  const CLONE_THREAD_FLAGS = 0x3d0f00;
  assert.equal(verdict(p, 'clone', [SIGCHLD]), ALLOW);
  assert.equal(verdict(p, 'clone', [CLONE_THREAD_FLAGS]), ALLOW, 'pthread_create');
  for (const f of [0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000]) {
    assert.equal(verdict(p, 'clone', [SIGCHLD | f]), EPERM, `flag ${f.toString(16)}`);
  }
  assert.equal(CLONE_NEW_FLAGS, 2114060288);
  assert.equal(verdict(p, 'clone3'), 'errno 38');
  // s390x puts the flags in the second argument.
  const s390 = profileFor(DEFAULT_CAPS, 's390x');
  assert.equal(verdict(s390, 'clone', [0, SIGCHLD | 0x10000000]), EPERM);
  assert.equal(verdict(s390, 'clone', [0x10000000, SIGCHLD]), ALLOW);
});

test('capabilities unlock their syscalls', () => {
  const admin = profileFor(withCap('CAP_SYS_ADMIN'), 'amd64');
  for (const c of ['mount', 'umount2', 'unshare', 'setns', 'clone3', 'bpf', 'perf_event_open', 'sethostname', 'fsopen']) assert.equal(verdict(admin, c), ALLOW, c);
  assert.equal(verdict(admin, 'clone', [0x10000000 | 17]), ALLOW);
  for (const c of ['keyctl', 'kexec_load', 'init_module', 'pivot_root']) assert.equal(verdict(admin, c), EPERM, c);
  const cases: [string, string[]][] = [
    ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']], ['CAP_SYS_BOOT', ['reboot']],
    ['CAP_SYS_TIME', ['settimeofday', 'clock_settime']], ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd']],
    ['CAP_SYS_NICE', ['mbind', 'set_mempolicy']], ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']], ['CAP_BPF', ['bpf']],
    ['CAP_PERFMON', ['perf_event_open']], ['CAP_SYS_RAWIO', ['iopl', 'ioperm']], ['CAP_SYS_PACCT', ['acct']], ['CAP_SYSLOG', ['syslog']],
  ];
  for (const [cap, calls] of cases) {
    const p = profileFor(withCap(cap), 'amd64');
    for (const c of calls) assert.equal(verdict(p, c), ALLOW, `${cap} ${c}`);
    assert.equal(verdict(p, 'mount'), EPERM, `${cap} does not unlock mount`);
  }
  assert.equal(verdict(profileFor(DEFAULT_CAPS.filter((c) => c !== 'CAP_SYS_CHROOT'), 'amd64'), 'chroot'), EPERM);
});

test('personality and socket arguments', () => {
  const p = profileFor(DEFAULT_CAPS, 'amd64');
  for (const v of [0, 8, 0x20000, 0x20008, 0xffffffff]) assert.equal(verdict(p, 'personality', [v]), ALLOW, String(v));
  assert.equal(verdict(p, 'personality', [0x0040000]), EPERM, 'ADDR_NO_RANDOMIZE');
  assert.equal(verdict(p, 'socket', [2]), ALLOW);
  assert.equal(verdict(p, 'socket', [40]), EPERM, 'AF_VSOCK');
});

test('docker-format profiles: includes/excludes on caps, arches and kernel; name and archMap', () => {
  const prof = parseProfile(JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }, { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: null }],
    syscalls: [
      { name: 'mkdir', action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { names: ['chmod'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['chown'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['link'], action: 'SCMP_ACT_KILL', includes: { arches: ['arm64'] } },
      { names: ['rename'], action: 'SCMP_ACT_LOG', includes: { minKernel: '5.10' } },
      { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', excludes: { minKernel: '5.10' }, comment: 'old kernels only' },
      { names: ['utime'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 5, op: 'SCMP_CMP_GT' }] },
    ],
  }));
  const plain = convertProfile(prof, { caps: DEFAULT_CAPS, arch: 'amd64', kernel: '6.1.0-13-amd64' })!;
  assert.deepEqual(plain.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  assert.deepEqual(plain.syscalls!.map((s) => s.names[0]), ['mkdir', 'chown', 'rename', 'utime']);
  assert.deepEqual(plain.syscalls![0], { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 });
  assert.deepEqual(plain.syscalls![3]!.args, [{ index: 1, value: 5, op: 'SCMP_CMP_GT' }]);
  const admin = convertProfile(prof, { caps: withCap('CAP_SYS_ADMIN'), arch: 'arm64', kernel: '4.19' })!;
  assert.deepEqual(admin.architectures, ['SCMP_ARCH_AARCH64']);
  assert.deepEqual(admin.syscalls!.map((s) => s.names[0]), ['mkdir', 'chmod', 'link', 'rmdir', 'utime']);
  // Confines nothing: dockerd runs such a container unconfined.
  assert.equal(convertProfile(parseProfile('{}'), { caps: [], arch: 'amd64' }), undefined);
  // The default profile is itself a docker-format profile and survives a JSON round trip.
  assert.deepEqual(convertProfile(parseProfile(JSON.stringify(DEFAULT_PROFILE)), { caps: DEFAULT_CAPS, arch: 'amd64', kernel: '6.1' }), profileFor(DEFAULT_CAPS, 'amd64', '6.1'));
});

test('bad profiles are refused in dockerd\'s words', () => {
  const bad: [string, RegExp][] = [
    ['{"defaultAction":', /^Decoding seccomp profile failed: unexpected end of JSON input$/],
    ['xyz', /^Decoding seccomp profile failed: invalid character 'x' looking for beginning of value$/],
    ['[1]', /cannot unmarshal array into Go value of type seccomp.Seccomp/],
    ['{"defaultAction":5}', /cannot unmarshal number into Go struct field Seccomp.defaultAction/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":{}}', /cannot unmarshal object into Go struct field Seccomp.syscalls/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["x"],"action":"SCMP_ACT_BOGUS"}]}', /unknown action "SCMP_ACT_BOGUS"/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"LT"}]}]}', /unknown operator "LT"/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"5"}}]}', /invalid kernel version: "5", expected "<kernel>.<major>"/],
    ['{"syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW"}]}', /no defaultAction/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseProfile(text), (e: Error & { code?: string }) => re.test(e.message) && e.code === 'InvalidArgument', text);
  }
  const both = parseProfile('{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}');
  assert.throws(() => convertProfile(both, { caps: [], arch: 'amd64' }), /both 'architectures' and 'archMap' are specified/);
  const nameAndNames = parseProfile('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}');
  assert.throws(() => convertProfile(nameAndNames, { caps: [], arch: 'amd64' }), /both 'name' and 'names'/);
});

test('security options as dockerd parses them', () => {
  assert.deepEqual(parseSecurityOpts(['no-new-privileges', 'seccomp=unconfined', 'apparmor=unconfined', 'label=disable', 'label:type:x']),
    { noNewPrivileges: true, seccomp: 'unconfined', apparmor: 'unconfined', labels: ['disable', 'type:x'] });
  assert.equal(parseSecurityOpts(['no-new-privileges=true']).noNewPrivileges, true);
  assert.equal(parseSecurityOpts(['no-new-privileges', 'no-new-privileges=false']).noNewPrivileges, false);
  assert.equal(parseSecurityOpts(['no-new-privileges=1']).noNewPrivileges, true);
  assert.deepEqual(parseSecurityOpts(['disable']).labels, ['disable']);
  assert.equal(parseSecurityOpts(['writable-cgroups=false']).writableCgroups, false);
  assert.throws(() => parseSecurityOpts(['foo']), /^EngineError: invalid --security-opt 1: "foo"$|invalid --security-opt 1: "foo"/);
  assert.throws(() => parseSecurityOpts(['label']), /invalid --security-opt 1: "label"/);
  assert.throws(() => parseSecurityOpts(['foo=bar']), /invalid --security-opt 2: "foo=bar"/);
  assert.throws(() => parseSecurityOpts(['no-new-privileges=yes']), /invalid --security-opt 2: "no-new-privileges=yes"/);
  assert.throws(() => validateSecurityOpts({ SecurityOpt: ['seccomp={'] }), /Decoding seccomp profile failed/);
  validateSecurityOpts({ SecurityOpt: ['seccomp=unconfined', 'seccomp=builtin'] });
});

test('seccompFor: privileged, unconfined, builtin, a container profile, the daemon\'s profile', () => {
  const host = { arch: 'amd64', kernel: '6.1' };
  const custom = 'seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}';
  const daemonProfile = parseProfile('{"defaultAction":"SCMP_ACT_LOG"}');
  assert.deepEqual(seccompFor({}, DEFAULT_CAPS, 'builtin', host), profileFor(DEFAULT_CAPS, 'amd64', '6.1'));
  assert.equal(seccompFor({ Privileged: true }, ALL_CAPS, 'builtin', host), undefined);
  assert.equal(seccompFor({ SecurityOpt: ['seccomp=unconfined'] }, DEFAULT_CAPS, 'builtin', host), undefined);
  assert.equal(seccompFor({}, DEFAULT_CAPS, 'unconfined', host), undefined);
  assert.equal(seccompFor({ SecurityOpt: ['seccomp=builtin'] }, DEFAULT_CAPS, 'unconfined', host)?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(seccompFor({}, DEFAULT_CAPS, daemonProfile, host)?.defaultAction, 'SCMP_ACT_LOG');
  assert.equal(seccompFor({ Privileged: true }, ALL_CAPS, daemonProfile, host), undefined);
  assert.equal(verdict(seccompFor({ SecurityOpt: [custom] }, DEFAULT_CAPS, 'builtin', host)!, 'mkdir'), EPERM);
  assert.equal(seccompFor({ Privileged: true, SecurityOpt: [custom] }, ALL_CAPS, 'builtin', host)?.defaultAction, 'SCMP_ACT_ALLOW', 'privileged keeps its own profile');
});

const input = (over: Partial<SpecInput> = {}): SpecInput => ({
  id: 'a'.repeat(64), config: { Cmd: ['sh'] }, hostConfig: {}, image: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} },
  rootfs: '/r', containerDir: '/c', dataRoot: '/d', instance: 'hako', namespaces: {}, passwd: '', group: '', ...over,
});

test('buildSpec puts the profile for the container\'s capabilities in linux.seccomp', () => {
  const s = buildSpec(input());
  assert.equal(s.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(verdict(s.linux.seccomp!, 'unshare'), EPERM);
  assert.equal(s.process.noNewPrivileges, false);
  const admin = buildSpec(input({ hostConfig: { CapAdd: ['SYS_ADMIN'], SecurityOpt: ['no-new-privileges=true'] } }));
  assert.equal(verdict(admin.linux.seccomp!, 'unshare'), ALLOW);
  assert.equal(admin.process.noNewPrivileges, true);
  assert.equal(buildSpec(input({ hostConfig: { Privileged: true } })).linux.seccomp, undefined);
  assert.equal(buildSpec(input({ seccomp: 'unconfined' })).linux.seccomp, undefined);
});

test('the BPF cache: crun only, learnt from <root>/<id>/seccomp.bpf, then handed over in the annotation', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hako-bpf-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cache = new SeccompBpfCache(true);
  const spec = () => buildSpec(input());
  assert.equal(cache.prepare(spec(), 'runc'), undefined, 'runc ignores the annotation');
  assert.equal(cache.prepare(buildSpec(input({ seccomp: 'unconfined' })), 'crun'), undefined, 'nothing to compile');
  const first = spec();
  const key = cache.prepare(first, 'crun');
  assert.ok(key && !first.annotations?.[BPF_ANNOTATION]);
  cache.learn(key, root, 'missing');
  mkdirSync(join(root, 'c1'));
  writeFileSync(join(root, 'c1', 'seccomp.bpf'), Buffer.alloc(12));
  cache.learn(key, root, 'c1');
  assert.equal(cache.size, 0, 'not whole BPF instructions');
  writeFileSync(join(root, 'c1', 'seccomp.bpf'), Buffer.from([6, 0, 0, 0, 0, 0, 0xff, 0x7f]));
  cache.learn(key, root, 'c1');
  const second = spec();
  assert.equal(cache.prepare(second, 'crun'), undefined);
  assert.equal(second.annotations?.[BPF_ANNOTATION], Buffer.from([6, 0, 0, 0, 0, 0, 0xff, 0x7f]).toString('base64'));
  const other = buildSpec(input({ hostConfig: { CapAdd: ['SYS_ADMIN'] } }));
  assert.ok(cache.prepare(other, 'crun'), 'another profile is compiled by crun again');
  assert.equal(new SeccompBpfCache(false).prepare(spec(), 'crun'), undefined);
});

test('capsInMask reads a CapBnd mask by capability number', () => {
  assert.deepEqual(capsInMask('0'), []);
  assert.deepEqual(capsInMask('1'), ['CAP_CHOWN']);
  const most = capsInMask('000001fffeffffff');
  assert.equal(most.length, ALL_CAPS.length - 1);
  assert.ok(!most.includes('CAP_SYS_RESOURCE'));
});
