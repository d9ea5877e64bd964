import { digestHex, type Digest } from '../core/digest.js';
import type { ImageConfig } from '../core/oci.js';
import { familiarString, parseReference, type Reference } from '../core/reference.js';
import type { ImageRecord, LayerRecord } from '../image/metadata.js';

export interface ImageView {
  rec: ImageRecord;
  cfg: ImageConfig;
  refs: Reference[];
}

export const tagsOf = (refs: Reference[]) => refs.filter((r) => r.tag && !r.digest).map(familiarString);
export const digestsOf = (refs: Reference[]) => refs.filter((r) => r.digest).map(familiarString);
export const unix = (iso: string | undefined) => Math.floor(Date.parse(iso ?? '') / 1000) || 0;
export const parseRefs = (names: string[]) => names.map((n) => parseReference(n));
/** The v1 parent image id a classic build records in the config ("" when none). */
export const parentOf = (cfg: ImageConfig) => {
  const p = (cfg as { parent?: unknown }).parent;
  return typeof p === 'string' ? p : '';
};

/** dockerd's null for an empty list or map in ImageSummary (Labels, RepoDigests). */
function orNull<T extends object>(v: T | null | undefined): T | null {
  return v && Object.keys(v).length ? v : null;
}

/** docker's ImageSummary. */
export function summary(v: ImageView): Record<string, unknown> {
  return {
    Id: v.rec.id,
    ParentId: parentOf(v.cfg),
    RepoTags: tagsOf(v.refs),
    RepoDigests: orNull(digestsOf(v.refs)),
    Created: unix(v.cfg.created),
    Size: v.rec.size,
    SharedSize: -1,
    VirtualSize: v.rec.size,
    Labels: orNull(v.cfg.config?.Labels),
    Containers: -1,
  };
}

/** docker's ImageInspect. */
export function inspectView(v: ImageView, layers: LayerRecord[], layerDir: (c: Digest) => string): Record<string, unknown> {
  const dirs = layers.map((l) => layerDir(l.chainId)).reverse();
  const top = layers.length ? layerDir(layers[layers.length - 1]!.chainId).replace(/\/diff$/, '') : '';
  const data: Record<string, string> = { MergedDir: `${top}/merged`, UpperDir: `${top}/diff`, WorkDir: `${top}/work` };
  if (dirs.length > 1) data.LowerDir = dirs.slice(1).join(':');
  return {
    Id: v.rec.id,
    RepoTags: tagsOf(v.refs),
    RepoDigests: digestsOf(v.refs),
    Parent: parentOf(v.cfg),
    Comment: v.cfg.comment ?? '',
    Created: v.cfg.created ?? '',
    Container: '',
    ContainerConfig: v.cfg.container_config ?? {},
    DockerVersion: v.cfg.docker_version ?? '',
    Author: v.cfg.author ?? '',
    Config: v.cfg.config ?? {},
    Architecture: v.cfg.architecture,
    ...(v.cfg.variant ? { Variant: v.cfg.variant } : {}),
    Os: v.cfg.os,
    Size: v.rec.size,
    VirtualSize: v.rec.size,
    GraphDriver: { Name: 'overlay2', Data: data },
    RootFS: { Type: 'layers', Layers: v.cfg.rootfs?.diff_ids ?? [] },
    Metadata: { LastTagTime: v.rec.lastTagTime ?? '0001-01-01T00:00:00Z' },
  };
}

/** docker's image history: newest first, "<missing>" for entries below the top. */
export function historyView(v: ImageView, layers: LayerRecord[]): Record<string, unknown>[] {
  const hist = v.cfg.history?.length ? v.cfg.history : layers.map(() => ({ created: v.cfg.created }));
  let li = 0;
  const rows = hist.map((h) => {
    const empty = 'empty_layer' in h && h.empty_layer;
    const layer = empty ? undefined : layers[li++];
    return {
      Id: '<missing>',
      Created: unix(h.created),
      CreatedBy: ('created_by' in h && h.created_by) || '',
      Tags: null as string[] | null,
      Size: layer?.size ?? 0,
      Comment: ('comment' in h && h.comment) || '',
    };
  });
  rows.reverse();
  if (rows[0]) {
    rows[0].Id = v.rec.id;
    const tags = tagsOf(v.refs);
    rows[0].Tags = tags.length ? tags : null;
  }
  return rows;
}

/** docker's `reference` filter: path.Match globs on "name" and "name:tag". */
export function matchesReference(refs: Reference[], patterns: string[]): boolean {
  const re = (p: string) => new RegExp('^' + p.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
  return patterns.some((p) => refs.some((r) => {
    const full = familiarString(r);
    const name = familiarString({ ...r, tag: undefined, digest: undefined });
    return re(p).test(full) || re(p).test(name);
  }));
}

export function matchesLabels(cfg: ImageConfig, wanted: string[]): boolean {
  const labels = cfg.config?.Labels ?? {};
  return wanted.every((w) => {
    const i = w.indexOf('=');
    return i < 0 ? w in labels : labels[w.slice(0, i)] === w.slice(i + 1);
  });
}

export const shortHex = (id: Digest) => digestHex(id).slice(0, 12);
