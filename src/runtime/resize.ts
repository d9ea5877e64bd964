/**
 * Terminal resizes through conmon's winsz fifo ("<h> <w>\n"), one size at a time.
 *
 * conmon before 2.2.0 (Debian 12 ships 2.1.6) applies the first line of a read() to every
 * line of it (read_from_ctrl_buffer passes the buffer's start, not the line's), so two
 * sizes that sit in a fifo together both apply the first one. The docker CLI sends two on
 * every attach (size+1, then the real size, so that the shell redraws its prompt), a
 * millisecond apart, and the terminal kept the wrong size. The ctl fifo has it worse: conmon
 * relays each of its lines to winsz, where they meet again. So sizes go straight to winsz,
 * through the attach helper, which writes once the fifo is empty (FIONREAD); a container's
 * resizes run in order, and one still waiting is replaced by a newer one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { internal } from '../core/errors.js';
import { spawnChild } from '../platform/spawn.js';

interface Queue { running: boolean; next?: [number, number] }
const queues = new Map<string, Queue>();

/** The helper binary (runtime/monitor.ts finds or builds it). */
export type HelperPath = () => string;

/** Resizes the terminal conmon holds for the container or exec whose fifos are in `dir`. */
export function resizeTerminal(dir: string, h: number, w: number, helper: HelperPath): void {
  const fifo = join(dir, 'winsz');
  if (!existsSync(fifo)) throw internal(`cannot resize: no terminal fifo in ${dir}`);
  let q = queues.get(dir);
  if (!q) queues.set(dir, (q = { running: false }));
  q.next = [h, w];
  if (!q.running) void drain(dir, q, fifo, helper);
}

async function drain(dir: string, q: Queue, fifo: string, helper: HelperPath): Promise<void> {
  q.running = true;
  while (q.next) {
    const [h, w] = q.next;
    q.next = undefined;
    const child = spawnChild(helper(), ['--resize', fifo, String(h), String(w)], { stdio: ['ignore', 'ignore', 'ignore'] });
    await new Promise<void>((resolve) => { child.on('close', () => resolve()); child.on('error', () => resolve()); });
  }
  q.running = false;
  queues.delete(dir);
}
