/**
 * docker's jsonmessage rendering of a progress stream: on a terminal, one line
 * per id updated in place; otherwise lines as they come. A message with `error`
 * ends the stream with that error.
 */
import { ExitError } from '../command.js';

export interface JSONMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: Record<string, unknown>;
}

function line(m: JSONMessage, tty: boolean): string {
  let s = m.id ? `${m.id}: ` : '';
  s += m.status ?? '';
  if (m.progress && tty) s += ` ${m.progress}`;
  return s;
}

export async function displayJSONMessages(stream: AsyncIterable<JSONMessage>, out: NodeJS.WriteStream, tty: boolean, onAux?: (a: Record<string, unknown>) => void): Promise<void> {
  const ids = new Map<string, number>();
  let lines = 0;
  for await (const m of stream) {
    if (m.errorDetail?.message || m.error) throw new ExitError(1, m.errorDetail?.message ?? m.error!);
    if (m.aux) {
      onAux?.(m.aux);
      continue;
    }
    if (m.stream !== undefined) {
      out.write(m.stream);
      if (m.stream.endsWith('\n')) ids.clear(), (lines = 0);
      continue;
    }
    if (!tty) {
      if (m.status !== undefined && !(m.progress || m.progressDetail?.total)) out.write(line(m, false) + '\n');
      continue;
    }
    if (m.id && ids.has(m.id)) {
      const up = lines - ids.get(m.id)!;
      out.write(`\x1b[${up}A\x1b[2K\r${line(m, true)}\r\x1b[${up}B`);
      continue;
    }
    if (m.id) ids.set(m.id, lines);
    out.write(`\x1b[2K\r${line(m, true)}\n`);
    lines++;
  }
}
