/**
 * docker-py (Debian's python3-docker, the library docker-compose 1.29 uses) straight over
 * hakod's socket: containers.run detached and attached, wait, logs by stream, exec_run,
 * reload/attrs, remove; images.list; networks.create/list/remove; volumes.create/remove.
 * Skips with the reason when `python3 -c 'import docker'` fails.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { dockerOk, skipReason, stopChecked } from './helpers/hostobjects.js';
import { runTool } from './helpers/clients.js';

function pySkip(): string | false {
  const r = spawnSync('python3', ['-c', 'import docker'], { encoding: 'utf8' });
  if (r.error) return `python3 is not installed (${r.error.message})`;
  return r.status === 0 ? false : `python3 cannot import docker (apt-get install python3-docker): ${r.stderr.trim().split('\n').pop()}`;
}

const SCRIPT = String.raw`
import docker, json
c = docker.from_env(timeout=60)
out = {'ping': c.ping(), 'version': c.version()['ApiVersion']}
out['images'] = sorted(t for i in c.images.list() for t in i.tags)
net = c.networks.create('pynet', driver='bridge', labels={'by': 'docker-py'})
out['net'] = [net.name, net.attrs['Labels']]
vol = c.volumes.create('pyvol')
ctr = c.containers.run('busybox:latest', ['sh', '-c', 'echo hello > /v/f; cat /v/f; echo err >&2; exit 3'], detach=True,
                       network='pynet', name='pyc', volumes={'pyvol': {'bind': '/v', 'mode': 'rw'}})
out['wait'] = ctr.wait(timeout=30)['StatusCode']
out['stdout'] = ctr.logs(stdout=True, stderr=False).decode()
out['stderr'] = ctr.logs(stdout=False, stderr=True).decode()
ctr.reload()
out['status'] = ctr.status
out['networks'] = sorted(ctr.attrs['NetworkSettings']['Networks'])
out['mounts'] = [[m['Type'], m.get('Name'), m['Destination']] for m in ctr.attrs['Mounts']]
ctr.remove(v=True)
srv = c.containers.run('busybox:latest', ['sleep', '60'], detach=True, name='pysrv')
code, data = srv.exec_run(['sh', '-c', 'echo in-exec; exit 4'])
out['exec'] = [code, data.decode()]
out['running'] = [x.name for x in c.containers.list()]
srv.remove(force=True)
out['attached'] = c.containers.run('busybox:latest', ['echo', 'direct'], remove=True).decode()
net.remove()
vol.remove()
out['after'] = [[n.name for n in c.networks.list(names=['pynet'])], [x.name for x in c.containers.list(all=True)],
                [v.name for v in c.volumes.list()]]
print(json.dumps(out))
`;

describe('docker-py', { skip: skipReason() || pySkip() }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await dockerOk(d, ['load', '-i', await busyboxTar()]);
  });
  after(async () => {
    if (d) assert.deepEqual(await stopChecked(d), []);
  });

  it('drives containers, images, networks and volumes over hakod\'s socket', async () => {
    const r = await runTool('python3', ['-c', SCRIPT], { env: { DOCKER_HOST: `unix://${d.socket}` }, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(out, {
      ping: true, version: out.version, images: ['busybox:latest'], net: ['pynet', { by: 'docker-py' }],
      wait: 3, stdout: 'hello\n', stderr: 'err\n', status: 'exited', networks: ['pynet'], mounts: [['volume', 'pyvol', '/v']],
      exec: [4, 'in-exec\n'], running: ['pysrv'], attached: 'direct\n', after: [[], [], []],
    });
    assert.match(String(out.version), /^1\.\d+$/);
  });
});
