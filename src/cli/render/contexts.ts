/** The rows docker's list commands render (images, history), with docker's computed fields. */
import { parseReference, familiarName } from '../../core/reference.js';
import { ago, humanSize } from './units.js';
import { goTimeString } from './time.js';

export const truncId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** docker's Ellipsis: at most n characters, the last one "…" when cut. */
export function ellipsis(s: string, n: number): string {
  const chars = [...s];
  if (chars.length <= n) return s;
  return n <= 1 ? chars.slice(0, n).join('') : chars.slice(0, n - 1).join('') + '…';
}

export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  VirtualSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

function imageRow(img: ImageSummary, repo: string, tag: string, digest: string, trunc: boolean): Record<string, unknown> {
  return {
    ID: trunc ? truncId(img.Id) : img.Id,
    Repository: repo,
    Tag: tag,
    Digest: digest,
    CreatedSince: img.Created ? ago(img.Created) : 'N/A',
    CreatedAt: goTimeString(img.Created),
    Size: humanSize(img.Size, 3),
    VirtualSize: humanSize(img.VirtualSize ?? img.Size, 4),
    SharedSize: img.SharedSize === undefined || img.SharedSize < 0 ? 'N/A' : humanSize(img.SharedSize, 3),
    UniqueSize: img.SharedSize === undefined || img.SharedSize < 0 ? 'N/A' : humanSize(img.Size - img.SharedSize, 3),
    Containers: img.Containers === undefined || img.Containers < 0 ? 'N/A' : String(img.Containers),
  };
}

function groupRefs(refs: string[] | null | undefined, sep: '@' | ':'): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of refs ?? []) {
    let r;
    try {
      r = parseReference(s);
    } catch {
      continue;
    }
    const v = sep === ':' ? r.tag : r.digest;
    if (!v || (sep === ':' && r.digest)) continue;
    const name = familiarName(r);
    out.set(name, [...(out.get(name) ?? []), v]);
  }
  return out;
}

/** One row per repo:tag (and per digest with --digests), like docker's imageFormat. */
export function imageRows(images: ImageSummary[], opts: { digests: boolean; trunc: boolean }): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const img of images) {
    const tags = groupRefs(img.RepoTags, ':');
    const digests = groupRefs(img.RepoDigests, '@');
    const mine: Record<string, unknown>[] = [];
    for (const [repo, ts] of tags) {
      const ds = opts.digests ? (digests.get(repo) ?? []) : [];
      digests.delete(repo);
      for (const t of ts) {
        if (!ds.length) mine.push(imageRow(img, repo, t, '<none>', opts.trunc));
        for (const d of ds) mine.push(imageRow(img, repo, t, d, opts.trunc));
      }
    }
    for (const [repo, ds] of digests) {
      if (opts.digests) for (const d of ds) mine.push(imageRow(img, repo, '<none>', d, opts.trunc));
      else mine.push(imageRow(img, repo, '<none>', '<none>', opts.trunc));
    }
    if (!mine.length) mine.push(imageRow(img, '<none>', '<none>', '<none>', opts.trunc));
    rows.push(...mine);
  }
  return rows;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags?: string[] | null;
  Size: number;
  Comment: string;
}

export function historyRow(h: HistoryItem, trunc: boolean, human: boolean): Record<string, unknown> {
  const createdBy = h.CreatedBy.replace(/\t/g, ' ');
  return {
    ID: h.Id === '<missing>' || !trunc ? h.Id : truncId(h.Id),
    CreatedSince: human ? (h.Created ? ago(h.Created) : 'N/A') : new Date(h.Created * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
    CreatedAt: new Date(h.Created * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
    CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
    Size: human ? humanSize(h.Size, 3) : String(h.Size),
    Comment: h.Comment,
  };
}
