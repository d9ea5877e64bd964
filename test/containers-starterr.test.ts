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
});
