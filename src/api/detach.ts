/**
 * Detach keys, as dockerd reads them on an attach stream: a comma-separated list of
 * "ctrl-<a-z@[\\]^_>" or single characters, default "ctrl-p,ctrl-q". The scanner holds
 * back bytes that may start the sequence and releases them when the match fails.
 */
import { invalid } from '../core/errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

export function parseDetachKeys(spec: string): number[] {
  if (spec === '') return [];
  return spec.split(',').map((k) => {
    const key = k.trim().toLowerCase();
    if (key.length === 1) return key.charCodeAt(0);
    const m = /^ctrl-([a-z@[\\\]^_])$/.exec(key);
    if (!m) throw invalid(`Invalid detach keys (${spec}) provided`);
    const c = m[1]!;
    return c >= 'a' && c <= 'z' ? c.charCodeAt(0) - 96 : c.charCodeAt(0) - 64;
  });
}

export class DetachScanner {
  private held: number[] = [];
  constructor(private readonly keys: number[]) {}

  /** Returns the bytes to pass on, and whether the sequence was completed. */
  push(chunk: Buffer): { pass: Buffer; detached: boolean } {
    if (this.keys.length === 0) return { pass: chunk, detached: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held.length]) {
        this.held.push(b);
        if (this.held.length === this.keys.length) return { pass: Buffer.from(out), detached: true };
      } else {
        out.push(...this.held);
        this.held = [];
        if (b === this.keys[0]) this.held.push(b);
        else out.push(b);
      }
    }
    return { pass: Buffer.from(out), detached: false };
  }
}
