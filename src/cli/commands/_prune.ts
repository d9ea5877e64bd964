/** Shared by the prune commands: docker's confirmation prompt and report. */
import type { Ctx } from '../command.js';
import { humanSize } from '../render/units.js';

/** Asks "[y/N]" on the terminal; true when the user typed y or yes. */
export async function confirm(ctx: Ctx, warning: string): Promise<boolean> {
  ctx.out.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString();
      if (buf.includes('\n')) done();
    };
    const done = () => {
      ctx.stdin.off('data', onData);
      ctx.stdin.off('end', done);
      ctx.stdin.pause();
      resolve(buf.split('\n')[0]!.trim().toLowerCase());
    };
    ctx.stdin.on('data', onData);
    ctx.stdin.once('end', done);
  });
  return answer === 'y' || answer === 'yes';
}

export function reclaimed(bytes: number): string {
  return `Total reclaimed space: ${humanSize(bytes ?? 0)}\n`;
}
