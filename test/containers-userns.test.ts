/**
 * User namespaces: `--userns=remap` (hako's per-container extension) and a daemon started
 * with `--userns-remap default`, on crun and runc. Seen from the host: uid_map, the
 * process's uid in /proc/PID/status, /proc/PID/ns/user, and the owners of the files the
 * container writes (upper dir, named volume). The `hako` ranges come from /etc/subuid and
 * /etc/subgid (scripts/setup-host.sh makes them); the tests skip when they are absent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync, existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { DOCKER, dockerCli, dockerOk, skipReason, sleep, stopChecked } from './helpers/hostobjects.js';
import { spawn } from 'node:child_process';

/** The first `hako` range of a subordinate id file, or undefined. */
function hakoRange(file: string): { start: number; length: number } | undefined {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const ranges = text.split('\n').map((l) => l.split(':')).filter((f) => f[0] === 'hako' && f.length === 3).map((f) => ({ start: Number(f[1]), length: Number(f[2]) }));
  return ranges.sort((a, b) => a.start - b.start)[0];
}

const uidRange = hakoRange('/etc/subuid');
const gidRange = hakoRange('/etc/subgid');
const userPresent = readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith('hako:'));
const skip = skipReason() || (!uidRange || !gidRange || !userPresent ? 'no hako user with /etc/subuid and /etc/subgid ranges: run scripts/setup-host.sh' : false);

const statusUid = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const nsOf = (pid: number | string) => readlinkSync(`/proc/${pid}/ns/user`);
/** The shifted layer copies (<data>/image/layers/<chain>/remap-<uid>.<gid>, and half-made tmp-remap-*). */
const remapCopies = (d: TestDaemon) => {
  const root = join(d.dataRoot, 'image', 'layers');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((c) => (statSync(join(root, c)).isDirectory() ? readdirSync(join(root, c)).filter((n) => n.includes('remap-')).map((n) => join(root, c, n)) : []));
};

