/** Shared plumbing for routes that stream container output or take over the connection. */
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { AttachSession } from '../../engine/types.js';
import { hijack, streamContentType, type Hijacked } from '../hijack.js';
import type { Ctx } from '../router.js';
import { framer } from '../stdcopy.js';
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from '../detach.js';

/** Sends a byte stream (tar) with a content type, destroying the response if the source fails. */
export async function sendStream(ctx: Ctx, src: Readable, contentType: string, headers: Record<string, string> = {}): Promise<void> {
  ctx.res.writeHead(200, { 'Content-Type': contentType, ...headers });
  try {
    await pipeline(src, ctx.res);
  } catch (e) {
    ctx.log.warn('stream ended early', { url: ctx.req.url, err: String(e) });
    ctx.res.destroy();
  }
}

/** Container output (OutputChunk objects) to the response: stdcopy frames unless tty. */
export async function sendOutput(ctx: Ctx, output: Readable, tty: boolean): Promise<void> {
  ctx.res.writeHead(200, { 'Content-Type': streamContentType(tty, ctx.apiVersion) });
  ctx.res.flushHeaders();
  const stop = () => output.destroy();
  ctx.req.on('close', stop);
  try {
    await pipeline(output, framer(tty), ctx.res);
  } catch {
    ctx.res.destroy();
  } finally {
    ctx.req.off('close', stop);
  }
}

/**
 * Joins a hijacked connection to an attach session: client bytes go to stdin (EOF
 * half-closes it), output goes back framed unless tty. Resolves when either side ends.
 */
export async function bridgeSession(ctx: Ctx, session: AttachSession, tty: boolean, detachKeys?: string, hijacked?: Hijacked): Promise<void> {
  // dockerd looks for the detach keys only with a TTY: without one stdin is binary-safe
  // (a tar or gzip piped into `docker exec -i` holds ctrl-p ctrl-q sooner or later).
  const scanner = session.stdin && tty ? new DetachScanner(parseDetachKeys(detachKeys ?? DEFAULT_DETACH_KEYS)) : undefined;
  const h = hijacked ?? hijack(ctx, streamContentType(tty, ctx.apiVersion));
  const out = framer(tty);
  await new Promise<void>((resolve) => {
    let done = false;
    // drained: the output ended, so what is still queued on the socket goes out before it
    // closes (destroy() dropped it: the tail of a large `docker exec -i cat` went missing)
    const finish = (drained?: unknown) => {
      if (done) return;
      done = true;
      session.close();
      if (drained === true) h.output.end(() => h.close());
      else h.close();
      resolve();
    };
    if (session.stdin) {
      // The detach keys end this client's session and leave the container running.
      h.input.on('data', (c: Buffer) => {
        if (!scanner) return void session.stdin!.write(c);
        const { pass, detached } = scanner.push(c);
        if (pass.length) session.stdin!.write(pass);
        if (detached) finish();
      });
      h.input.on('end', () => session.stdin!.end());
    }
    h.input.resume(); // also when something paused the socket before the listeners were added
    // Without the upgrade the request is over at once (its 'close' says nothing): the
    // session lasts until the output ends or the client goes (the response closes).
    const client = h.upgraded ? h.input : ctx.res;
    client.on('error', finish);
    client.on('close', finish);
    session.output.on('error', finish);
    out.on('end', () => finish(true));
    session.output.pipe(out);
    out.pipe(h.output, { end: false });
  });
}
