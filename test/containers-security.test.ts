/**
 * Seccomp and --security-opt with real containers, driven by the stock docker CLI:
 * hako's default profile is in force (Seccomp: 2) and blocks what it must, with EPERM,
 * on crun and runc; seccomp=unconfined and --privileged run without a filter;
 * CAP_SYS_ADMIN unlocks mount/unshare; a docker-format profile FILE is applied; bad
 * options are refused at create time with dockerd's wording; `hakod --seccomp-profile`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { dockerCli, dockerOk, skipReason, stopChecked, withBusyboxDaemon } from './helpers/hostobjects.js';

const EPERM = '1';

/** The probe (test/helpers/seccomp-probe.c) built static, or why it cannot be. */
function buildProbe(dir: string): string | { skip: string } {
  const libc = ['/usr/lib/x86_64-linux-gnu/libc.a', '/usr/lib/aarch64-linux-gnu/libc.a', '/usr/lib/libc.a'];
  if (!libc.some(existsSync)) return { skip: 'no static libc (libc6-dev) to build the probe' };
  const out = join(dir, 'seccomp-probe');
  try {
    execFileSync('cc', ['-static', '-O2', '-o', out, join(repoRoot, 'test', 'helpers', 'seccomp-probe.c')], { stdio: 'pipe' });
  } catch (e) {
    return { skip: `cc -static failed: ${(e as Error).message}` };
  }
  return out;
}

const parseProbe = (text: string) => Object.fromEntries(text.trim().split('\n').map((l) => l.split('=') as [string, string]));

