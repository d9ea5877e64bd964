import type { Db } from '../platform/sqlite.js';
import type { Digest } from '../core/digest.js';

export interface LayerRecord {
  chainId: Digest;
  diffId: Digest;
  parent: Digest | null;
  /** Bytes of file content. */
  size: number;
  /** Bytes of the uncompressed layer tar (kept as blob <diffId>). */
  tarSize: number;
}

export interface ImageRecord {
  id: Digest;
  /** The config blob exactly as loaded (its sha256 is the id). */
  config: Buffer;
  created: string;
  size: number;
  manifestDigest: string | null;
  loadedAt: number;
  lastTagTime: string | null;
}

interface ImageRow {
  id: string; config: Buffer; created: string; size: number; manifest_digest: string | null;
  loaded_at: number; last_tag_time: string | null;
}

const toImage = (r: ImageRow): ImageRecord => ({
  id: r.id, config: r.config, created: r.created, size: r.size, manifestDigest: r.manifest_digest,
  loadedAt: r.loaded_at, lastTagTime: r.last_tag_time,
});

/**
 * Image metadata in the daemon's SQLite file: images (id = config digest), their
 * references (canonical "docker.io/library/busybox:latest" or name@digest), the
 * layers (by chain id) each image stacks, and the blobs each image owns. A layer or
 * blob is in use while some image row points at it.
 */
