/** Reads a stream of JSON values separated by newlines (as /events and progress streams send). */
import type { Readable } from 'node:stream';

export async function* jsonLines<T = Record<string, unknown>>(body: Readable): AsyncGenerator<T> {
  let rest = '';
  for await (const chunk of body) {
    rest += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  const last = rest.trim();
  if (last) yield* splitConcatenated<T>(last);
}

/** Some servers send `{..}{..}` without newlines; split at top-level object boundaries. */
function* splitConcatenated<T>(s: string): Generator<T> {
  let depth = 0;
  let start = 0;
  let inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0) {
      yield JSON.parse(s.slice(start, i + 1)) as T;
      start = i + 1;
    }
  }
  if (s.slice(start).trim()) yield JSON.parse(s.slice(start)) as T;
}