describe('seccomp and security options', { skip: skipReason() }, () => {
  let d: TestDaemon;
  let probe: string | { skip: string };
  const docker = (args: string[]) => dockerCli(d, args);
  const ok = (args: string[]) => dockerOk(d, args);
  const seccompMode = async (args: string[]) => (await ok(['run', '--rm', '--network', 'none', ...args, 'busybox', 'grep', '^Seccomp:', '/proc/self/status'])).replace(/\s+/g, ' ');
  const runProbe = async (args: string[], calls: string[]) =>
    parseProbe(await ok(['run', '--rm', '--network', 'none', '-v', `${probe as string}:/probe:ro`, ...args, 'busybox', '/probe', ...calls]));

  withBusyboxDaemon(async (x) => {
    d = x;
    probe = buildProbe(d.tmp);
  });

  it('runs containers under a filter by default, without one for seccomp=unconfined and --privileged', async () => {
    assert.equal(await seccompMode([]), 'Seccomp: 2');
    assert.equal(await seccompMode(['--security-opt', 'seccomp=unconfined']), 'Seccomp: 0');
    assert.equal(await seccompMode(['--privileged']), 'Seccomp: 0');
    assert.equal(await seccompMode(['--security-opt', 'seccomp=builtin']), 'Seccomp: 2');
    assert.equal(await seccompMode(['--runtime', 'runc']), 'Seccomp: 2');
  });

  it('hands crun the filter it compiled for the first container to later ones with the same profile', async () => {
    const id = await ok(['run', '-d', '--network', 'none', 'busybox', 'sleep', '100000']);
    const spec = JSON.parse(readFileSync(join(d.execRoot, 'containers', id, 'config.json'), 'utf8')) as { annotations?: Record<string, string>; linux: { seccomp?: unknown } };
    const bpf = Buffer.from(spec.annotations?.['run.oci.seccomp_bpf_data'] ?? '', 'base64');
    assert.ok(bpf.length > 0 && bpf.length % 8 === 0, 'a precompiled filter in the annotation');
    assert.ok(spec.linux.seccomp, 'linux.seccomp kept for runc and readers');
    assert.match(await ok(['exec', id, 'grep', '^Seccomp:', '/proc/self/status']), /2$/);
    const r = await docker(['exec', id, 'unshare', '-U', 'true']);
    assert.match(r.stderr, /Operation not permitted/);
    await ok(['rm', '-f', id]);
  });

  it('blocks unshare and mount with EPERM unless unconfined or given CAP_SYS_ADMIN', async () => {
    for (const runtime of ['crun', 'runc']) {
      for (const flag of ['-U', '-m']) {
        const r = await docker(['run', '--rm', '--network', 'none', '--runtime', runtime, 'busybox', 'unshare', flag, 'true']);
        assert.notEqual(r.code, 0, `${runtime} unshare ${flag}`);
        assert.match(r.stderr + r.stdout, /Operation not permitted/, `${runtime} unshare ${flag}`);
      }
      const m = await docker(['run', '--rm', '--network', 'none', '--runtime', runtime, 'busybox', 'mount', '-t', 'tmpfs', 't', '/tmp']);
      assert.match(m.stderr, /Operation not permitted|permission denied/i, `${runtime} mount`);
    }
    // A new user namespace needs no capability: only the filter stopped it.
    await ok(['run', '--rm', '--network', 'none', '--security-opt', 'seccomp=unconfined', 'busybox', 'unshare', '-U', 'true']);
    // CAP_SYS_ADMIN unlocks the namespace and mount calls in the default profile.
    for (const runtime of ['crun', 'runc']) {
      const out = await ok(['run', '--rm', '--network', 'none', '--runtime', runtime, '--cap-add', 'SYS_ADMIN', 'busybox', 'sh', '-c',
        'unshare -m true && unshare -U true && mount -t tmpfs t /tmp && echo fine; grep ^Seccomp: /proc/self/status']);
      assert.match(out, /^fine\nSeccomp:\s+2$/, runtime);
    }
  });

  it('fails keyctl, add_key, request_key, bpf, perf_event_open, setns with EPERM and clone3 with ENOSYS', async (t) => {
    if (typeof probe !== 'string') return t.skip(probe.skip);
    const calls = ['keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'setns', 'clone3', 'personality', 'vsock', 'getpid'];
    const free = await runProbe(['--security-opt', 'seccomp=unconfined'], calls);
    // Unconfined, each call gets past the kernel's entry (some other answer than EPERM).
    for (const c of ['keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'setns', 'clone3', 'personality']) assert.notEqual(free[c], EPERM, `${c} unconfined`);
    for (const runtime of ['crun', 'runc']) {
      const got = await runProbe(['--runtime', runtime], calls);
      for (const c of ['keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'setns', 'personality', 'vsock']) assert.equal(got[c], EPERM, `${runtime} ${c}`);
      assert.equal(got.clone3, '38', `${runtime} clone3 -> ENOSYS`);
      assert.equal(got.getpid, '0');
    }
  });

  it('applies a profile FILE read by the docker CLI: mkdir blocked, ls works', async () => {
    const file = join(d.tmp, 'no-mkdir.json');
    writeFileSync(file, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }, { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] }],
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, comment: 'EACCES' },
        { names: ['unshare'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } },
      ],
    }, null, 2));
    for (const runtime of ['crun', 'runc']) {
      const r = await docker(['run', '--rm', '--network', 'none', '--runtime', runtime, '--security-opt', `seccomp=${file}`, 'busybox', 'mkdir', '/tmp/x']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Permission denied/, runtime);
      assert.match(await ok(['run', '--rm', '--network', 'none', '--runtime', runtime, '--security-opt', `seccomp=${file}`, 'busybox', 'ls', '/']), /\bbin\b/);
    }
    // The rule for CAP_SYS_ADMIN holders is left out for a container without it: unshare -U works.
    await ok(['run', '--rm', '--network', 'none', '--security-opt', `seccomp=${file}`, 'busybox', 'unshare', '-U', 'true']);
    // --privileged with the container's own profile keeps that profile, as dockerd does.
    assert.match(await ok(['run', '--rm', '--network', 'none', '--privileged', '--security-opt', `seccomp=${file}`, 'busybox', 'grep', '^Seccomp:', '/proc/self/status']), /2$/);
    // hako's own CLI reads the file the same way.
    const h = spawnSync(join(repoRoot, 'bin', 'hako'), ['run', '--rm', '--network', 'none', '--security-opt', `seccomp=${file}`, 'busybox', 'mkdir', '/tmp/y'],
      { env: { ...process.env, HAKO_HOST: `unix://${d.socket}`, NODE_OPTIONS: '' }, encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(h.status, 0);
    assert.match(h.stderr, /Permission denied/, `hako run: ${h.stderr}`);
    const id = await ok(['create', '--security-opt', `seccomp=${file}`, 'busybox', 'true']);
    const opts = JSON.parse(await ok(['inspect', '-f', '{{json .HostConfig.SecurityOpt}}', id])) as string[];
    assert.match(opts[0]!, /^seccomp=\{"defaultAction":"SCMP_ACT_ALLOW"/, 'the CLI sent the compact JSON text');
    await ok(['rm', id]);
  });

  it('refuses bad options at create with dockerd\'s wording and creates nothing', async () => {
    const before = (await ok(['ps', '-aq'])).split('\n').filter(Boolean).length;
    const cases: [unknown[], number, RegExp][] = [
      [['foo'], 400, /^invalid --security-opt 1: "foo"$/],
      [['foo=bar'], 400, /^invalid --security-opt 2: "foo=bar"$/],
      [['no-new-privileges=maybe'], 400, /^invalid --security-opt 2: "no-new-privileges=maybe"$/],
      [['seccomp={"defaultAction":'], 400, /^Decoding seccomp profile failed: unexpected end of JSON input$/],
      [['seccomp={"defaultAction":"SCMP_ACT_ERRNO","syscalls":"x"}'], 400, /^Decoding seccomp profile failed: json: cannot unmarshal string into Go struct field Seccomp.syscalls/],
      [['seccomp={"defaultAction":"SCMP_ACT_NOPE"}'], 400, /^Decoding seccomp profile failed: unknown action "SCMP_ACT_NOPE"$/],
      [['seccomp={"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}'], 400, /both 'architectures' and 'archMap'/],
    ];
    for (const [opt, status, msg] of cases) {
      const r = await d.request('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { SecurityOpt: opt } });
      assert.equal(r.status, status, `${JSON.stringify(opt)}: ${r.text()}`);
      assert.match((r.json() as { message: string }).message, msg);
    }
    assert.equal((await ok(['ps', '-aq'])).split('\n').filter(Boolean).length, before, 'nothing was created');
    const cli = await docker(['run', '--rm', '--security-opt', `seccomp=${join(d.tmp, 'missing.json')}`, 'busybox', 'true']);
    assert.match(cli.stderr, /opening seccomp profile \(.*missing\.json\) failed/);
  });

  it('accepts no-new-privileges[=bool], apparmor= and label= as dockerd does without AppArmor and SELinux', async () => {
    const nnp = async (opt: string[]) => (await ok(['run', '--rm', '--network', 'none', ...opt.flatMap((o) => ['--security-opt', o]), 'busybox', 'grep', '^NoNewPrivs:', '/proc/self/status'])).replace(/\s+/g, ' ');
    assert.equal(await nnp([]), 'NoNewPrivs: 0');
    assert.equal(await nnp(['no-new-privileges']), 'NoNewPrivs: 1');
    assert.equal(await nnp(['no-new-privileges=true']), 'NoNewPrivs: 1');
    assert.equal(await nnp(['no-new-privileges=false']), 'NoNewPrivs: 0');
    assert.equal(await nnp(['apparmor=unconfined', 'label=disable', 'label=type:svirt_apache_t']), 'NoNewPrivs: 0');
  });

  it('mounts the cgroup tree read-write only with writable-cgroups=true (or --privileged)', async () => {
    // the options field of /proc/mounts for the cgroup mounts: ro or rw, as the container sees them
    const modes = async (opts: string[]) => {
      const out = await ok(['run', '--rm', '--network', 'none', ...opts, 'busybox', 'sh', '-c', "awk '$3 == \"cgroup\" || $3 == \"cgroup2\" { split($4, o, \",\"); print o[1] }' /proc/mounts | sort -u"]);
      return out.split('\n').filter(Boolean).join(',');
    };
    assert.equal(await modes([]), 'ro');
    assert.equal(await modes(['--security-opt', 'writable-cgroups=false']), 'ro');
    assert.equal(await modes(['--security-opt', 'writable-cgroups=true']), 'rw');
  });

  it('lists the profile in /info SecurityOptions', async () => {
    const info = (await d.request('GET', '/info')).json() as { SecurityOptions: string[]; Warnings: string[] | null };
    assert.ok(info.SecurityOptions.includes('name=seccomp,profile=builtin'), JSON.stringify(info.SecurityOptions));
    assert.ok(!(info.Warnings ?? []).some((w) => /seccomp/.test(w)));
  });
});

describe('hakod --seccomp-profile', { skip: skipReason() }, () => {
  it('unconfined: containers run without a filter unless they ask; /info says so', async () => {
    const d = await startDaemon({ args: ['--seccomp-profile', 'unconfined'] });
    try {
      await dockerOk(d, ['load', '-i', await busyboxTar()]);
      const mode = async (args: string[]) => (await dockerOk(d, ['run', '--rm', '--network', 'none', ...args, 'busybox', 'grep', '^Seccomp:', '/proc/self/status'])).replace(/\s+/g, ' ');
      assert.equal(await mode([]), 'Seccomp: 0');
      assert.equal(await mode(['--security-opt', 'seccomp=builtin']), 'Seccomp: 2');
      const info = (await d.request('GET', '/info')).json() as { SecurityOptions: string[]; Warnings: string[] };
      assert.ok(info.SecurityOptions.includes('name=seccomp,profile=unconfined'));
      assert.ok(info.Warnings.includes('WARNING: daemon is not using the default seccomp profile'));
    } finally {
      assert.deepEqual(await stopChecked(d), [], 'host objects left behind');
    }
  });
});
