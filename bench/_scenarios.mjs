// The scenarios of `npm run bench`, each selectable by name. run(ctx) returns figures (rows).
// ctx: { engines, rounds (override or undefined), images: {busybox, debian}, tmp, log }.
import { realpathSync } from 'node:fs';
import { api, sleep } from './_lib.mjs';
import { check } from './_engines.mjs';
import { addSample, failed, figure, interleave, pool, pss, reason, runtimeRun, setError, stats } from './_measure.mjs';
import { cliScenario, iperfScenario, psScenario } from './_scenarios2.mjs';
import { iperfC2cScenario, pullScenario, rebuildScenario } from './_scenarios3.mjs';

const NO_FLOOR = (why) => `n/a: ${why}`;

/** Loads an image tarball into an engine unless it is there; throws with the engine's words. */
export async function ensureImage(e, file, ref) {
  const has = await e.cli(['image', 'inspect', ref]);
  if (has.code === 0) return;
  check(await e.cli(['load', '-q', '-i', file], { timeoutMs: 600_000 }), `load ${ref}`);
}

/** Warm-up + rounds of `run --rm busybox true` on one network mode. */
async function runRm(ctx, network, fig) {
  const args = (e) => ['run', '--rm', ...(network ? ['--network', network] : []), ...e.runFlags, 'busybox', 'true'];
  const parts = [];
  for (const e of ctx.engines) {
    try {
      await ensureImage(e, ctx.images.busybox, 'busybox');
      check(await e.cli(args(e)), 'run'); // warm-up, untimed
      parts.push({ col: e.name, fn: async () => check(await e.cli(args(e)), 'run').ms });
    } catch (err) {
      setError(fig, e.name, reason(err));
    }
  }
  if (network === 'none') parts.push({ col: 'floor', fn: () => runtimeRun(ctx, 'crun') });
  else setError(fig, 'floor', NO_FLOOR('no engine-free equivalent of bridge + veth + IPAM'));
  await interleave(ctx.rounds ?? 10, parts, [fig], ctx.log);
  return [fig];
}

async function startMany(e, n, par, prefix) {
  const t0 = performance.now();
  await pool(par, Array.from({ length: n }, (_, i) => async () =>
    check(await e.cli(['run', '-d', '--name', `${prefix}${i}`, '--network', 'none', ...e.runFlags, 'busybox', 'sleep', '3600']), 'run -d')));
  return performance.now() - t0;
}

async function removeMany(e, n, par, prefix) {
  const t0 = performance.now();
  await pool(par, Array.from({ length: n }, (_, i) => async () =>
    check(await e.cli(['rm', '-f', ...e.rmFlags, `${prefix}${i}`]), 'rm -f')));
  return performance.now() - t0;
}

/** Best-effort removal of every container of an engine (after a failed round). */
export async function removeAll(e) {
  const ids = (await e.cli(['ps', '-aq'])).stdout.split(/\s+/).filter(Boolean);
  await pool(8, ids.map((id) => () => e.cli(['rm', '-f', ...e.rmFlags, id])));
}

