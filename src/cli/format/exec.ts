/** Executes a parsed template against a JSON-like value, the way Go's text/template does. */
import { parseTemplate, TemplateError, type Node, type Operand, type Pipeline } from './parse.js';
import { FUNCS, MISSING, goPrint, isTrue } from './funcs.js';

type Scope = Map<string, unknown>[];

function lookupVar(scope: Scope, name: string): unknown {
  for (let i = scope.length - 1; i >= 0; i--) if (scope[i]!.has(name)) return scope[i]!.get(name);
  throw new TemplateError(`undefined variable: $${name}`);
}

function field(v: unknown, name: string, args: unknown[]): unknown {
  if (v === MISSING || v === null || v === undefined) return MISSING;
  if (typeof v !== 'object') throw new TemplateError(`can't evaluate field ${name} in type ${typeof v}`);
  const o = v as Record<string, unknown>;
  if (!(name in o)) return MISSING;
  const f = o[name];
  return typeof f === 'function' ? (f as (...a: unknown[]) => unknown).apply(o, args) : f;
}

function walkPath(v: unknown, path: string[], args: unknown[]): unknown {
  let cur = v;
  path.forEach((p, i) => (cur = field(cur, p, i === path.length - 1 ? args : [])));
  return cur;
}

class Exec {
  out = '';
  constructor(private readonly funcs: Record<string, (...a: any[]) => unknown>) {}

  nodes(list: Node[], dot: unknown, scope: Scope): void {
    for (const n of list) this.node(n, dot, scope);
  }

  private node(n: Node, dot: unknown, scope: Scope): void {
    if (n.k === 'text') {
      this.out += n.text;
      return;
    }
    if (n.k === 'action') {
      const v = this.pipeline(n.pipe, dot, scope);
      if (!n.pipe.decl.length) this.out += goPrint(v);
      return;
    }
    if (n.k === 'range') return this.range(n.pipe, n.body, n.alt, dot, scope);
    const inner: Scope = [...scope, new Map()];
    const v = this.pipeline(n.pipe, dot, inner);
    if (isTrue(v)) this.nodes(n.body, n.k === 'with' ? v : dot, inner);
    else this.nodes(n.alt, dot, scope);
  }

  private range(pipe: Pipeline, body: Node[], alt: Node[], dot: unknown, scope: Scope): void {
    const decl = pipe.decl;
    const v = this.pipeline({ ...pipe, decl: [] }, dot, scope);
    let items: [unknown, unknown][] = [];
    if (Array.isArray(v)) items = v.map((x, i) => [i, x]);
    else if (typeof v === 'number') items = Array.from({ length: v }, (_x, i) => [i, i]);
    else if (v && typeof v === 'object') items = Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]);
    else if (v !== MISSING && v !== null && v !== undefined) throw new TemplateError(`range can't iterate over ${goPrint(v)}`);
    if (!items.length) return this.nodes(alt, dot, scope);
    for (const [k, x] of items) {
      const vars = new Map<string, unknown>();
      if (decl.length === 1) vars.set(decl[0]!, x);
      else if (decl.length === 2) vars.set(decl[0]!, k), vars.set(decl[1]!, x);
      this.nodes(body, x, [...scope, vars]);
    }
  }

  pipeline(p: Pipeline, dot: unknown, scope: Scope): unknown {
    let v: unknown = undefined;
    p.cmds.forEach((cmd, i) => (v = this.command(cmd, dot, scope, i > 0 ? [v] : [])));
    if (p.decl.length) {
      if (p.assign) {
        for (let i = scope.length - 1; i >= 0; i--) if (scope[i]!.has(p.decl[0]!)) scope[i]!.set(p.decl[0]!, v);
      } else scope[scope.length - 1]!.set(p.decl[0]!, v);
    }
    return v;
  }

  private command(cmd: Operand[], dot: unknown, scope: Scope, piped: unknown[]): unknown {
    const [head, ...rest] = cmd;
    const args = () => [...rest.map((o) => this.operand(o, dot, scope, [])), ...piped];
    if (head!.k === 'fn') {
      const f = this.funcs[head!.name];
      if (!f) throw new TemplateError(`function "${head!.name}" not defined`);
      try {
        return f(...args());
      } catch (e) {
        if (e instanceof TemplateError) throw e;
        throw new TemplateError(`error calling ${head!.name}: ${(e as Error).message}`);
      }
    }
    if ((head!.k === 'field' || head!.k === 'var') && (rest.length || piped.length)) return this.operand(head!, dot, scope, args());
    if (rest.length) throw new TemplateError(`can't give argument to non-function ${goPrint(this.operand(head!, dot, scope, []))}`);
    return this.operand(head!, dot, scope, []);
  }

  private operand(o: Operand, dot: unknown, scope: Scope, args: unknown[]): unknown {
    switch (o.k) {
      case 'dot':
        return dot;
      case 'field':
        return walkPath(dot, o.path, args);
      case 'var':
        return walkPath(lookupVar(scope, o.name), o.path, args);
      case 'str':
      case 'num':
      case 'bool':
        return o.v;
      case 'nil':
        return null;
      case 'fn':
        return this.command([o], dot, scope, []);
      case 'pipe':
        return walkPath(this.pipeline(o.pipe, dot, scope), o.path, args);
    }
  }
}

export interface Template {
  execute(data: unknown): string;
}

/** Parses once; `execute` renders with `$` and `.` bound to data. */
export function compile(src: string, extraFuncs: Record<string, (...a: any[]) => unknown> = {}): Template {
  const nodes = parseTemplate(src);
  const funcs = { ...FUNCS, ...extraFuncs };
  return {
    execute(data: unknown): string {
      const ex = new Exec(funcs);
      ex.nodes(nodes, data, [new Map([['', data]])]);
      return ex.out;
    },
  };
}

export function render(src: string, data: unknown): string {
  return compile(src).execute(data);
}
