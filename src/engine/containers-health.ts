/**
 * Health checks (Config.Healthcheck) as dockerd runs them: while the container runs,
 * every Interval an exec of the test command (CMD args, or CMD-SHELL through
 * /bin/sh -c) with a Timeout; exit 0 is healthy, anything else a failure, and Retries
 * failures in a row make it unhealthy. Failures inside StartPeriod do not count while
 * the status is still "starting". State.Health keeps the last 5 probes; each status
 * change emits `health_status: <status>`. Kept in memory: a restarted daemon starts
 * again from "starting", as dockerd does.
 */
import type { ContainerConfig } from '../core/docker.js';
import type { ContainerRecord, ContainerStore } from './containers-store.js';
import type { ExecManager } from './containers-exec.js';

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface Health {
  Status: HealthStatus;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

export interface HealthHost {
  store: ContainerStore;
  execs: ExecManager;
  event(c: ContainerRecord, action: string, attrs?: Record<string, string>): void;
}

type HealthConfig = NonNullable<ContainerConfig['Healthcheck']>;
const SECOND_NS = 1e9;
const DEFAULTS = { interval: 30, timeout: 30, retries: 3, startPeriod: 0 };

/** The command of a health check, or null when there is none ("NONE", empty). */
export function probeCommand(hc: HealthConfig | undefined): string[] | null {
  const t = hc?.Test ?? [];
  if (t[0] === 'CMD' && t.length > 1) return t.slice(1);
  if (t[0] === 'CMD-SHELL' && t.length > 1) return ['/bin/sh', '-c', t.slice(1).join(' ')];
  return null;
}

export class HealthMonitor {
  private readonly health = new Map<string, Health>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly host: HealthHost) {}

  get(id: string): Health | undefined { return this.health.get(id); }

  /** Starts probing a container that just started (or was found running at boot). */
  start(c: ContainerRecord): void {
    this.stop(c.id);
    const hc = c.config.Healthcheck;
    if (!probeCommand(hc)) return;
    this.health.set(c.id, { Status: 'starting', FailingStreak: 0, Log: [] });
    this.schedule(c.id, secs(hc?.Interval, DEFAULTS.interval));
  }

  /** Stops probing; the last result stays visible until the container starts again or is removed. */
  stop(id: string, forget = false): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    if (forget) this.health.delete(id);
  }

  private schedule(id: string, delayMs: number): void {
    const t = setTimeout(() => void this.probe(id), delayMs);
    t.unref();
    this.timers.set(id, t);
  }

  private async probe(id: string): Promise<void> {
    let c: ContainerRecord;
    try { c = this.host.store.resolve(id); } catch { return this.stop(id, true); }
    if (!c.state.Running || !this.timers.has(id)) return;
    const hc = c.config.Healthcheck!;
    const h = this.health.get(id)!;
    if (!c.state.Paused) {
      const start = new Date();
      const r = await this.host.execs.run(c, probeCommand(hc)!, secs(hc.Timeout, DEFAULTS.timeout));
      if (!this.timers.has(id)) return; // stopped meanwhile
      h.Log = [...h.Log, { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: r.exitCode, Output: r.output }].slice(-5);
      this.record(c, h, r.exitCode === 0, start.getTime());
    }
    this.schedule(id, secs(hc.Interval, DEFAULTS.interval));
  }

  private record(c: ContainerRecord, h: Health, ok: boolean, at: number): void {
    const before = h.Status;
    if (ok) { h.FailingStreak = 0; h.Status = 'healthy'; }
    else {
      const hc = c.config.Healthcheck!;
      const inStartPeriod = at - Date.parse(c.state.StartedAt) < secs(hc.StartPeriod, DEFAULTS.startPeriod);
      if (!(inStartPeriod && h.Status === 'starting')) {
        h.FailingStreak += 1;
        if (h.FailingStreak >= (hc.Retries || DEFAULTS.retries)) h.Status = 'unhealthy';
      }
    }
    if (h.Status !== before) this.host.event(c, `health_status: ${h.Status}`);
  }
}

/** Nanoseconds from the API (0 = default) to milliseconds. */
function secs(ns: number | undefined, dflt: number): number {
  return ns && ns > 0 ? ns / SECOND_NS * 1000 : dflt * 1000;
}

/** " (healthy)", " (health: starting)", " (unhealthy)" as docker ps appends to "Up ...". */
export function healthSuffix(h: Health | undefined): string {
  if (!h) return '';
  return h.Status === 'starting' ? ' (health: starting)' : ` (${h.Status})`;
}

/** A list item with docker's health suffix on a running container's Status. */
export function withHealthStatus(v: Record<string, unknown>, c: ContainerRecord, h: Health | undefined): Record<string, unknown> {
  return c.state.Running && h ? { ...v, Status: `${v.Status as string}${healthSuffix(h)}` } : v;
}

/** The `health` list filter: starting, healthy, unhealthy or none. */
export function matchesHealth(values: string[] | undefined, h: Health | undefined): boolean {
  if (!values?.length) return true;
  return values.includes(h ? h.Status : 'none');
}
