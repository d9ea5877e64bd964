/**
 * The classic builder (what `DOCKER_BUILDKIT=0 docker build` talks to): the
 * context unpacked, the Dockerfile parsed, each stage up to the target run step
 * by step ("Step 3/7 : COPY . /app", " ---> 1a2b3c4d5e6f"), every step an image
 * (config + layers) registered untagged with its parent, found again by the
 * cache on a rebuild; the final image tagged.
 */
import type { Readable } from 'node:stream';
import { invalid, notFound } from '../../core/errors.js';
import type { ImageRuntimeConfig } from '../../core/oci.js';
import { familiarString, parseNormalizedNamed } from '../../core/reference.js';
import { dropUnused } from '../../image/commit.js';
import type { Images } from '../images.js';
import type { ContainerService, ProgressFn } from '../types.js';
import { BuildCache, type BuiltConfig } from './cache.js';
import { openContext } from './context.js';
import { dispatch } from './dispatch.js';
import { processWord } from './expand.js';
import { parseInstruction, type Command } from './instructions.js';
import { parseDockerfile, stagesFor, type Stage } from './parser.js';
import { clone, DEFAULT_PATH, PREDEFINED_ARGS, setEnv, short, type BuildEnv, type BuildOptions, type StageState } from './state.js';

export type { BuildOptions } from './state.js';

export interface BuilderDeps {
  images: Images;
  containers?: () => ContainerService | undefined;
}

function scratch(): BuiltConfig {
  return { architecture: process.arch === 'arm64' ? 'arm64' : 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, history: [] };
}

function stepText(c: Command | Stage['from']): string {
  return c.original;
}

export class Builder {
  constructor(private readonly deps: BuilderDeps) {}

  /**
   * Runs a build, writing docker's JSON stream through `out`. Errors before the
   * first step (bad Dockerfile, missing context file) are thrown with nothing
   * written, so the API answers them with a status; later ones are thrown too
   * and the caller writes them in-band. Resolves with the final image id.
   */
  async build(body: Readable, opts: BuildOptions, out: ProgressFn): Promise<string> {
    const tags = (opts.tags ?? []).map((t) => parseNormalizedNamed(t));
    const ctx = await openContext(body, opts.dockerfile || 'Dockerfile');
    const { images } = this.deps;
    const b: BuildEnv = {
      images, stores: { content: images.content, snapshots: images.snapshots, store: images.store },
      containers: this.deps.containers?.(), out, opts, cache: new BuildCache(images.store, !!opts.noCache), ctx, escape: '\\',
      buildArgs: new Map(Object.entries(opts.buildArgs ?? {}).map(([k, v]) => [k, v ?? undefined])),
      usedArgs: new Set(), metaArgs: new Map(), results: [], newLayers: [],
    };
    try {
      const df = parseDockerfile(ctx.dockerfile, opts.dockerfile || 'Dockerfile');
      b.escape = df.escape;
      const stages = stagesFor(df, opts.target);
      if (opts.labels && Object.keys(opts.labels).length) addLabels(stages[stages.length - 1]!, opts.labels);
      const total = df.metaArgs.length + stages.reduce((n, s) => n + 1 + s.commands.length, 0);
      let n = 0;
      const say = (s: string) => { if (!opts.quiet) out({ stream: s }); };
      for (const a of df.metaArgs) {
        say(`Step ${++n}/${total} : ${a.original}\n`);
        for (const x of a.args) {
          b.metaArgs.set(x.name, b.buildArgs.has(x.name) ? useArg(b, x.name) ?? '' : x.value !== undefined ? processWord(x.value, b.metaArgs, b.escape) : '');
        }
      }
      let st: StageState | undefined;
      for (const stage of stages) {
        say(`Step ${++n}/${total} : ${stepText(stage.from)}\n`);
        st = await this.initStage(b, stage);
        say(` ---> ${short(st.imageId)}\n`);
        for (const c of stage.commands) {
          say(`Step ${++n}/${total} : ${stepText(c)}\n`);
          await dispatch(b, st, c);
          say(` ---> ${short(st.imageId)}\n`);
        }
        out({ aux: { ID: st.imageId } });
        b.results.push({ name: stage.name, imageId: st.imageId, layers: st.layers });
      }
      const unused = [...b.buildArgs.keys()].filter((k) => !b.usedArgs.has(k) && !PREDEFINED_ARGS.includes(k));
      if (unused.length) say(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
      const id = st!.imageId;
      if (!id) throw invalid('No image was generated. Is your Dockerfile empty?');
      if (opts.quiet) out({ stream: `${id}\n` });
      else out({ stream: `Successfully built ${short(id)}\n` });
      for (const t of tags) {
        await images.tag(id, familiarString(t));
        say(`Successfully tagged ${familiarString(t)}\n`);
      }
      return id;
    } finally {
      await dropUnused(b.stores, b.newLayers).catch(() => {});
      await ctx.close();
    }
  }

  private async initStage(b: BuildEnv, stage: Stage): Promise<StageState> {
    const name = processWord(stage.from.image, b.metaArgs, b.escape);
    if (!name) throw invalid(`base name (${stage.from.image}) should not be blank`);
    const st: StageState = { index: stage.index, name: stage.name, imageId: '', base: scratch(), layers: [], run: {}, args: new Map(), cmdSet: false };
    b.cache.reset();
    const prev = b.results.find((r) => r.name === name.toLowerCase());
    if (prev || name !== 'scratch') {
      const id = prev ? prev.imageId : this.resolveBase(b, name);
      if (id) {
        st.imageId = id;
        st.base = JSON.parse(b.images.store.get(id)!.config.toString()) as BuiltConfig;
        st.layers = b.images.store.layersOf(id);
      } else st.layers = prev?.layers ?? [];
    }
    st.run = clone<ImageRuntimeConfig>(st.base.config ?? {});
    if (!(st.run.Env ?? []).some((e) => e.startsWith('PATH='))) st.run.Env = setEnv(st.run.Env, 'PATH', DEFAULT_PATH);
    await this.onBuild(b, st);
    return st;
  }

  private resolveBase(b: BuildEnv, name: string): string {
    try {
      return b.images.resolve(name).id;
    } catch (e) {
      throw notFound(`pull access denied for ${name}: hako does not pull during builds and the image is not here (No such image: ${name}); load it first`, e);
    }
  }

  /** Runs the base image's ONBUILD triggers, then clears them. */
  private async onBuild(b: BuildEnv, st: StageState): Promise<void> {
    const triggers = st.run.OnBuild ?? [];
    if (!triggers.length) return;
    st.run.OnBuild = null;
    if (!b.opts.quiet) b.out({ stream: `# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n` });
    for (const t of triggers) {
      const m = /^(\S+)\s*([\s\S]*)$/.exec(t.trim())!;
      await dispatch(b, st, parseInstruction({ cmd: m[1]!.toLowerCase(), rest: m[2]!, original: t, line: 0 }, b.escape));
    }
  }
}

function useArg(b: BuildEnv, name: string): string | undefined {
  b.usedArgs.add(name);
  return b.buildArgs.get(name) ?? process.env[name];
}

/** The `labels` build option: a LABEL step added to the last stage, as docker does. */
function addLabels(stage: Stage, labels: Record<string, string>): void {
  const pairs = Object.entries(labels).sort(([a], [c]) => a.localeCompare(c));
  const text = 'LABEL ' + pairs.map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ');
  stage.commands.push({ kind: 'label', line: 0, original: text, pairs: pairs.map(([k, v]) => [JSON.stringify(k), JSON.stringify(v)]) });
}
