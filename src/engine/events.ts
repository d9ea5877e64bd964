/**
 * EventService: the daemon's event log, as dockerd's daemon/events. The last
 * `capacity` events are kept in memory for `since`; subscribers get live events
 * through the same filter. Times are unix seconds (fraction allowed) as the API sends.
 */
import type { EventMessage } from '../core/docker.js';
import type { EventFilter, EventService } from './types.js';

type Listener = { filter: EventFilter; fn: (e: EventMessage) => void };

export class MemoryEventService implements EventService {
  private readonly ring: EventMessage[] = [];
  private readonly listeners = new Set<Listener>();
  private lastNano = 0n;

  constructor(private readonly capacity = 1024, private readonly clock: () => bigint = nowNano) {}

  get subscribers(): number {
    return this.listeners.size;
  }

  emit(e: Omit<EventMessage, 'time' | 'timeNano' | 'scope'>): void {
    let nano = this.clock();
    // Strictly increasing (by 1µs, as timeNano is a float64 number), so ordering is total.
    if (nano <= this.lastNano) nano = this.lastNano + 1000n;
    this.lastNano = nano;
    const ev: EventMessage = {
      ...deprecatedFields(e),
      Type: e.Type,
      Action: e.Action,
      Actor: { ID: e.Actor.ID, Attributes: { ...e.Actor.Attributes } },
      scope: 'local',
      time: Number(nano / 1_000_000_000n),
      timeNano: Number(nano),
    };
    this.ring.push(ev);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const l of this.listeners) {
      if (matches(ev, l.filter)) l.fn(ev);
    }
  }

  subscribe(f: EventFilter, onEvent: (e: EventMessage) => void): { close(): void; past: EventMessage[] } {
    const past = f.since !== undefined ? this.ring.filter((e) => matches(e, f)) : [];
    const l: Listener = { filter: f, fn: onEvent };
    this.listeners.add(l);
    return { past, close: () => this.listeners.delete(l) };
  }
}

function nowNano(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** dockerd fills status/id/from for container and image events, for old clients. */
function deprecatedFields(e: Omit<EventMessage, 'time' | 'timeNano' | 'scope'>): Partial<EventMessage> {
  if (e.Type !== 'container' && e.Type !== 'image') return {};
  const out: Partial<EventMessage> = { status: e.Action, id: e.Actor.ID };
  const from = e.Actor.Attributes?.image;
  if (e.Type === 'container' && from) out.from = from;
  return out;
}

/** dockerd's event filter (daemon/events/filter.go): every given key must match. */
export function matches(e: EventMessage, f: EventFilter): boolean {
  const secs = e.timeNano / 1e9;
  if (f.since !== undefined && secs < f.since) return false;
  if (f.until !== undefined && secs > f.until) return false;
  const fl = f.filters ?? {};
  const has = (k: string) => (fl[k]?.length ?? 0) > 0;
  const attrs = e.Actor.Attributes ?? {};
  if (has('type') && !fl.type!.includes(e.Type)) return false;
  if (has('scope') && !fl.scope!.includes(e.scope)) return false;
  if (has('event') && !fl.event!.some((a) => a === e.Action || a === e.Action.split(':')[0]!.trim())) return false;
  if (has('label') && !fl.label!.every((l) => matchLabel(attrs, l))) return false;
  for (const kind of ['container', 'network', 'volume', 'daemon', 'plugin', 'node', 'service', 'secret', 'config'] as const) {
    if (has(kind) && !(e.Type === kind && fl[kind]!.some((v) => fuzzy(v, e.Actor.ID) || fuzzy(v, attrs.name)))) return false;
  }
  if (has('image') && !fl.image!.some((v) => matchImage(e, v))) return false;
  return true;
}

/** A value matches the full id, an id prefix, or the name exactly. */
function fuzzy(v: string, s: string | undefined): boolean {
  return s !== undefined && s !== '' && (s === v || s.startsWith(v));
}

function matchLabel(attrs: Record<string, string>, l: string): boolean {
  const i = l.indexOf('=');
  if (i < 0) return l in attrs;
  return attrs[l.slice(0, i)] === l.slice(i + 1);
}

function matchImage(e: EventMessage, v: string): boolean {
  const attrs = e.Actor.Attributes ?? {};
  const name = e.Type === 'image' ? [e.Actor.ID, attrs.name] : e.Type === 'container' ? [attrs.image] : [];
  const strip = (s: string) => s.replace(/:[^:/]+$/, '');
  return name.some((n) => n !== undefined && (n === v || strip(n) === v || (e.Type === 'image' && fuzzy(v, n))));
}