export class ImageStore {
  constructor(private readonly db: Db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS images (
        id TEXT PRIMARY KEY, config BLOB NOT NULL, created TEXT NOT NULL, size INTEGER NOT NULL,
        manifest_digest TEXT, loaded_at INTEGER NOT NULL, last_tag_time TEXT);
      CREATE TABLE IF NOT EXISTS image_refs (
        name TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);
      CREATE INDEX IF NOT EXISTS image_refs_by_image ON image_refs(image_id);
      CREATE TABLE IF NOT EXISTS layers (
        chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL, parent TEXT, size INTEGER NOT NULL, tar_size INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS image_layers (
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
        chain_id TEXT NOT NULL REFERENCES layers(chain_id), PRIMARY KEY (image_id, idx));
      CREATE INDEX IF NOT EXISTS image_layers_by_chain ON image_layers(chain_id);
      CREATE TABLE IF NOT EXISTS image_blobs (
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, digest TEXT NOT NULL,
        PRIMARY KEY (image_id, digest));
      CREATE INDEX IF NOT EXISTS image_blobs_by_digest ON image_blobs(digest);
    `);
  }

  /** Registers an image with its layers and owned blobs (idempotent). */
  putImage(img: Omit<ImageRecord, 'lastTagTime'>, layers: LayerRecord[], blobs: Digest[]): void {
    this.db.transaction(() => {
      const l = this.db.prepare('INSERT OR IGNORE INTO layers VALUES (?, ?, ?, ?, ?)');
      for (const x of layers) l.run(x.chainId, x.diffId, x.parent, x.size, x.tarSize);
      const exists = this.db.prepare('SELECT 1 FROM images WHERE id = ?').get(img.id);
      if (!exists) {
        this.db.prepare('INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, NULL)')
          .run(img.id, img.config, img.created, img.size, img.manifestDigest, img.loadedAt);
        const il = this.db.prepare('INSERT INTO image_layers VALUES (?, ?, ?)');
        layers.forEach((x, i) => il.run(img.id, i, x.chainId));
      } else if (img.manifestDigest) {
        this.db.prepare('UPDATE images SET manifest_digest = COALESCE(manifest_digest, ?) WHERE id = ?').run(img.manifestDigest, img.id);
      }
      const b = this.db.prepare('INSERT OR IGNORE INTO image_blobs VALUES (?, ?)');
      for (const d of blobs) b.run(img.id, d);
    })();
  }

  get(id: Digest): ImageRecord | undefined {
    const r = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return r && toImage(r);
  }

  all(): ImageRecord[] {
    return (this.db.prepare('SELECT * FROM images ORDER BY loaded_at').all() as ImageRow[]).map(toImage);
  }

  /** Full ids starting with "sha256:<hexPrefix>". */
  byPrefix(hexPrefix: string): Digest[] {
    return (this.db.prepare("SELECT id FROM images WHERE substr(id, 1, ?) = ?")
      .all(7 + hexPrefix.length, `sha256:${hexPrefix}`) as { id: string }[]).map((r) => r.id);
  }

  refsOf(id: Digest): string[] {
    return (this.db.prepare('SELECT name FROM image_refs WHERE image_id = ? ORDER BY name').all(id) as { name: string }[])
      .map((r) => r.name);
  }

  allRefs(): { name: string; imageId: Digest }[] {
    return (this.db.prepare('SELECT name, image_id FROM image_refs ORDER BY name').all() as { name: string; image_id: string }[])
      .map((r) => ({ name: r.name, imageId: r.image_id }));
  }

  getRef(name: string): Digest | undefined {
    return (this.db.prepare('SELECT image_id FROM image_refs WHERE name = ?').get(name) as { image_id: string } | undefined)?.image_id;
  }

  /** Points `name` at `id`; returns the image it pointed at before, if another. */
  setRef(name: string, id: Digest, now = new Date().toISOString()): Digest | undefined {
    return this.db.transaction(() => {
      const prev = this.getRef(name);
      this.db.prepare('INSERT INTO image_refs VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id').run(name, id);
      this.db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?').run(now, id);
      return prev !== id ? prev : undefined;
    })();
  }

  deleteRef(name: string): boolean {
    return this.db.prepare('DELETE FROM image_refs WHERE name = ?').run(name).changes > 0;
  }

  layersOf(id: Digest): LayerRecord[] {
    return (this.db.prepare(`SELECT l.* FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id
      WHERE il.image_id = ? ORDER BY il.idx`).all(id) as { chain_id: string; diff_id: string; parent: string | null; size: number; tar_size: number }[])
      .map((r) => ({ chainId: r.chain_id, diffId: r.diff_id, parent: r.parent, size: r.size, tarSize: r.tar_size }));
  }

  blobsOf(id: Digest): Digest[] {
    return (this.db.prepare('SELECT digest FROM image_blobs WHERE image_id = ?').all(id) as { digest: string }[]).map((r) => r.digest);
  }

  allLayers(): (LayerRecord & { users: number })[] {
    return (this.db.prepare(`SELECT l.*, (SELECT count(*) FROM image_layers il WHERE il.chain_id = l.chain_id) AS users
      FROM layers l`).all() as { chain_id: string; diff_id: string; parent: string | null; size: number; tar_size: number; users: number }[])
      .map((r) => ({ chainId: r.chain_id, diffId: r.diff_id, parent: r.parent, size: r.size, tarSize: r.tar_size, users: r.users }));
  }

  /**
   * Deletes an image and its references; returns the layers no other image uses
   * (their rows are deleted too) and the blobs no longer referenced.
   */
  deleteImage(id: Digest): { layers: LayerRecord[]; blobs: Digest[] } {
    return this.db.transaction(() => {
      const layers = this.layersOf(id);
      const blobs = this.blobsOf(id);
      this.db.prepare('DELETE FROM images WHERE id = ?').run(id);
      const freed = layers.filter((l) => !this.layerUsed(l.chainId));
      const del = this.db.prepare('DELETE FROM layers WHERE chain_id = ?');
      for (const l of freed) del.run(l.chainId);
      const candidates = [...blobs, ...freed.map((l) => l.diffId)];
      return { layers: freed, blobs: [...new Set(candidates)].filter((d) => !this.blobUsed(d)) };
    })();
  }

  layerUsed(chainId: Digest): boolean {
    return !!this.db.prepare('SELECT 1 FROM image_layers WHERE chain_id = ? LIMIT 1').get(chainId);
  }

  getLayer(chainId: Digest): LayerRecord | undefined {
    const r = this.db.prepare('SELECT * FROM layers WHERE chain_id = ?').get(chainId) as
      { chain_id: string; diff_id: string; parent: string | null; size: number; tar_size: number } | undefined;
    return r && { chainId: r.chain_id, diffId: r.diff_id, parent: r.parent, size: r.size, tarSize: r.tar_size };
  }

  layerExists(chainId: Digest): boolean {
    return !!this.db.prepare('SELECT 1 FROM layers WHERE chain_id = ?').get(chainId);
  }

  /** A blob is in use when an image owns it or it is the kept tar of a layer. */
  blobUsed(d: Digest): boolean {
    return !!this.db.prepare('SELECT 1 FROM image_blobs WHERE digest = ? LIMIT 1').get(d)
      || !!this.db.prepare('SELECT 1 FROM layers WHERE diff_id = ? LIMIT 1').get(d);
  }

  deleteUnusedLayerRows(): Digest[] {
    const rows = this.db.prepare('SELECT chain_id FROM layers l WHERE NOT EXISTS (SELECT 1 FROM image_layers il WHERE il.chain_id = l.chain_id)')
      .all() as { chain_id: string }[];
    const del = this.db.prepare('DELETE FROM layers WHERE chain_id = ?');
    for (const r of rows) del.run(r.chain_id);
    return rows.map((r) => r.chain_id);
  }
}
