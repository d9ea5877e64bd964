import { createHash, type Hash } from 'node:crypto';
import { invalid } from './errors.js';

/** "sha256:<64 hex>" */
export type Digest = string;

export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw invalid(`invalid digest "${s}": expected sha256:<64 hex digits>`);
  return s;
}

export function sha256(data: string | Uint8Array): Digest {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

/** A running sha256 for streaming verification. */
export class Digester {
  private readonly h: Hash = createHash('sha256');
  size = 0;
  update(chunk: Uint8Array): void {
    this.h.update(chunk);
    this.size += chunk.length;
  }
  digest(): Digest {
    return 'sha256:' + this.h.digest('hex');
  }
}

/**
 * The chain id of a layer stack, as the OCI image spec defines it:
 * ChainID(L0) = DiffID(L0); ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln)).
 */
export function chainIds(diffIds: Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) {
    out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]} ${d}`));
  }
  return out;
}
