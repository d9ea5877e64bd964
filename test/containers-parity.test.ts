// Start failures as dockerd reports them: the docker CLI exits 127 for a command that is not
// found and 126 for one that cannot be executed, matching on the daemon's words; inspect
// records the same code. Also what the docker CLI sends empty is shown with dockerd's
// defaults, and `ps -n` lists stopped containers too.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { dockerCli, skipReason, stopChecked } from './helpers/hostobjects.js';

const skip = skipReason();

describe('start failures and defaults as dockerd shows them', { skip }, () => {
  let d: TestDaemon;
  const docker = (args: string[]) => dockerCli(d, args);
  before(async () => {
    d = await startDaemon();
    const r = await docker(['load', '-i', await busyboxTar()]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => stopChecked(d));

  for (const runtime of ['crun', 'runc']) {
    it(`exit 127 / 126 and dockerd's words on ${runtime}`, async () => {
      const cases: [string, number, RegExp][] = [
        ['nosuchcmd', 127, /exec: "nosuchcmd": executable file not found in \$PATH/],
        ['/nosuch', 127, /exec: "\/nosuch": stat \/nosuch: no such file or directory/],
        ['/etc/passwd', 126, /exec: "\/etc\/passwd": permission denied/],
      ];
      for (const [cmd, code, words] of cases) {
        const name = `se-${runtime}-${code}-${cmd.replace(/\W/g, '')}`;
        const r = await docker(['run', '--name', name, '--runtime', runtime, 'busybox', cmd]);
        assert.equal(r.code, code, `${cmd}: ${r.stderr}`);
        assert.match(r.stderr, words);
        assert.equal((await docker(['inspect', '-f', '{{.State.ExitCode}}', name])).stdout.trim(), String(code));
        assert.equal((await docker(['run', '--rm', '--runtime', runtime, 'busybox', cmd])).code, code, `--rm ${cmd}`);
        await docker(['rm', name]);
      }
    });
  }

  it('fills what the docker CLI sends empty with dockerd defaults; ps -n lists stopped ones', async () => {
    const r = await docker(['create', '--name', 'defaults', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const hc = JSON.parse((await docker(['inspect', '-f', '{{json .HostConfig}}', 'defaults'])).stdout);
    assert.equal(hc.IpcMode, 'private');
    assert.equal(hc.ShmSize, 64 << 20);
    assert.equal(hc.LogConfig.Type, 'json-file');
    assert.ok(Array.isArray(hc.MaskedPaths) && hc.MaskedPaths.includes('/proc/kcore'));
    assert.ok(Array.isArray(hc.ReadonlyPaths) && hc.ReadonlyPaths.includes('/proc/sys'));
    assert.equal((await docker(['ps', '-q'])).stdout.trim(), '');
    assert.equal((await docker(['ps', '-n', '1', '--format', '{{.Names}}'])).stdout.trim(), 'defaults');
    assert.equal((await docker(['ps', '-l', '--format', '{{.Names}}'])).stdout.trim(), 'defaults');
    await docker(['rm', 'defaults']);
  });

  it('ps -s and inspect -s count the container\'s writes; system df does not reclaim an image in use', async () => {
    const r = await docker(['run', '-d', '--name', 'sized', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/f bs=1k count=100 2>/dev/null; sleep 1000']);
    assert.equal(r.code, 0, r.stderr);
    let size = '';
    for (let i = 0; i < 50 && !size.startsWith('102'); i++) {
      size = (await docker(['ps', '-s', '--format', '{{.Size}}'])).stdout.trim();
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.match(size, /^102kB \(virtual 2\.\d+MB\)$/);
    const [rw, rootfs] = (await docker(['inspect', '-s', '-f', '{{.SizeRw}} {{.SizeRootFs}}', 'sized'])).stdout.trim().split(' ').map(Number);
    assert.equal(rw, 102400);
    assert.ok(rootfs! > rw! + 1_000_000, `SizeRootFs ${rootfs}`);
    assert.equal((await docker(['inspect', '-f', '{{.SizeRw}}', 'sized'])).stdout.trim(), '<nil>', 'sizes only when asked');
    const df = (await docker(['system', 'df', '--format', '{{.Type}} {{.Active}} {{.Reclaimable}}'])).stdout;
    assert.match(df, /^Images 1 0B \(0%\)$/m);
    await docker(['rm', '-f', 'sized']);
  });
});
