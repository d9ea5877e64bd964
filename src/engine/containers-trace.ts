/**
 * Step timings of container lifecycle operations on `node:diagnostics_channel`:
 * `hako:container:start`, `hako:container:exit` (exit seen -> record updated, waiters
 * told), `hako:container:remove`. Each message is
 * `{ id, steps: { <step>: ms, ... }, totalMs, error? }`, published once the operation
 * ends. Cheap when nobody listens: a few performance.now() calls, nothing published.
 * The daemon logs them at debug level (`hakod -D`).
 */
import { channel, type Channel } from 'node:diagnostics_channel';

export const startChannel = channel('hako:container:start');
export const exitChannel = channel('hako:container:exit');
export const removeChannel = channel('hako:container:remove');

export interface StepTimings {
  id: string;
  steps: Record<string, number>;
  totalMs: number;
  error?: string;
}

/** Times consecutive steps: `step(name)` closes the step that ran since the last mark. */
export class Steps {
  private readonly t0 = performance.now();
  private last = this.t0;
  private readonly steps: Record<string, number> = {};

  constructor(private readonly ch: Channel, private readonly id: string) {}

  step(name: string): void {
    const now = performance.now();
    this.steps[name] = round(now - this.last);
    this.last = now;
  }

  /** Records a duration measured elsewhere (e.g. how old the exit file was when seen). */
  set(name: string, ms: number): void {
    this.steps[name] = round(ms);
  }

  /** Times a promise as one step of its own without moving the sequential mark (parallel work). */
  async timed<T>(name: string, p: Promise<T>): Promise<T> {
    const t = performance.now();
    try { return await p; } finally { this.steps[name] = round(performance.now() - t); }
  }

  done(error?: unknown): void {
    if (!this.ch.hasSubscribers) return;
    const msg: StepTimings = { id: this.id, steps: this.steps, totalMs: round(performance.now() - this.t0) };
    if (error) msg.error = (error as Error).message ?? String(error);
    this.ch.publish(msg);
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
