/**
 * The classic builder's cache: an image made by a step is found again by its
 * parent image id and its container_config (which holds the step's command,
 * after substitution, and for COPY/ADD the hash of the sources). Both live in
 * the image config itself ("parent", "container_config"), so the cache is the
 * image store: no other state to keep in step.
 */
import type { ImageConfig, ImageRuntimeConfig } from '../../core/oci.js';
import type { ImageStore } from '../../image/metadata.js';

/** An image config as the builder writes it: docker's v1 fields parent and container_config. */
export type BuiltConfig = ImageConfig & { parent?: string; container?: string };

export const cacheKey = (parent: string, cc: ImageRuntimeConfig): string => `${parent}\n${JSON.stringify(cc)}`;

export class BuildCache {
  private index?: Map<string, string>;
  private busted = false;
  constructor(private readonly store: ImageStore, private readonly disabled: boolean) {}

  private load(): Map<string, string> {
    if (this.index) return this.index;
    const m = new Map<string, string>();
    for (const rec of this.store.all()) {
      try {
        const cfg = JSON.parse(rec.config.toString()) as BuiltConfig;
        if (cfg.container_config && (cfg.parent !== undefined || cfg.history?.length)) {
          m.set(cacheKey(cfg.parent ?? '', cfg.container_config), rec.id);
        }
      } catch { /* not ours */ }
    }
    this.index = m;
    return m;
  }

  /** The cached image for this step, unless the cache is off or busted in this stage. */
  probe(parent: string, cc: ImageRuntimeConfig): string | undefined {
    if (this.disabled || this.busted) return undefined;
    const id = this.load().get(cacheKey(parent, cc));
    if (id && this.store.get(id)) return id;
    this.busted = true;
    return undefined;
  }

  /** A new stage starts probing again (docker resets its prober per stage). */
  reset(): void {
    this.busted = false;
  }

  add(parent: string, cc: ImageRuntimeConfig, id: string): void {
    this.load().set(cacheKey(parent, cc), id);
  }
}
