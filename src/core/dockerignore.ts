/**
 * .dockerignore patterns as moby's patternmatcher reads and applies them: one
 * pattern a line, `#` comments, `!` exceptions, paths cleaned and made relative,
 * `*` and `?` within one path component, `**` across components; a path is
 * excluded when the last pattern matching it (or one of its parent directories)
 * is not an exception. Pure; shared by the CLI (client side) and the builder.
 */
import { posix } from 'node:path';

interface Pattern {
  re: RegExp;
  exclusion: boolean;
  depth: number;
}

export function readDockerignore(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let l = raw.trim();
    if (!l || l.startsWith('#')) continue;
    let neg = '';
    if (l.startsWith('!')) {
      neg = '!';
      l = l.slice(1).trim();
    }
    l = posix.normalize(l).replace(/^\/+/, '').replace(/\/+$/, '');
    if (!l || l === '.') continue;
    out.push(neg + l);
  }
  return out;
}

function toRegex(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        i++;
        if (p[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < p.length) re += '\\' + p[++i];
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += '[' + p.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export class IgnoreMatcher {
  private readonly patterns: Pattern[];
  constructor(lines: string[]) {
    this.patterns = lines.map((l) => {
      const exclusion = l.startsWith('!');
      const p = exclusion ? l.slice(1) : l;
      return { re: toRegex(p), exclusion, depth: p.split('/').length };
    });
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  get hasExceptions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** True when `rel` (a slash path relative to the context root) is excluded. */
  ignores(rel: string): boolean {
    const path = posix.normalize(rel).replace(/^\/+/, '');
    const parts = path.split('/');
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue; // cannot change the outcome
      let hit = p.re.test(path);
      if (!hit && p.depth < parts.length) {
        for (let d = p.depth; d < parts.length && !hit; d++) hit = p.re.test(parts.slice(0, d).join('/'));
      }
      if (hit) matched = !p.exclusion;
    }
    return matched;
  }
}
