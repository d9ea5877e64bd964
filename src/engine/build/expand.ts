/**
 * Dockerfile word processing as moby's shell.Lex does it: quotes, the escape
 * character and variable substitution ($VAR, ${VAR}, ${VAR:-x}, ${VAR-x},
 * ${VAR:+x}, ${VAR+x}, ${VAR:?msg}). Pure; errors are InvalidArgument.
 */
import { invalid } from '../../core/errors.js';

export type Env = Map<string, string>;

/** KEY=VALUE list to a map (later entries win). */
export function envMap(list: string[] | null | undefined): Env {
  const m: Env = new Map();
  for (const e of list ?? []) {
    const i = e.indexOf('=');
    if (i < 0) m.set(e, '');
    else m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

class Lexer {
  i = 0;
  constructor(readonly s: string, readonly env: Env, readonly esc: string) {}
  peek(): string | undefined { return this.s[this.i]; }
  next(): string | undefined { return this.s[this.i++]; }
  done(): boolean { return this.i >= this.s.length; }

  /** Processes the whole input; returns the words (split at unquoted blanks when `split`). */
  words(split: boolean): string[] {
    const out: string[] = [];
    let cur = '';
    let started = false;
    while (!this.done()) {
      const c = this.next()!;
      if (split && /\s/.test(c)) {
        if (started) out.push(cur);
        cur = '';
        started = false;
        continue;
      }
      started = true;
      if (c === this.esc) {
        if (!this.done()) cur += this.next();
      } else if (c === "'") cur += this.single();
      else if (c === '"') cur += this.double();
      else if (c === '$') {
        const v = this.variable();
        if (split && !/^\s*$/.test(v)) {
          // an unquoted expansion is split into words like a shell would
          const parts = v.split(/\s+/);
          cur += parts[0];
          for (const p of parts.slice(1)) {
            if (cur) out.push(cur);
            cur = p;
          }
        } else cur += v;
      } else cur += c;
    }
    if (started) out.push(cur);
    return out;
  }

  single(): string {
    let out = '';
    for (;;) {
      const c = this.next();
      if (c === undefined) throw invalid('unexpected end of statement while looking for matching single-quote');
      if (c === "'") return out;
      out += c;
    }
  }

  double(): string {
    let out = '';
    for (;;) {
      const c = this.next();
      if (c === undefined) throw invalid('unexpected end of statement while looking for matching double-quote');
      if (c === '"') return out;
      if (c === '$') out += this.variable();
      else if (c === this.esc) {
        const n = this.peek();
        if (n === '"' || n === '$' || n === this.esc) out += this.next();
        else out += c;
      } else out += c;
    }
  }

  private name(): string {
    let n = '';
    while (!this.done() && /[A-Za-z0-9_]/.test(this.peek()!)) n += this.next();
    return n;
  }

  variable(): string {
    const c = this.peek();
    if (c === '{') {
      this.next();
      return this.braced();
    }
    if (c !== undefined && /[A-Za-z_]/.test(c)) return this.env.get(this.name()) ?? '';
    if (c !== undefined && /[0-9*#@!?$-]/.test(c)) {
      this.next();
      return '';
    }
    return '$';
  }

  private braced(): string {
    const name = this.name();
    if (!name) throw invalid(`bad substitution: missing variable name in "${this.s}"`);
    const c = this.next();
    if (c === '}') return this.env.get(name) ?? '';
    if (c === undefined) throw invalid(`syntax error: missing '}' in "${this.s}"`);
    let op = c;
    if (op === ':') op += this.next() ?? '';
    if (!['-', '+', '?', ':-', ':+', ':?'].includes(op)) throw invalid(`unsupported modifier (${op}) in substitution: "${this.s}"`);
    const word = this.until('}');
    const val = this.env.get(name);
    const set = op.startsWith(':') ? val !== undefined && val !== '' : val !== undefined;
    switch (op.replace(':', '')) {
      case '-': return set ? val! : word;
      case '+': return set ? word : '';
      default:
        if (!set) throw invalid(`${name}: ${word || 'is not allowed to be unset'}`);
        return val!;
    }
  }

  /** A nested word up to the closing brace, itself expanded. */
  private until(end: string): string {
    let out = '';
    for (;;) {
      const c = this.next();
      if (c === undefined) throw invalid(`syntax error: missing '${end}' in "${this.s}"`);
      if (c === end) return out;
      if (c === '$') out += this.variable();
      else if (c === "'") out += this.single();
      else if (c === '"') out += this.double();
      else if (c === this.esc && !this.done()) out += this.next();
      else out += c;
    }
  }
}

/** One word: quotes removed, escapes and variables processed. */
export function processWord(word: string, env: Env, escape = '\\'): string {
  return new Lexer(word, env, escape).words(false).join('');
}

/** A line split into words (EXPOSE, VOLUME, ...), quotes and variables processed. */
export function processWords(line: string, env: Env, escape = '\\'): string[] {
  return new Lexer(line, env, escape).words(true);
}

/**
 * Splits a line into raw words at unquoted blanks, keeping quotes and escapes in
 * the words (moby's parseWords: substitution comes later, per word).
 */
export function splitRawWords(line: string, escape = '\\'): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (!quote && /\s/.test(c)) {
      if (cur) out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
    if (c === escape && quote !== "'" && i + 1 < line.length) {
      cur += line[++i];
    } else if (quote && c === quote) quote = '';
    else if (!quote && (c === '"' || c === "'")) quote = c;
  }
  if (cur) out.push(cur);
  return out;
}
