/**
 * The build and commit operations the API calls (POST /build, POST /commit):
 * one Builder over the image service and, for RUN and commit, the container
 * service (given lazily: it may be wired after the image service).
 */
import type { Readable } from 'node:stream';
import type { ContainerConfig } from '../../core/docker.js';
import { notImplemented, precondition } from '../../core/errors.js';
import type { ImageRuntimeConfig } from '../../core/oci.js';
import { familiarString, parseNormalizedNamed } from '../../core/reference.js';
import { commitLayer, dropUnused } from '../../image/commit.js';
import { applyChanges } from '../../image/import.js';
import type { Images } from '../images.js';
import type { ProgressFn } from '../types.js';
import { Builder, type BuilderDeps } from './builder.js';
import type { BuiltConfig } from './cache.js';
import { upperDirOf } from './run.js';
import { clone, type BuildOptions } from './state.js';

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  pause?: boolean;
  changes?: string[];
  /** Container config overrides (the request body). */
  config?: ContainerConfig;
}

const RUNTIME_KEYS = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal',
  'Healthcheck', 'OnBuild', 'Shell'] as const;

function runtimeOf(c: Record<string, unknown> | undefined): ImageRuntimeConfig {
  const out: Record<string, unknown> = {};
  for (const k of RUNTIME_KEYS) {
    const v = c?.[k];
    if (v !== undefined && v !== null && v !== '' && !(typeof v === 'object' && Object.keys(v).length === 0)) out[k] = v;
  }
  return clone(out) as ImageRuntimeConfig;
}

export class BuildService {
  private readonly builder: Builder;
  constructor(private readonly deps: BuilderDeps & { images: Images }) {
    this.builder = new Builder(deps);
  }

  build(body: Readable, opts: BuildOptions, out: ProgressFn): Promise<string> {
    return this.builder.build(body, opts, out);
  }

  /** docker commit: the container's upper dir as a layer on its image, with its config (and overrides). */
  async commit(container: string, o: CommitOptions): Promise<string> {
    const cs = this.deps.containers?.();
    if (!cs) throw notImplemented('commit is not implemented yet in hako: this daemon has no containers service');
    const ref = o.repo ? parseNormalizedNamed(o.tag ? `${o.repo}:${o.tag}` : o.repo) : undefined;
    const info = await cs.inspect(container);
    const id = info.Id as string;
    const state = info.State as { Running?: boolean; Paused?: boolean } | undefined;
    if (state?.Running && !state.Paused && o.pause !== false) await cs.pause(id).catch(() => {});
    const { images } = this.deps;
    const stores = { content: images.content, snapshots: images.snapshots, store: images.store };
    const imageId = info.Image as string;
    const parent = images.store.get(imageId);
    if (!parent) throw precondition(`the image of container ${id.slice(0, 12)} is gone`);
    const base = JSON.parse(parent.config.toString()) as BuiltConfig;
    const layers = images.store.layersOf(imageId);
    let layer;
    try {
      layer = await commitLayer(stores, await upperDirOf(cs, id), layers.at(-1)?.chainId ?? null, await cs.idShiftOf?.(id));
    } finally {
      if (state?.Running && !state.Paused && o.pause !== false) await cs.unpause(id).catch(() => {});
    }
    const cc = runtimeOf(info.Config as Record<string, unknown>);
    const run = applyChanges({ ...cc, ...runtimeOf(o.config as Record<string, unknown>) }, o.changes ?? []);
    const now = new Date().toISOString();
    const cmd = [info.Path as string, ...((info.Args as string[]) ?? [])].filter((x) => x !== undefined);
    const cfg: BuiltConfig = {
      architecture: base.architecture, os: base.os, ...(base.variant ? { variant: base.variant } : {}),
      created: now, ...(o.author ? { author: o.author } : {}), ...(o.comment ? { comment: o.comment } : {}),
      config: run, container: id, container_config: cc, parent: imageId,
      rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), layer.diffId] },
      history: [...(base.history ?? []), { created: now, created_by: cmd.join(' '),
        ...(o.author ? { author: o.author } : {}), ...(o.comment ? { comment: o.comment } : {}) }],
    };
    try {
      const newId = await images.registerImage(cfg, [...layers, layer]);
      if (ref) await images.tag(newId, familiarString(ref));
      return newId;
    } finally {
      await dropUnused(stores, [layer]).catch(() => {});
    }
  }
}