describe('user namespaces', { skip }, () => {
  const U = uidRange!;
  const G = gidRange!;

  describe('per container: --userns=remap', () => {
    let d: TestDaemon;
    const req = (m: string, p: string, b?: unknown) => d.request(m, p, b);
    const ok = (args: string[]) => dockerOk(d, args);
    /** Creates and starts a container through the API (the docker CLI accepts only --userns host). */
    const run = async (name: string, cmd: string[], hc: Record<string, unknown> = {}) => {
      const r = await req('POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: cmd, HostConfig: { UsernsMode: 'remap', ...hc } });
      assert.equal(r.status, 201, r.text());
      const s = await req('POST', `/containers/${name}/start`);
      assert.equal(s.status, 204, s.text());
      return r.json<{ Id: string }>().Id;
    };
    const inspect = async (name: string) => (await req('GET', `/containers/${name}/json`)).json();
    let secret = '';

    before(async () => {
      d = await startDaemon();
      chmodSync(d.tmp, 0o711); // mkdtemp's 0700 would keep the remapped root from reaching the rootfs
      secret = join(d.tmp, 'secret');
      writeFileSync(secret, 'host root only\n', { mode: 0o600 });
      await ok(['load', '-i', await busyboxTar()]);
    });
    after(async () => {
      if (!d) return;
      assert.deepEqual(await stopChecked(d), [], 'host objects left behind');
    });

    for (const runtime of ['crun', 'runc']) {
      it(`maps container root to the hako range (${runtime})`, async () => {
        const name = `rm-${runtime}`;
        await run(name, ['sh', '-c', 'echo data > /made-here && echo vol > /v/f && sleep 100000'], { Runtime: runtime, Binds: [`vol-${runtime}:/v`, `${secret}:/secret:ro`] });
        const c = await inspect(name);
        assert.equal(c.HostConfig.UsernsMode, 'remap');
        const pid = c.State.Pid as number;
        assert.ok(pid > 0);
        assert.equal(statusUid(pid), U.start, 'the init runs as the range start on the host');
        assert.notEqual(nsOf(pid), nsOf(process.pid), 'its own user namespace');
        const uidMap = (await ok(['exec', name, 'cat', '/proc/self/uid_map'])).trim().split(/\s+/).map(Number);
        assert.deepEqual(uidMap, [0, U.start, U.length]);
        const gidMap = (await ok(['exec', name, 'cat', '/proc/self/gid_map'])).trim().split(/\s+/).map(Number);
        assert.deepEqual(gidMap, [0, G.start, G.length]);
        assert.equal(await ok(['exec', name, 'id', '-u']), '0');
        assert.match(await ok(['exec', name, 'ls', '-ln', '/bin/busybox']), /^\S+\s+\d+\s+0\s+0\s/, 'image files show as root-owned inside');
        assert.match(await ok(['exec', name, 'ls', '-lnd', '/etc/hostname']), /^\S+\s+\d+\s+0\s+0\s/, 'etc files are the mapped root\'s');
        await ok(['exec', name, 'sh', '-c', 'echo x >> /etc/hosts']);
        // Files the container writes belong to the range on the host.
        const upper = c.GraphDriver.Data.UpperDir as string;
        let st = statSync(join(upper, 'made-here'));
        assert.deepEqual([st.uid, st.gid], [U.start, G.start]);
        const vol = (await req('GET', `/volumes/vol-${runtime}`)).json().Mountpoint as string;
        st = statSync(join(vol, 'f'));
        assert.deepEqual([st.uid, st.gid], [U.start, G.start], 'named volume file');
        // The daemon's network is wired into the netns the container's user namespace owns.
        const gw = c.NetworkSettings.Networks.bridge.Gateway as string;
        assert.match(await ok(['exec', name, 'ip', '-o', '-4', 'addr', 'show', 'eth0']), /inet \d+\.\d+\.\d+\.\d+/);
        await ok(['exec', name, 'ping', '-c', '1', '-W', '2', gw]);
        // Container root is not host root: a host file only root may read stays closed.
        const denied = await dockerCli(d, ['exec', name, 'cat', '/secret']);
        assert.notEqual(denied.code, 0);
        assert.match(denied.stderr, /Permission denied/);
        await ok(['rm', '-f', name]);
        // The volume is released by the background clean-up after rm answered.
        for (let i = 0; i < 50 && (await dockerCli(d, ['volume', 'rm', `vol-${runtime}`])).code !== 0; i++) await sleep(100);
        assert.equal((await dockerCli(d, ['volume', 'inspect', `vol-${runtime}`])).code, 1, 'volume removed');
      });
    }

    it('hako run --userns=remap', async () => {
      const out = await new Promise<string>((res, rej) => {
        const env: NodeJS.ProcessEnv = { ...process.env, HAKO_HOST: `unix://${d.socket}` };
        delete env.NODE_OPTIONS;
        const p = spawn(join(repoRoot, 'bin', 'hako'), ['run', '--rm', '--userns=remap', 'busybox', 'sh', '-c', 'cat /proc/self/uid_map; id -u'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let o = '';
        let e = '';
        p.stdout.on('data', (b: Buffer) => (o += b.toString()));
        p.stderr.on('data', (b: Buffer) => (e += b.toString()));
        p.on('close', (code) => (code === 0 ? res(o) : rej(new Error(`hako run exited ${code}: ${e}`))));
      });
      const [map, uid] = out.trim().split('\n');
      assert.deepEqual(map!.trim().split(/\s+/).map(Number), [0, U.start, U.length]);
      assert.equal(uid, '0');
    });

    it('keeps containers without the option in the host user namespace', async () => {
      await ok(['run', '-d', '--name', 'plain', 'busybox', 'sleep', '100000']);
      const pid = Number(await ok(['inspect', '-f', '{{.State.Pid}}', 'plain']));
      assert.equal(nsOf(pid), nsOf(process.pid));
      assert.equal(statusUid(pid), 0);
      assert.equal(await ok(['inspect', '-f', '{{.HostConfig.UsernsMode}}', 'plain']), '');
      await ok(['rm', '-f', 'plain']);
    });

    it('joins another container\'s network and sees sysfs, mqueue and cgroups', async () => {
      await run('net1', ['sleep', '100000']);
      await run('net2', ['sleep', '100000'], { NetworkMode: 'container:net1' });
      const [p1, p2] = [(await inspect('net1')).State.Pid as number, (await inspect('net2')).State.Pid as number];
      assert.equal(readlinkSync(`/proc/${p1}/ns/net`), readlinkSync(`/proc/${p2}/ns/net`));
      for (const n of ['net1', 'net2']) {
        const mounts = await ok(['exec', n, 'cat', '/proc/mounts']);
        for (const at of [' /sys ', ' /dev/mqueue ', ' /sys/fs/cgroup', ' /dev/shm ']) assert.ok(mounts.includes(at), `${n}: ${at.trim()} mounted`);
        assert.ok((await ok(['exec', n, 'ls', '/sys/class/net'])).includes('lo'));
      }
      await ok(['rm', '-f', 'net2', 'net1']);
    });

    it('shares the host\'s IPC and UTS namespaces on request (crun and runc)', async () => {
      for (const rt of ['crun', 'runc']) {
        await run(`ih-${rt}`, ['sleep', '100000'], { IpcMode: 'host', UTSMode: 'host', Runtime: rt });
        const pid = (await inspect(`ih-${rt}`)).State.Pid as number;
        for (const t of ['ipc', 'uts']) assert.equal(readlinkSync(`/proc/${pid}/ns/${t}`), readlinkSync(`/proc/self/ns/${t}`), t);
        assert.notEqual(nsOf(pid), nsOf(process.pid));
        assert.equal(await ok(['exec', `ih-${rt}`, 'hostname']), readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
        await ok(['rm', '-f', `ih-${rt}`]);
      }
    });

    it('shares pid, ipc and network with a remapped container through its user namespace; refuses a host-userns one', async () => {
      await run('px', ['sleep', '100000']);
      await ok(['run', '-d', '--name', 'hx', 'busybox', 'sleep', '100000']);
      const ppx = (await inspect('px')).State.Pid as number;
      for (const rt of ['crun', 'runc']) {
        const id = await run(`j-${rt}`, ['sleep', '100000'], { Runtime: rt, PidMode: 'container:px', IpcMode: 'container:px' });
        const pid = (await inspect(id)).State.Pid as number;
        for (const t of ['pid', 'ipc', 'user']) assert.equal(readlinkSync(`/proc/${pid}/ns/${t}`), readlinkSync(`/proc/${ppx}/ns/${t}`), `${rt}: ${t}`);
        assert.notEqual(readlinkSync(`/proc/${pid}/ns/net`), readlinkSync(`/proc/${ppx}/ns/net`), `${rt}: a network of its own`);
        assert.match(await ok(['exec', id, 'ps', '-o', 'pid,args']), /^\s*1 sleep 100000$/m, `${rt}: sees px's processes`);
        assert.match(await ok(['exec', id, 'ip', '-o', '-4', 'addr', 'show', 'eth0']), /inet /);
        await ok(['rm', '-f', id]);
        for (const hc of [{ NetworkMode: 'container:hx' }, { PidMode: 'container:hx' }]) {
          const r = await req('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { UsernsMode: 'remap', Runtime: rt, ...hc } });
          const s = await req('POST', `/containers/${r.json().Id}/start`);
          assert.equal(s.status, 409, s.text());
          assert.match(s.json().message, /runs in the host's user namespace/);
          await ok(['rm', r.json().Id]);
        }
      }
      await ok(['rm', '-f', 'px', 'hx']);
    });

    it('refuses an unknown mode and privileged, host network or host pid with a user namespace', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ UsernsMode: 'bogus' }, /invalid USER mode "bogus"/],
        [{ UsernsMode: 'remap', Privileged: true }, /privileged mode is incompatible with user namespaces/],
        [{ UsernsMode: 'remap', NetworkMode: 'host' }, /cannot share the host's network namespace/],
        [{ UsernsMode: 'remap', PidMode: 'host' }, /cannot share the host PID namespace/],
      ];
      for (const [hc, msg] of cases) {
        const r = await req('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: hc });
        assert.equal(r.status, 400, JSON.stringify(hc));
        assert.match(r.json().message, msg);
      }
      // Privileged without a user namespace is still fine.
      const r = await req('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { UsernsMode: 'host', Privileged: true } });
      assert.equal(r.status, 201, r.text());
      await ok(['rm', r.json().Id]);
    });

    it('removes the shifted layer copies with the image', async () => {
      const left = (await dockerCli(d, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (left.length) await ok(['rm', '-f', ...left]);
      const copies = remapCopies(d);
      assert.ok(copies.length > 0, 'a shifted copy exists while the image is there');
      for (const c of copies) assert.equal(statSync(c).uid, U.start, `${c} is owned by the range`);
      await ok(['rmi', 'busybox']);
      assert.deepEqual(remapCopies(d), []);
    });
  });

  describe('daemon: --userns-remap default', () => {
    let d: TestDaemon;
    const ok = (args: string[]) => dockerOk(d, args);

    before(async () => {
      d = await startDaemon({ args: ['--userns-remap', 'default'] });
      chmodSync(d.tmp, 0o711);
      await ok(['load', '-i', await busyboxTar()]);
    });
    after(async () => {
      if (!d) return;
      assert.deepEqual(await stopChecked(d), [], 'host objects left behind');
    });

    it('says so in /info', async () => {
      assert.match(await ok(['info', '-f', '{{json .SecurityOptions}}']), /name=userns/);
    });

    for (const runtime of ['crun', 'runc']) {
      it(`remaps every container and --userns=host opts out (docker CLI, ${runtime})`, async () => {
        const out = await ok(['run', '--rm', '--runtime', runtime, 'busybox', 'sh', '-c', 'cat /proc/self/uid_map; id -u; ls -ln /bin/busybox']);
        const [map, uid, ls] = out.split('\n');
        assert.deepEqual(map!.trim().split(/\s+/).map(Number), [0, U.start, U.length]);
        assert.equal(uid, '0');
        assert.match(ls!, /^\S+\s+\d+\s+0\s+0\s/);
        const id = await ok(['run', '-d', '--runtime', runtime, 'busybox', 'sleep', '100000']);
        const pid = Number(await ok(['inspect', '-f', '{{.State.Pid}}', id]));
        assert.equal(statusUid(pid), U.start);
        assert.notEqual(nsOf(pid), nsOf(process.pid));
        const host = await ok(['run', '-d', '--runtime', runtime, '--userns', 'host', 'busybox', 'sleep', '100000']);
        const hpid = Number(await ok(['inspect', '-f', '{{.State.Pid}}', host]));
        assert.equal(statusUid(hpid), 0);
        assert.equal(nsOf(hpid), nsOf(process.pid));
        assert.equal(await ok(['inspect', '-f', '{{.HostConfig.UsernsMode}}', host]), 'host');
        assert.equal((await ok(['run', '--rm', '--runtime', runtime, '--userns', 'host', 'busybox', 'cat', '/proc/self/uid_map'])).trim().split(/\s+/).join(' '), '0 0 4294967295');
        await ok(['rm', '-f', id, host]);
      });
    }

    it('builds and commits images whose files belong to container root, not to the range', async () => {
      const ctx = join(d.tmp, 'ctx');
      mkdirSync(ctx);
      writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo built > /built && mkdir /bd && chown 1:2 /bd\n');
      await ok(['build', '-q', '-t', 'remapped-build', ctx]);
      const ls = await ok(['run', '--rm', '--userns', 'host', 'remapped-build', 'ls', '-lnd', '/built', '/bd']);
      assert.match(ls, /^\S+\s+\d+\s+1\s+2\s.*\/bd$/m);
      assert.match(ls, /^\S+\s+\d+\s+0\s+0\s.*\/built$/m);
      await ok(['run', '--name', 'tocommit', 'busybox', 'sh', '-c', 'echo c > /committed']);
      await ok(['commit', 'tocommit', 'remapped-commit']);
      assert.match(await ok(['run', '--rm', '--userns', 'host', 'remapped-commit', 'ls', '-ln', '/committed']), /^\S+\s+\d+\s+0\s+0\s/);
      await ok(['rm', 'tocommit']);
      await ok(['rmi', 'remapped-build', 'remapped-commit']);
    });

    it('docker cp and export carry the container\'s ids both ways', async () => {
      const src = join(d.tmp, 'cpin');
      writeFileSync(src, 'copied\n');
      await ok(['create', '--name', 'cpc', 'busybox', 'sh', '-c', 'echo made > /made; ls -ln /cpin']);
      await ok(['cp', src, 'cpc:/cpin']); // into a created container: its overlay is mounted for the call
      assert.match(await ok(['start', '-a', 'cpc']), /^\S+\s+\d+\s+0\s+0\s.*\/cpin$/m);
      const upper = await ok(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'cpc']);
      assert.equal(statSync(join(upper, 'cpin')).uid, U.start, 'on the host the copy belongs to the range');
      const listing = (args: string[]) => new Promise<string>((res, rej) => {
        const p = spawn('sh', ['-c', `"$0" "$@" | tar -tv --numeric-owner -f -`, DOCKER, '-H', `unix://${d.socket}`, ...args], { env: { ...process.env, DOCKER_CONFIG: d.tmp } });
        let out = '';
        p.stdout.on('data', (b: Buffer) => (out += b.toString()));
        p.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`listing ${args.join(' ')} exited ${code}`))));
      });
      assert.match(await listing(['cp', 'cpc:/made', '-']), /^\S+\s+0\/0\s.*made$/m);
      const exported = await listing(['export', 'cpc']);
      assert.match(exported, /^\S+\s+0\/0\s.*made$/m);
      assert.match(exported, /^-\S+\s+0\/0\s+\d+ .* bin\/\[$/m);
      await ok(['rm', 'cpc']);
    });

    it('survives a daemon crash: restored remapped containers exec, stop and start again', async () => {
      for (const rt of ['crun', 'runc']) await ok(['run', '-d', '--name', `keep-${rt}`, '--runtime', rt, 'busybox', 'sleep', '100000']);
      const first = d;
      first.proc.kill('SIGKILL');
      await new Promise((r) => (first.proc.exitCode !== null || first.proc.signalCode !== null ? r(null) : first.proc.once('exit', r)));
      d = await startDaemon({ reuse: first, args: ['--userns-remap', 'default'] });
      for (const rt of ['crun', 'runc']) {
        const n = `keep-${rt}`;
        assert.equal((await ok(['exec', n, 'cat', '/proc/self/uid_map'])).trim().split(/\s+/)[1], String(U.start));
        await ok(['stop', '-t', '1', n]);
        await ok(['start', n]);
        const pid = Number(await ok(['inspect', '-f', '{{.State.Pid}}', n]));
        assert.equal(statusUid(pid), U.start);
        assert.equal(await ok(['exec', n, 'id', '-u']), '0');
        await ok(['rm', '-f', n]);
      }
    });

    it('refuses --privileged unless --userns=host, as dockerd', async () => {
      const r = await dockerCli(d, ['run', '--rm', '--privileged', 'busybox', 'true']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /privileged mode is incompatible with user namespaces/);
      const id = await ok(['create', '--privileged', '--userns', 'host', 'busybox', 'true']);
      await ok(['rm', id]);
    });
  });
});
