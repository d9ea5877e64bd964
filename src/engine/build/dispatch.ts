/**
 * One instruction of a stage: how it changes the stage's run config, the
 * container_config command that keys the cache and the history's created_by,
 * as docker's classic builder writes them ("/bin/sh -c #(nop)  CMD [\"sh\"]").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invalid } from '../../core/errors.js';
import type { HealthConfig, ImageRuntimeConfig } from '../../core/oci.js';
import { commitLayer } from '../../image/commit.js';
import { copyInto, hashSources, resolveOwner, resolveSources } from './copy.js';
import { processWord, processWords } from './expand.js';
import type { Command } from './instructions.js';
import { runStep } from './run.js';
import { clone, imageView, inImage, PREDEFINED_ARGS, setEnv, shellOf, stageEnv, step, type BuildEnv, type StageState } from './state.js';
import type { LayerView } from './view.js';

/** Go's %q of a []string, as docker prints commands in history: ["a" "b"]. */
const goQ = (a: string[]) => `[${a.map((s) => JSON.stringify(s)).join(' ')}]`;

function nop(b: BuildEnv, st: StageState, comment: string): Promise<void> {
  const cc: ImageRuntimeConfig = { ...clone(st.run), Cmd: [...shellOf(st), '#(nop) ', comment] };
  return step(b, st, cc, cc.Cmd!.join(' '));
}

function exposePorts(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
    if (!m) throw invalid(`Invalid containerPort: ${w}`);
    const [lo, hi] = [Number(m[1]), Number(m[2] ?? m[1])];
    for (let p = lo; p <= hi; p++) out.push(`${p}/${(m[3] ?? 'tcp').toLowerCase()}`);
  }
  return out;
}

function health(c: Extract<Command, { kind: 'healthcheck' }>): HealthConfig {
  const h: HealthConfig = { Test: c.test };
  if (c.interval !== undefined) h.Interval = c.interval;
  if (c.timeout !== undefined) h.Timeout = c.timeout;
  if (c.startPeriod !== undefined) h.StartPeriod = c.startPeriod;
  if (c.startInterval !== undefined) h.StartInterval = c.startInterval;
  if (c.retries !== undefined) h.Retries = c.retries;
  return h;
}

function argValue(b: BuildEnv, st: StageState, name: string, dflt: string | undefined): string | undefined {
  if (b.buildArgs.has(name)) {
    b.usedArgs.add(name);
    return b.buildArgs.get(name) ?? process.env[name];
  }
  if (dflt !== undefined) return processWord(dflt, stageEnv(st), b.escape);
  return b.metaArgs.get(name);
}

/** Config-only instructions; returns false for the others. */
async function configStep(b: BuildEnv, st: StageState, c: Command): Promise<boolean> {
  const env = stageEnv(st);
  const word = (s: string) => processWord(s, env, b.escape);
  const r = st.run;
  switch (c.kind) {
    case 'env': case 'label': {
      const pairs = c.pairs.map(([k, v]) => [word(k), word(v)] as const);
      if (c.kind === 'env') for (const [k, v] of pairs) r.Env = setEnv(r.Env, k, v);
      else r.Labels = { ...(r.Labels ?? {}), ...Object.fromEntries(pairs) };
      return nop(b, st, `${c.kind.toUpperCase()} ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`).then(() => true);
    }
    case 'arg':
      for (const a of c.args) st.args.set(a.name, argValue(b, st, a.name, a.value));
      return nop(b, st, `ARG ${c.args.map((a) => (a.value !== undefined ? `${a.name}=${a.value}` : a.name)).join(' ')}`).then(() => true);
    case 'workdir': {
      r.WorkingDir = inImage(st, word(c.value)).replace(/(.)\/$/, '$1');
      return nop(b, st, `WORKDIR ${r.WorkingDir}`).then(() => true);
    }
    case 'user': r.User = word(c.value); return nop(b, st, `USER ${r.User}`).then(() => true);
    case 'stopsignal': r.StopSignal = word(c.value); return nop(b, st, `STOPSIGNAL ${r.StopSignal}`).then(() => true);
    case 'maintainer': st.author = c.value; return nop(b, st, `MAINTAINER ${c.value}`).then(() => true);
    case 'cmd': case 'entrypoint': {
      const v = c.exec ?? [...shellOf(st), c.shell!];
      if (c.kind === 'cmd') { r.Cmd = v; st.cmdSet = true; } else { r.Entrypoint = v; if (!st.cmdSet) r.Cmd = null; }
      return nop(b, st, `${c.kind.toUpperCase()} ${goQ(v)}`).then(() => true);
    }
    case 'expose': {
      const ports = exposePorts(c.raw.flatMap((w) => processWords(w, env, b.escape)));
      r.ExposedPorts = { ...(r.ExposedPorts ?? {}), ...Object.fromEntries(ports.map((p) => [p, {}])) };
      return nop(b, st, `EXPOSE ${ports.map((p) => p.replace(/\/tcp$/, '')).join(' ')}`).then(() => true);
    }
    case 'volume': {
      const vols = c.raw.map(word);
      if (vols.some((v) => !v.trim())) throw invalid('VOLUME specified can not be an empty string');
      r.Volumes = { ...(r.Volumes ?? {}), ...Object.fromEntries(vols.map((v) => [v, {}])) };
      return nop(b, st, `VOLUME [${vols.join(' ')}]`).then(() => true);
    }
    case 'healthcheck': r.Healthcheck = health(c); return nop(b, st, `HEALTHCHECK ${c.original.replace(/^\S+\s*/, '')}`).then(() => true);
    case 'shell': r.Shell = c.shell; return nop(b, st, `SHELL [${c.shell.join(' ')}]`).then(() => true);
    case 'onbuild': r.OnBuild = [...(r.OnBuild ?? []), c.expression]; return nop(b, st, `ONBUILD ${c.expression}`).then(() => true);
    default: return false;
  }
}

