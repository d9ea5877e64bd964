/**
 * An attached session over a hijacked connection: local stdin to the container
 * (raw mode with a TTY, Ctrl-P Ctrl-Q detaches), container output to stdout and
 * stderr (stdcopy-demuxed without a TTY), resize on start and on SIGWINCH.
 */
import type { Socket } from 'node:net';
import type { Ctx } from '../command.js';
import { demuxWritable } from '../../client/stdcopy.js';

export interface AttachOptions {
  tty: boolean;
  stdin: boolean;
  /** Path to POST resizes to, e.g. /containers/ID/resize or /exec/ID/resize. */
  resizePath?: string;
  detachKeys?: number[];
  /**
   * Resize one row and column larger first, then to the real size (docker attach does this):
   * the shell gets a SIGWINCH and redraws its prompt on a re-attach to an idle terminal.
   */
  redraw?: boolean;
}

export interface Attached {
  /** Resolves when the output ends; true when the user detached. */
  done: Promise<boolean>;
  /** Starts forwarding stdin and resizing (call after the container started). */
  begin(): void;
  close(): void;
}

const DEFAULT_DETACH = [0x10, 0x11];

export function parseDetachKeys(s: string | undefined): number[] {
  if (!s) return DEFAULT_DETACH;
  return s.split(',').map((k) => {
    const m = /^ctrl-([a-z@\[\\\]^_])$/i.exec(k.trim());
    if (m) return m[1]!.toUpperCase().charCodeAt(0) & 0x1f;
    if (k.length === 1) return k.charCodeAt(0);
    throw new Error(`Invalid detach keys (${s}) provided`);
  });
}

function resize(ctx: Ctx, path: string, grow = 0): Promise<unknown> {
  const { rows, columns } = ctx.out;
  if (!rows || !columns) return Promise.resolve();
  return ctx.client.post(path, undefined, { h: rows + grow, w: columns + grow }).catch(() => undefined);
}

export function attachStreams(ctx: Ctx, sock: Socket, o: AttachOptions): Attached {
  let detached = false;
  const keys = o.detachKeys ?? DEFAULT_DETACH;
  let matched = 0;
  let reading = false; // stdin is only touched when forwarded (making it costs the compiled CLI ms)
  const stdin = ctx.stdin;
  const raw = o.tty && o.stdin && stdin.isTTY;
  const onWinch = () => o.resizePath && resize(ctx, o.resizePath);
  const onData = (c: Buffer) => {
    if (o.tty) {
      for (const byte of c) {
        matched = byte === keys[matched] ? matched + 1 : byte === keys[0] ? 1 : 0;
        if (matched === keys.length) {
          detached = true;
          sock.destroy();
          return;
        }
      }
    }
    sock.write(c);
  };
  const out = o.tty ? ctx.out : demuxWritable(ctx.out, ctx.err);
  const done = new Promise<boolean>((resolve) => {
    const finish = () => resolve(detached);
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', finish);
  });
  sock.on('data', (c: Buffer) => out.write(c));
  sock.resume();
  const cleanup = () => {
    process.off('SIGWINCH', onWinch);
    if (!reading) return;
    if (raw) stdin.setRawMode(false);
    stdin.off('data', onData);
    stdin.pause();
  };
  done.then(cleanup);
  return {
    done,
    begin() {
      if (o.tty && o.resizePath && ctx.out.isTTY) {
        const path = o.resizePath;
        void (o.redraw ? resize(ctx, path, 1) : Promise.resolve()).then(() => resize(ctx, path));
        process.on('SIGWINCH', onWinch);
      }
      if (!o.stdin) return;
      reading = true;
      if (raw) stdin.setRawMode(true);
      stdin.on('data', onData);
      stdin.once('end', () => sock.end());
      stdin.resume();
    },
    close() {
      sock.destroy();
    },
  };
}