export const SCENARIOS = [
  {
    name: 'run-none',
    description: 'run --rm busybox true with --network none (docker CLI on hakod/dockerd, podman CLI); floor: crun run of the same rootfs',
    run: (ctx) => runRm(ctx, 'none', figure('run-none', 'run --rm busybox true, --network none', 'ms')),
  },
  {
    name: 'run-bridge',
    description: 'run --rm busybox true on the default bridge network (veth + IPAM per container)',
    needsBridge: true,
    run: (ctx) => runRm(ctx, undefined, figure('run-bridge', 'run --rm busybox true, default bridge', 'ms')),
  },
  {
    name: 'floor',
    description: 'raw OCI runtime: `crun run` and `runc run` of an equivalent busybox bundle (/bin/true, own namespaces)',
    async run(ctx) {
      const figs = ['crun', 'runc'].map((rt) => figure(`floor-${rt}`, `${rt} run of a busybox bundle (no engine)`, 'ms'));
      for (const [i, rt] of ['crun', 'runc'].entries()) {
        for (const col of ['hako', 'docker', 'podman']) setError(figs[i], col, NO_FLOOR('runtime alone'));
        try {
          await runtimeRun(ctx, rt); // warm-up
          await interleave(ctx.rounds ?? 10, [{ col: 'floor', fn: () => runtimeRun(ctx, rt) }], [figs[i]], ctx.log);
        } catch (e) {
          setError(figs[i], 'floor', reason(e));
        }
      }
      return figs;
    },
  },
  {
    name: 'many',
    description: '50 detached busybox containers (--network none, sleep) started 8 at a time, then removed (rm -f; podman: rm -f -t 0) 8 at a time',
    async run(ctx) {
      const up = figure('many-start', '50 × run -d, 8 in parallel', 'ms');
      const down = figure('many-rm', '50 × rm -f, 8 in parallel', 'ms');
      for (const f of [up, down]) setError(f, 'floor', NO_FLOOR('no runtime-only equivalent measured'));
      const parts = [];
      for (const e of ctx.engines) {
        try {
          await ensureImage(e, ctx.images.busybox, 'busybox');
          parts.push({ col: e.name, fn: async (r) => {
            const prefix = `hkbench-many-${r}-`;
            try {
              const start = await startMany(e, 50, 8, prefix);
              return { 'many-start': start, 'many-rm': await removeMany(e, 50, 8, prefix) };
            } catch (err) {
              await removeAll(e);
              throw err;
            }
          } });
        } catch (err) {
          for (const f of [up, down]) setError(f, e.name, reason(err));
        }
      }
      await interleave(ctx.rounds ?? 3, parts, [up, down], ctx.log);
      return [up, down];
    },
  },
  {
    name: 'memory',
    description: 'PSS (smaps_rollup) of the engine: daemon + conmon (hako, podman) or dockerd + containerd + shims, with 0 and 50 running containers',
    async run(ctx) {
      const idle = figure('mem-0', 'engine PSS, 0 containers (podman: no daemon)', 'MiB');
      const busy = figure('mem-50', 'engine PSS, 50 running containers', 'MiB');
      const per = figure('mem-per', 'engine PSS per running container', 'MiB');
      const figs = [idle, busy, per];
      for (const f of figs) setError(f, 'floor', NO_FLOOR('not applicable'));
      const samples = async (e) => {
        const xs = [];
        for (let i = 0; i < 3; i++) {
          xs.push(pss(e.memPids()));
          await sleep(1000);
        }
        return xs;
      };
      ctx.memoryDetail = {};
      for (const e of ctx.engines) {
        const s0 = await samples(e);
        for (const s of s0) addSample(idle, e.name, s.mib);
        try {
          await ensureImage(e, ctx.images.busybox, 'busybox');
          await startMany(e, 50, 8, 'hkbench-mem-');
          await sleep(3000);
          const s50 = await samples(e);
          for (const s of s50) addSample(busy, e.name, s.mib);
          addSample(per, e.name, (stats(s50.map((s) => s.mib)).median - stats(s0.map((s) => s.mib)).median) / 50);
          ctx.memoryDetail[e.name] = { idle: s0[0].names, busy: s50[0].names };
          ctx.log(`  ${e.name}: ${stats(s0.map((s) => s.mib)).median.toFixed(1)} MiB idle, ${stats(s50.map((s) => s.mib)).median.toFixed(1)} MiB with 50 (${JSON.stringify(s50[0].names)})`);
        } catch (err) {
          ctx.log(`  ${e.name}: ${reason(err)}`);
          for (const f of [busy, per]) setError(f, e.name, reason(err));
          ctx.memoryDetail[e.name] = { idle: s0[0].names };
        } finally {
          await removeAll(e);
        }
      }
      return figs;
    },
  },
  {
    name: 'load',
    description: 'load -i of the Debian image tarball (docker CLI on hakod/dockerd, podman load), image removed between rounds',
    async run(ctx) {
      const fig = figure('load', 'load -i debian.tar (mmdebstrap minbase)', 'ms');
      setError(fig, 'floor', NO_FLOOR('no engine-free equivalent'));
      const ref = 'debian:bookworm';
      const parts = ctx.engines.map((e) => ({ col: e.name, fn: async () => {
        await e.cli(['rmi', '-f', ref]);
        return check(await e.cli(['load', '-q', '-i', ctx.images.debian], { timeoutMs: 600_000 }), 'load').ms;
      } }));
      await interleave(ctx.rounds ?? 3, parts, [fig], ctx.log);
      return [fig];
    },
  },
  iperfScenario,
  iperfC2cScenario,
  pullScenario,
  rebuildScenario,
  psScenario,
  cliScenario,
];

export { realpathSync, api, failed };
