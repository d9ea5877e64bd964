import type { Db } from '../platform/sqlite.js';
import type { Digest } from '../core/digest.js';

/** A compressed blob known to hold the layer with a given diff id. */
export interface LayerBlob {
  diffId: Digest;
  digest: Digest;
  mediaType: string;
  size: number;
  /** "127.0.0.1:5000/busybox": a repository the blob is known to exist in (for cross-repo mounts). */
  source: string | null;
}

/**
 * What docker's distribution metadata remembers: for each layer (diff id) the
 * compressed blobs that carry it, with where they came from. Pull records the blob
 * it downloaded, push the gzip it made (made once, so a re-push sends the same
 * digest) and the repositories it went to. Rows may outlive their blobs: callers
 * check the content store before use.
 */
export class LayerBlobStore {
  constructor(private readonly db: Db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS layer_blobs (
        diff_id TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,
        PRIMARY KEY (diff_id, digest));
      CREATE TABLE IF NOT EXISTS layer_blob_sources (
        digest TEXT NOT NULL, repo TEXT NOT NULL, PRIMARY KEY (digest, repo));
    `);
  }

  record(b: Omit<LayerBlob, 'source'>, repo?: string): void {
    this.db.prepare('INSERT OR IGNORE INTO layer_blobs VALUES (?, ?, ?, ?)').run(b.diffId, b.digest, b.mediaType, b.size);
    if (repo) this.db.prepare('INSERT OR IGNORE INTO layer_blob_sources VALUES (?, ?)').run(b.digest, repo);
  }

  /** Blobs of a layer, each with one known source repository (null when none). */
  forDiffId(diffId: Digest): LayerBlob[] {
    const rows = this.db.prepare(`SELECT b.*, (SELECT repo FROM layer_blob_sources s WHERE s.digest = b.digest LIMIT 1) AS source
      FROM layer_blobs b WHERE diff_id = ?`).all(diffId) as { diff_id: string; digest: string; media_type: string; size: number; source: string | null }[];
    return rows.map((r) => ({ diffId: r.diff_id, digest: r.digest, mediaType: r.media_type, size: r.size, source: r.source }));
  }

  sources(digest: Digest): string[] {
    return (this.db.prepare('SELECT repo FROM layer_blob_sources WHERE digest = ?').all(digest) as { repo: string }[]).map((r) => r.repo);
  }
}
