// Container-to-container network, registry pull and warm-cache rebuild scenarios of
// `npm run bench` (see _scenarios.mjs for the rest).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sleep } from './_lib.mjs';
import { check, runCmd, track } from './_engines.mjs';
import { addSample, figure, interleave, reason, setError } from './_measure.mjs';
import { IPERF, iperfFlags, iperfGbps, iperfMounts } from './_scenarios2.mjs';

const NO_FLOOR = (why) => `n/a: ${why}`;
const ensureImage = async (...a) => (await import('./_scenarios.mjs')).ensureImage(...a);

export const iperfC2cScenario = {
  name: 'iperf-c2c',
  description: `iperf3 (${IPERF.secs} s after a ${IPERF.omit} s warm-up, one stream; the host's iperf3 bind-mounted into busybox) between two containers on the engine's default bridge: server container on CPU ${IPERF.serverCpu}, client container on CPU ${IPERF.clientCpu} (--cpuset-cpus), each round an exec of iperf3 -c in the client`,
  needsBridge: true,
  async run(ctx) {
    const fig = figure('iperf-c2c', 'iperf3 container → container, default bridge', 'Gbit/s', 'higher');
    const rel = figure('iperf-c2c-rel', 'iperf3 container → container, ÷ the mean of all engines in the same round', '×', 'higher');
    for (const f of [fig, rel]) setError(f, 'floor', NO_FLOOR('the host-loopback floor is in the iperf rows'));
    const parts = [];
    const started = [];
    try {
      for (const e of ctx.engines) {
        try {
          await ensureImage(e, ctx.images.busybox, 'busybox');
          started.push(e);
          check(await e.cli(['run', '-d', '--name', 'hkbench-c2c-srv', ...iperfMounts(), '--cpuset-cpus', IPERF.serverCpu,
            ...e.runFlags, 'busybox', 'iperf3', '-s']), 'run iperf3 -s');
          check(await e.cli(['run', '-d', '--name', 'hkbench-c2c-cli', ...iperfMounts(), '--cpuset-cpus', IPERF.clientCpu,
            ...e.runFlags, 'busybox', 'sleep', '3600']), 'run the client container');
          const ip = check(await e.cli(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', 'hkbench-c2c-srv']), 'inspect').stdout.trim().split(/\s+/)[0];
          if (!ip) throw new Error('inspect shows no container IP');
          await sleep(500);
          const client = async (flags) => {
            const what = `exec iperf3 -c ${ip}`;
            const r = await e.cli(['exec', 'hkbench-c2c-cli', 'iperf3', '-c', ip, ...flags], { timeoutMs: (IPERF.secs + 60) * 1000 });
            if (r.code !== 0 && !r.stdout.includes('{')) check(r, what);
            return iperfGbps(r.stdout, what);
          };
          await client(['-t', '1', '-J']); // warm-up: the path works, untimed
          parts.push({ col: e.name, fn: () => client(iperfFlags()) });
        } catch (err) {
          setError(fig, e.name, reason(err));
        }
      }
      await interleave(ctx.rounds ?? IPERF.rounds, parts, [fig], ctx.log);
      relativeToRound(fig, rel, parts.map((p) => p.col));
    } finally {
      for (const e of started) await e.cli(['rm', '-f', ...e.rmFlags, 'hkbench-c2c-srv', 'hkbench-c2c-cli']);
    }
    return [fig, rel];
  },
};

/**
 * Every sample of `from` divided by the mean of all columns' samples of the same round,
 * into `to`: the load of this shared machine drifts over minutes and moves every engine
 * of a round alike, so these ratios compare engines far more steadily than the raw
 * medians do. Needs a sample of every column in every round.
 */
function relativeToRound(from, to, cols) {
  const runs = cols.map((c) => from.values[c]?.samples ?? []);
  const n = runs[0]?.length ?? 0;
  if (!n || runs.some((r) => r.length !== n)) {
    for (const c of cols) setError(to, c, 'n/a: not every engine has a sample of every round');
    return;
  }
  for (let i = 0; i < n; i++) {
    const mean = runs.reduce((a, r) => a + r[i], 0) / runs.length;
    cols.forEach((c, j) => addSample(to, c, runs[j][i] / mean));
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const answers = (port) => new Promise((res) => {
  const rq = request({ host: '127.0.0.1', port, path: '/v2/', timeout: 1000 }, (r) => { r.resume(); res(true); });
  rq.on('error', () => res(false));
  rq.on('timeout', () => { rq.destroy(); res(false); });
  rq.end();
});

/** Debian's docker-registry on 127.0.0.1:<free port>, own storage and config under a temp dir; stop() by pid. */
async function startRegistry(ctx) {
  const dir = mkdtempSync(join(ctx.tmp, 'registry-'));
  const port = await freePort();
  writeFileSync(join(dir, 'config.yml'), ['version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`, '  delete:', '    enabled: true', 'http:', `  addr: "127.0.0.1:${port}"`, ''].join('\n'));
  const proc = track(spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  proc.stderr.on('data', (b) => (stderr += b));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  const stop = async () => {
    if (alive()) proc.kill('SIGTERM');
    for (let i = 0; i < 100 && alive(); i++) await sleep(50);
    if (alive()) proc.kill('SIGKILL');
    for (let i = 0; i < 40 && alive(); i++) await sleep(50);
    rmSync(dir, { recursive: true, force: true });
  };
  for (const deadline = Date.now() + 10_000; ;) {
    if (await answers(port)) return { host: `127.0.0.1:${port}`, pid: proc.pid, stop };
    if (!alive() || Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not start: ${stderr.trim().split('\n').pop() ?? ''}`);
    }
    await sleep(100);
  }
}

export const pullScenario = {
  name: 'pull',
  description: 'pull of the Debian image from a local docker-registry on 127.0.0.1 (pushed once with skopeo), image removed between rounds (podman: --tls-verify=false)',
  async run(ctx) {
    const fig = figure('pull', 'pull debian:bookworm from a registry on 127.0.0.1', 'ms');
    setError(fig, 'floor', NO_FLOOR('no engine-free equivalent'));
    const reg = await startRegistry(ctx);
    ctx.log(`  docker-registry on ${reg.host} (pid ${reg.pid})`);
    const ref = `${reg.host}/debian:bookworm`;
    try {
      check(await runCmd('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${ctx.images.debian}`, `docker://${ref}`],
        { timeoutMs: 600_000 }), 'skopeo copy');
      const pull = (e) => e.cli(['pull', ...(e.name === 'podman' ? ['--tls-verify=false'] : []), ref], { timeoutMs: 600_000 });
      const parts = [];
      for (const e of ctx.engines) {
        try {
          await e.cli(['rmi', '-f', ref]);
          check(await pull(e), 'pull'); // warm-up, untimed
          parts.push({ col: e.name, fn: async () => {
            check(await e.cli(['rmi', '-f', ref]), 'rmi');
            return check(await pull(e), 'pull').ms;
          } });
        } catch (err) {
          setError(fig, e.name, reason(err));
        }
      }
      await interleave(ctx.rounds ?? 3, parts, [fig], ctx.log);
    } finally {
      for (const e of ctx.engines) await e.cli(['rmi', '-f', ref]);
      await reg.stop();
    }
    return [fig];
  },
};

const REBUILD_DOCKERFILE = 'FROM busybox\nCOPY a /a\nRUN echo hi > /b\nENV X=1\nCMD ["sh"]\n';

export const rebuildScenario = {
  name: 'rebuild',
  description: 'warm-cache rebuild (FROM busybox, COPY, RUN, ENV, CMD; built once untimed): DOCKER_BUILDKIT=0 docker build on hakod/dockerd, podman build --layers',
  // dockerd's classic builder runs the (first, untimed) RUN step on the default bridge.
  needsBridge: true,
  async run(ctx) {
    const fig = figure('rebuild', 'build, every step cached (classic builder; podman --layers)', 'ms');
    setError(fig, 'floor', NO_FLOOR('no engine-free equivalent'));
    const dir = join(ctx.tmp, 'rebuild-context');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), REBUILD_DOCKERFILE);
    writeFileSync(join(dir, 'a'), 'a file for COPY\n');
    const build = (e) => (e.name === 'podman'
      ? e.cli(['build', '--layers', '-t', 'rb', dir], { timeoutMs: 300_000 })
      : e.cli(['build', '-t', 'rb', dir], { timeoutMs: 300_000,
        env: { ...process.env, DOCKER_CONFIG: join(e.dir, 'docker-config'), DOCKER_BUILDKIT: '0' } }));
    const cached = (r) => {
      check(r, 'build');
      const hits = ((r.stdout + r.stderr).match(/Using cache/g) ?? []).length;
      if (hits < 4) throw new Error(`the rebuild was not fully cached (${hits} of 4 steps "Using cache")`);
      return r.ms;
    };
    const parts = [];
    try {
      for (const e of ctx.engines) {
        try {
          await ensureImage(e, ctx.images.busybox, 'busybox');
          check(await build(e), 'first build'); // fills the cache, untimed
          cached(await build(e)); // warm-up: the cached path works
          parts.push({ col: e.name, fn: async () => cached(await build(e)) });
        } catch (err) {
          setError(fig, e.name, reason(err));
        }
      }
      await interleave(ctx.rounds ?? 5, parts, [fig], ctx.log);
    } finally {
      for (const e of ctx.engines) await e.cli(['rmi', '-f', 'rb']);
      rmSync(dir, { recursive: true, force: true });
    }
    return [fig];
  },
};
