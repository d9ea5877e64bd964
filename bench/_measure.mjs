// Measurement plumbing shared by the scenarios: figures with per-engine samples or a reason,
// interleaved rounds, a bounded worker pool, the floor OCI bundle, PSS sums.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryOf } from './_lib.mjs';
import { CGROUP_PREFIX, check, runCmd } from './_engines.mjs';

export const COLUMNS = ['hako', 'docker', 'podman', 'floor'];

/** "not supported yet: …" when the engine says it does not implement it, "failed: …" otherwise. */
export function reason(err) {
  const msg = String(err?.message ?? err).replace(/\s+/g, ' ').trim();
  if (/not implemented|not supported|\b501\b|NotImplemented/i.test(msg)) return `not supported yet: ${msg}`;
  return `failed: ${msg}`;
}

/** A figure: one row of the table. better: 'lower' or 'higher'. */
export function figure(id, label, unit, better = 'lower') {
  return { id, label, unit, better, values: {} };
}

export const addSample = (fig, col, x) => {
  const v = (fig.values[col] ??= { samples: [] });
  if (!v.error) v.samples.push(x);
};
export const setError = (fig, col, why) => {
  fig.values[col] = { error: why };
};
export const failed = (fig, col) => !!fig.values[col]?.error;

/**
 * Rounds interleaved across participants ({col, fn}); the order rotates each round so no
 * engine always goes first. fn(round) returns one sample or an object {figId: sample}.
 * A participant that throws gets its reason in every figure it feeds and is not asked again.
 */
export async function interleave(rounds, parts, figs, log) {
  for (let r = 0; r < rounds; r++) {
    const order = parts.map((_, i) => parts[(i + r) % parts.length]);
    for (const p of order) {
      if (figs.every((f) => failed(f, p.col))) continue;
      try {
        const x = await p.fn(r);
        if (typeof x === 'number') addSample(figs[0], p.col, x);
        else for (const f of figs) if (x[f.id] !== undefined) addSample(f, p.col, x[f.id]);
        log(`  round ${r + 1}/${rounds} ${p.col}: ${typeof x === 'number' ? x.toFixed(1) : JSON.stringify(x)}`);
      } catch (e) {
        const why = reason(e);
        log(`  ${p.col}: ${why}`);
        for (const f of figs) setError(f, p.col, why);
      }
    }
  }
}

/** Runs async tasks (functions) at most n at a time; rejects with the first failure after all settle. */
export async function pool(n, tasks) {
  const results = new Array(tasks.length);
  let next = 0;
  let firstErr;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      try {
        results[i] = await tasks[i]();
      } catch (e) {
        firstErr ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker));
  if (firstErr) throw firstErr;
  return results;
}

/** An OCI bundle of the busybox image running /bin/true, for `crun run` / `runc run`. */
export function floorBundle(ctx) {
  if (ctx.bundle) return ctx.bundle;
  const dir = join(ctx.tmp, 'bundle');
  const x = join(ctx.tmp, 'busybox-archive');
  mkdirSync(join(dir, 'rootfs'), { recursive: true });
  mkdirSync(x, { recursive: true });
  execFileSync('tar', ['-xf', ctx.images.busybox, '-C', x]);
  const [manifest] = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8'));
  for (const l of manifest.Layers) execFileSync('tar', ['-xf', join(x, l), '-C', join(dir, 'rootfs')]);
  execFileSync('crun', ['spec', '-b', dir]);
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/true'];
  spec.linux.cgroupsPath = `/${CGROUP_PREFIX}-floor`;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  mkdirSync(join(ctx.tmp, 'runtime-state'), { recursive: true });
  ctx.bundle = dir;
  return dir;
}

let floorSeq = 0;
/** One `<runtime> run` of the floor bundle (namespaces as `crun spec` sets them: no network). */
export async function runtimeRun(ctx, runtime) {
  const bundle = floorBundle(ctx);
  const id = `${CGROUP_PREFIX}-${runtime}-${process.pid}-${floorSeq++}`;
  const r = await runCmd(runtime, ['--root', join(ctx.tmp, 'runtime-state', runtime), 'run', '-b', bundle, id]);
  check(r, `${runtime} run`);
  return r.ms;
}

/** PSS (MiB) summed over pids, with the process names. */
export function pss(pids) {
  const procs = pids.flatMap((p) => {
    try {
      return [memoryOf(p)];
    } catch {
      return [];
    }
  });
  const names = {};
  for (const p of procs) names[p.comm] = (names[p.comm] ?? 0) + 1;
  return { mib: procs.reduce((a, p) => a + p.pssKiB, 0) / 1024, names, count: procs.length };
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { n: s.length, median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, min: s[0], max: s.at(-1) };
}
