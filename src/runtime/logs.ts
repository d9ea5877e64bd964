/**
 * Reading conmon's k8s-file log ("<RFC3339Nano> stdout|stderr F|P <msg>\n"; P marks a
 * partial line whose newline is not in the output) as OutputChunks, with docker's
 * follow / tail / since / until / timestamps.
 */
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

export interface LogEntry {
  /** Nanoseconds since the epoch. */
  timeNs: bigint;
  time: string;
  stream: 1 | 2;
  data: Buffer;
}

export interface LogReadOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Nanoseconds since the epoch. */
  since?: bigint;
  until?: bigint;
  timestamps?: boolean;
  tail?: number | 'all';
  /** Resolves when following should stop (the container exited). */
  stopped?: Promise<unknown>;
}

/** "2026-11-23T09:11:19.473384781+00:00" -> docker's "2026-11-23T09:11:19.473384781Z" and ns. */
export function parseTime(t: string): { iso: string; ns: bigint } {
  const m = t.match(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/);
  if (!m) return { iso: t, ns: 0n };
  const frac = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  const ms = Date.parse(`${m[1]}${m[3]}`);
  const utc = new Date(ms).toISOString().slice(0, 19);
  return { iso: `${utc}.${frac}Z`, ns: BigInt(ms) * 1000000n + BigInt(frac) };
}

export function parseLogLine(line: string): LogEntry | null {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0 || c < 0) return null;
  const { iso, ns } = parseTime(line.slice(0, a));
  const stream = line.slice(a + 1, b) === 'stderr' ? 2 : 1;
  const full = line.slice(b + 1, c) === 'F';
  return { timeNs: ns, time: iso, stream, data: Buffer.from(line.slice(c + 1) + (full ? '\n' : '')) };
}

function wanted(e: LogEntry, o: LogReadOptions): boolean {
  if (e.stream === 1 && o.stdout === false) return false;
  if (e.stream === 2 && o.stderr === false) return false;
  if (o.since && e.timeNs < o.since) return false;
  if (o.until && e.timeNs > o.until) return false;
  return true;
}

const chunk = (e: LogEntry, ts?: boolean) => ({ stream: e.stream, data: ts ? Buffer.concat([Buffer.from(`${e.time} `), e.data]) : e.data });

/** Splits new bytes into complete lines, keeping the remainder. */
class LineSplitter {
  private rest = '';
  push(s: string): string[] {
    const parts = (this.rest + s).split('\n');
    this.rest = parts.pop()!;
    return parts.filter(Boolean);
  }
}

/** A Readable (object mode, OutputChunk) over the log file. */
export function readLog(path: string, o: LogReadOptions): Readable {
  const out = new Readable({ objectMode: true, read() {} });
  pump(path, o, out).catch((e) => out.destroy(e as Error));
  return out;
}

async function pump(path: string, o: LogReadOptions, out: Readable): Promise<void> {
  let closed = false;
  out.on('close', () => { closed = true; });
  let stopped = !o.follow;
  o.stopped?.then(() => { stopped = true; }, () => { stopped = true; });
  let fh = await open(path, 'r').catch(() => null);
  if (!fh) { out.push(null); return; }
  try {
    let lines = new LineSplitter();
    let pos = 0;
    let ino = (await fh.stat()).ino;
    let first = true;
    for (;;) {
      const wasStopped = stopped;
      let now = await stat(path).catch(() => ({ size: pos, ino }));
      if (now.ino !== ino) {
        // conmon started the file afresh (--log-size-max reached: a new file renamed over the
        // path): finish what the old one still holds, then follow the new one from its start
        const rest = (await fh.stat()).size;
        if (rest > pos) {
          const buf = Buffer.alloc(rest - pos);
          await fh.read(buf, 0, buf.length, pos);
          for (const e of lines.push(buf.toString()).map(parseLogLine).filter((x): x is LogEntry => !!x && wanted(x, o))) out.push(chunk(e, o.timestamps));
        }
        const next = await open(path, 'r').catch(() => null);
        if (next) {
          await fh.close();
          fh = next;
          ino = (await fh.stat()).ino;
          lines = new LineSplitter();
          pos = 0;
          now = await fh.stat();
        }
      }
      const size = now.size;
      if (size > pos) {
        const buf = Buffer.alloc(size - pos);
        await fh.read(buf, 0, buf.length, pos);
        pos = size;
        let entries = lines.push(buf.toString()).map(parseLogLine).filter((e): e is LogEntry => !!e && wanted(e, o));
        if (first && o.tail !== undefined && o.tail !== 'all' && o.tail >= 0) entries = o.tail === 0 ? [] : entries.slice(-o.tail);
        for (const e of entries) out.push(chunk(e, o.timestamps));
      }
      first = false;
      if (closed || wasStopped) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await fh.close();
  }
  out.push(null);
}
