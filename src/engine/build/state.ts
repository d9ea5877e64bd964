/**
 * What the builder carries through a build (BuildEnv) and through one stage
 * (StageState), and the one way a step becomes an image: probe the cache by
 * parent + container_config, else make the layer (if any) and register a child
 * image whose history gains one entry.
 */
import { posix } from 'node:path';
import { shortId } from '../../core/ids.js';
import type { ImageRuntimeConfig } from '../../core/oci.js';
import type { LayerRecord } from '../../image/metadata.js';
import type { ImageStores } from '../../image/session.js';
import type { Images } from '../images.js';
import type { ContainerService, ProgressFn } from '../types.js';
import type { BuildCache, BuiltConfig } from './cache.js';
import type { BuildContext } from './context.js';
import type { Env } from './expand.js';
import { LayerView } from './view.js';

export interface BuildOptions {
  dockerfile?: string;
  tags?: string[];
  buildArgs?: Record<string, string | null>;
  target?: string;
  noCache?: boolean;
  labels?: Record<string, string>;
  quiet?: boolean;
  rm?: boolean;
  forceRm?: boolean;
  networkMode?: string;
}

export interface StageResult { name?: string; imageId: string; layers: LayerRecord[] }

export interface BuildEnv {
  images: Images;
  stores: ImageStores;
  containers?: ContainerService;
  out: ProgressFn;
  opts: BuildOptions;
  cache: BuildCache;
  ctx: BuildContext;
  escape: string;
  /** --build-arg values (null: take the value from the daemon's env, as docker does). */
  buildArgs: Map<string, string | undefined>;
  usedArgs: Set<string>;
  /** ARGs before the first FROM, with their values. */
  metaArgs: Env;
  results: StageResult[];
  /** Layers stored by this build (unreferenced ones are dropped at the end). */
  newLayers: LayerRecord[];
}

export interface StageState {
  index: number;
  name?: string;
  imageId: string;
  base: BuiltConfig;
  layers: LayerRecord[];
  run: ImageRuntimeConfig;
  args: Map<string, string | undefined>;
  cmdSet: boolean;
  author?: string;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const PREDEFINED_ARGS = ['HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'NO_PROXY', 'ALL_PROXY']
  .flatMap((a) => [a, a.toLowerCase()]);

export const shellOf = (st: StageState) => st.run.Shell?.length ? st.run.Shell : ['/bin/sh', '-c'];
export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v ?? {})) as T;

/** Variables for substitution: the stage's ARGs, overridden by its ENV. */
export function stageEnv(st: StageState): Env {
  const m: Env = new Map();
  for (const [k, v] of st.args) if (v !== undefined) m.set(k, v);
  for (const e of st.run.Env ?? []) {
    const i = e.indexOf('=');
    m.set(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1));
  }
  return m;
}

/** Sets KEY=VALUE in an Env list, replacing an earlier KEY. */
export function setEnv(list: string[] | undefined, k: string, v: string): string[] {
  const out = (list ?? []).filter((e) => e !== k && !e.startsWith(`${k}=`));
  const i = (list ?? []).findIndex((e) => e === k || e.startsWith(`${k}=`));
  if (i >= 0) out.splice(i, 0, `${k}=${v}`);
  else out.push(`${k}=${v}`);
  return out;
}

export function imageView(b: BuildEnv, layers: LayerRecord[]): LayerView {
  return new LayerView(layers.map((l) => b.stores.snapshots.diffDir(l.chainId)));
}

/** A path in the image, relative ones against WORKDIR; keeps a trailing slash. */
export function inImage(st: StageState, p: string): string {
  if (p.startsWith('/')) return p;
  const joined = posix.join(st.run.WorkingDir || '/', p);
  return p.endsWith('/') || p === '.' ? joined.replace(/\/?$/, '/') : joined;
}

function adopt(b: BuildEnv, st: StageState, id: string): void {
  const rec = b.images.store.get(id)!;
  st.imageId = id;
  st.base = JSON.parse(rec.config.toString()) as BuiltConfig;
  st.layers = b.images.store.layersOf(id);
  st.run = clone(st.base.config ?? {});
}

/**
 * One step: the cached image when there is one, else `makeLayer` (none for a
 * config-only step) and a new child image. Prints docker's " ---> Using cache".
 */
export async function step(b: BuildEnv, st: StageState, cc: ImageRuntimeConfig, createdBy: string,
  makeLayer?: () => Promise<LayerRecord>): Promise<void> {
  const hit = b.cache.probe(st.imageId, cc);
  if (hit) {
    if (!b.opts.quiet) b.out({ stream: ' ---> Using cache\n' });
    adopt(b, st, hit);
    return;
  }
  const layer = makeLayer ? await makeLayer() : undefined;
  if (layer) b.newLayers.push(layer);
  const now = new Date().toISOString();
  const cfg: BuiltConfig = {
    architecture: st.base.architecture, os: st.base.os, ...(st.base.variant ? { variant: st.base.variant } : {}),
    ...(st.author ?? st.base.author ? { author: st.author ?? st.base.author } : {}),
    created: now, config: clone(st.run), container_config: cc, parent: st.imageId,
    rootfs: { type: 'layers', diff_ids: [...(st.base.rootfs?.diff_ids ?? []), ...(layer ? [layer.diffId] : [])] },
    history: [...(st.base.history ?? []), { created: now, created_by: createdBy, ...(layer ? {} : { empty_layer: true }) }],
  };
  const layers = layer ? [...st.layers, layer] : st.layers;
  const id = await b.images.registerImage(cfg, layers);
  b.cache.add(st.imageId, cc, id);
  st.imageId = id;
  st.base = cfg;
  st.layers = layers;
}

export const short = (id: string) => (id ? shortId(id) : '');
