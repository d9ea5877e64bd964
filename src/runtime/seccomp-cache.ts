/**
 * Compiled seccomp filters reused across container starts on crun.
 *
 * crun compiles linux.seccomp with libseccomp at every `crun create` (~12 ms of CPU
 * for the default profile here; Debian's crun 1.8 is built without the checksum its own
 * cache needs). It leaves the compiled BPF in <root>/<id>/seccomp.bpf, and it accepts
 * a precompiled filter in the `run.oci.seccomp_bpf_data` annotation (base64), skipping
 * libseccomp. So the first container with a given profile is compiled by crun; hako
 * keeps that BPF in memory, keyed by the profile's JSON, and hands it to every later
 * container with the same profile. linux.seccomp stays in config.json for runc (which
 * ignores the annotation) and for readers. HAKO_SECCOMP_BPF_CACHE=0 turns it off.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OciSpec } from './spec-types.js';

export const BPF_ANNOTATION = 'run.oci.seccomp_bpf_data';
const MAX_ENTRIES = 32;

export class SeccompBpfCache {
  private readonly bpf = new Map<string, string>();

  constructor(private readonly enabled = process.env.HAKO_SECCOMP_BPF_CACHE !== '0') {}

  /**
   * For a crun container: puts a cached filter for the spec's profile into its
   * annotations. Returns the key to learn() after `crun create` when none was cached.
   */
  prepare(spec: OciSpec, runtime: string): string | undefined {
    const seccomp = spec.linux.seccomp;
    if (!this.enabled || runtime !== 'crun' || !seccomp || spec.annotations?.[BPF_ANNOTATION]) return undefined;
    const key = createHash('sha256').update(JSON.stringify(seccomp)).digest('hex');
    const data = this.bpf.get(key);
    if (data === undefined) return key;
    spec.annotations = { ...spec.annotations, [BPF_ANNOTATION]: data };
    return undefined;
  }

  /** Reads the filter crun compiled for container `id` under its state root. */
  learn(key: string, runtimeRoot: string, id: string): void {
    let data: Buffer;
    try {
      data = readFileSync(join(runtimeRoot, id, 'seccomp.bpf'));
    } catch {
      return;
    }
    // A classic BPF program is whole 8-byte instructions; anything else is not one.
    if (data.length === 0 || data.length % 8 !== 0) return;
    if (this.bpf.size >= MAX_ENTRIES) this.bpf.delete(this.bpf.keys().next().value!);
    this.bpf.set(key, data.toString('base64'));
  }

  get size(): number {
    return this.bpf.size;
  }
}