/** The build args a RUN sees (declared, with a value, not shadowed by ENV), sorted: "k=v". */
function runArgs(st: StageState): string[] {
  const envKeys = new Set((st.run.Env ?? []).map((e) => e.split('=')[0]));
  return [...st.args].filter(([k, v]) => v !== undefined && !envKeys.has(k) && !PREDEFINED_ARGS.includes(k))
    .map(([k, v]) => `${k}=${v}`).sort();
}

async function runInstruction(b: BuildEnv, st: StageState, c: Extract<Command, { kind: 'run' }>): Promise<void> {
  const cmd = c.exec ?? [...shellOf(st), c.shell!];
  const args = runArgs(st);
  const proxies = PREDEFINED_ARGS.filter((k) => b.buildArgs.get(k) !== undefined).map((k) => `${k}=${b.buildArgs.get(k)}`);
  PREDEFINED_ARGS.forEach((k) => b.buildArgs.has(k) && b.usedArgs.add(k));
  const ccCmd = args.length ? [`|${args.length}`, ...args, ...cmd] : cmd;
  const cc: ImageRuntimeConfig = { ...clone(st.run), Cmd: ccCmd };
  await step(b, st, cc, ccCmd.join(' '), () => runStep({
    containers: b.containers, stores: b.stores, imageId: st.imageId, run: st.run, cmd,
    env: [...(st.run.Env ?? []), ...args, ...proxies], networkMode: c.network ?? b.opts.networkMode ?? 'default',
    parentChain: st.layers.at(-1)?.chainId ?? null, out: b.out, quiet: !!b.opts.quiet,
    rm: b.opts.rm !== false, forceRm: !!b.opts.forceRm,
  }));
}

/** The view COPY --from reads: an earlier stage (name or index) or an image. */
function fromView(b: BuildEnv, st: StageState, ref: string): LayerView {
  const byIndex = /^\d+$/.test(ref) ? Number(ref) : undefined;
  if (byIndex !== undefined && byIndex >= st.index) throw invalid(`invalid from flag value ${ref}: refers to current build stage`);
  const res = byIndex !== undefined ? b.results[byIndex] : b.results.find((r) => r.name === ref.toLowerCase());
  if (res) return imageView(b, res.layers);
  if (ref.toLowerCase() === st.name) throw invalid(`invalid from flag value ${ref}: refers to current build stage`);
  const { id } = b.images.resolve(ref);
  return imageView(b, b.images.store.layersOf(id));
}

async function copyInstruction(b: BuildEnv, st: StageState, c: Extract<Command, { kind: 'copy' | 'add' }>): Promise<void> {
  const env = stageEnv(st);
  const word = (s: string) => processWord(s, env, b.escape);
  const from = c.from ? fromView(b, st, word(c.from)) : b.ctx.view;
  const image = imageView(b, st.layers);
  const owner = c.chown ? await resolveOwner(image, word(c.chown)) : undefined;
  if (c.chmod && !/^[0-7]{3,4}$/.test(c.chmod)) throw invalid(`invalid chmod parameter: ${c.chmod}`);
  const mode = c.chmod ? parseInt(c.chmod, 8) : undefined;
  const dest = inImage(st, word(c.dest));
  const sources = await resolveSources(c.kind, from, c.srcs.map(word));
  const hash = await hashSources(from, sources, `${c.from ?? ''}|${c.chown ?? ''}|${c.chmod ?? ''}`);
  const cc: ImageRuntimeConfig = { ...clone(st.run), Cmd: [...shellOf(st), `#(nop) ${c.kind.toUpperCase()} ${hash} in ${dest} `] };
  await step(b, st, cc, cc.Cmd!.join(' '), async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'hako-layer-'));
    try {
      await copyInto({ kind: c.kind, from, srcs: c.srcs, dest, image, upper: tmp, owner, mode }, sources);
      return await commitLayer(b.stores, tmp, st.layers.at(-1)?.chainId ?? null);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

/** Runs one instruction of a stage (FROM is the stage's start, handled by the builder). */
export async function dispatch(b: BuildEnv, st: StageState, c: Command): Promise<void> {
  if (await configStep(b, st, c)) return;
  if (c.kind === 'run') return runInstruction(b, st, c);
  if (c.kind === 'copy' || c.kind === 'add') return copyInstruction(b, st, c);
  throw invalid(`${c.kind.toUpperCase()} is not allowed here`);
}
