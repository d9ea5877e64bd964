/**
 * The Dockerfile parser: text -> logical lines (directives, comments, line
 * continuations with the `# escape=` character) -> typed instructions grouped
 * into stages. Pure. Every error is InvalidArgument worded as docker words it,
 * "Dockerfile parse error on line N: ...". Variable substitution is not done
 * here: values keep their quotes and `$VAR`s for the builder (expand.ts).
 */
import { invalid } from '../../core/errors.js';
import { parseError, parseInstruction, type ArgCommand, type Command, type FromCommand, type Node } from './instructions.js';

export type { Command, Node } from './instructions.js';
export { parseError } from './instructions.js';

export interface Stage {
  name?: string;
  from: FromCommand;
  commands: Command[];
  index: number;
}

export interface Dockerfile {
  escape: string;
  /** ARGs before the first FROM. */
  metaArgs: ArgCommand[];
  stages: Stage[];
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;

/** Reads the leading parser directives (escape, syntax); returns the escape character. */
function directives(lines: string[]): string {
  let escape = '\\';
  const seen = new Set<string>();
  for (const [i, l] of lines.entries()) {
    const m = DIRECTIVE.exec(l.trim());
    if (!m || !l.trim().startsWith('#')) break;
    const key = m[1]!.toLowerCase();
    if (seen.has(key)) throw parseError(i + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw parseError(i + 1, `invalid escape token '${m[2]}' does not match ` + '` or \\');
      escape = m[2]!;
    }
  }
  return escape;
}

/** Splits text into logical lines: comments dropped, continuations joined. */
export function logicalLines(text: string, escape: string): Node[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const out: Node[] = [];
  let buf = '';
  let start = 0;
  const contRe = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const t = raw.trim();
    if (t.startsWith('#')) continue; // comments (also inside continuations)
    if (!buf && t === '') continue;
    if (!buf) start = i + 1;
    if (contRe.test(raw)) {
      buf += raw.replace(contRe, '');
      if (i === lines.length - 1) push(out, buf, start);
      continue;
    }
    if (buf && t === '') continue; // empty line inside a continuation
    buf += raw;
    push(out, buf, start);
    buf = '';
  }
  return out;
}

function push(out: Node[], text: string, line: number): void {
  const t = text.trim();
  if (!t) return;
  const m = /^(\S+)\s*([\s\S]*)$/.exec(t)!;
  out.push({ cmd: m[1]!.toLowerCase(), rest: m[2]!.trim(), original: t, line });
}

/** Parses a whole Dockerfile into stages. */
export function parseDockerfile(text: string, name = 'Dockerfile'): Dockerfile {
  const escape = directives(text.split(/\r?\n/));
  const nodes = logicalLines(text, escape);
  if (nodes.length === 0) throw invalid(`the Dockerfile (${name}) cannot be empty`);
  const df: Dockerfile = { escape, metaArgs: [], stages: [] };
  for (const n of nodes) {
    const c = parseInstruction(n, escape);
    if (c.kind === 'from') {
      df.stages.push({ name: c.stageName, from: c, commands: [], index: df.stages.length });
      continue;
    }
    const stage = df.stages[df.stages.length - 1];
    if (stage) stage.commands.push(c);
    else if (c.kind === 'arg') df.metaArgs.push(c);
    else throw parseError(n.line, `no build stage in current context`);
  }
  if (!df.stages.length) throw invalid('Dockerfile must begin with a FROM instruction: no build stage in current context');
  checkStageNames(df.stages);
  return df;
}

function checkStageNames(stages: Stage[]): void {
  const seen = new Set<string>();
  for (const s of stages) {
    if (!s.name) continue;
    if (seen.has(s.name)) throw parseError(s.from.line, `duplicate name ${s.name}`);
    seen.add(s.name);
  }
}

/** The stages to build for `target` (all when absent). */
export function stagesFor(df: Dockerfile, target?: string): Stage[] {
  if (!target) return df.stages;
  const i = df.stages.findIndex((s) => s.name === target.toLowerCase());
  if (i < 0) throw invalid(`failed to reach build target ${target} in Dockerfile`);
  return df.stages.slice(0, i + 1);
}
