/**
 * Parser for the subset of Go's text/template that docker's --format uses:
 * actions with pipelines, fields, variables, literals, function calls,
 * parenthesised pipelines, if/else if/else, range/else, with/else, and the
 * `{{-`/`-}}` whitespace trim markers.
 */

export type Operand =
  | { k: 'field'; path: string[]; base?: Operand }
  | { k: 'var'; name: string; path: string[] }
  | { k: 'dot' }
  | { k: 'str'; v: string }
  | { k: 'num'; v: number }
  | { k: 'bool'; v: boolean }
  | { k: 'nil' }
  | { k: 'fn'; name: string }
  | { k: 'pipe'; pipe: Pipeline; path: string[] };

export interface Pipeline {
  decl: string[];
  assign: boolean;
  cmds: Operand[][];
}

export type Node =
  | { k: 'text'; text: string }
  | { k: 'action'; pipe: Pipeline }
  | { k: 'if' | 'with' | 'range'; pipe: Pipeline; body: Node[]; alt: Node[] };

export class TemplateError extends Error {
  constructor(message: string) {
    super(`template: ${message}`);
    this.name = 'TemplateError';
  }
}

type Tok = { t: 'str' | 'num' | 'id' | 'field' | 'var' | 'dot' | 'sym'; v: string };

interface Piece {
  text?: string;
  action?: Tok[];
}

/** Splits the template into text and tokenised actions, applying trim markers. */
function lex(src: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let j = open + 2;
    if (src.startsWith('- ', j) || src.startsWith('-\t', j) || src.startsWith('-\n', j)) {
      text = text.replace(/\s+$/, '');
      j += 1;
    }
    if (text) out.push({ text });
    const { toks, end, trimRight } = lexAction(src, j);
    out.push({ action: toks });
    i = end;
    if (trimRight) while (i < src.length && /\s/.test(src[i]!)) i++;
  }
  return out;
}

function lexAction(src: string, start: number): { toks: Tok[]; end: number; trimRight: boolean } {
  const toks: Tok[] = [];
  let i = start;
  for (;;) {
    while (i < src.length && /\s/.test(src[i]!)) {
      if (src.startsWith('-}}', i + 1) && /\s/.test(src[i]!)) return { toks, end: i + 4, trimRight: true };
      i++;
    }
    if (i >= src.length) throw new TemplateError('unclosed action');
    if (src.startsWith('}}', i)) return { toks, end: i + 2, trimRight: false };
    if (src.startsWith('/*', i)) {
      const e = src.indexOf('*/', i);
      if (e < 0) throw new TemplateError('unclosed comment');
      i = e + 2;
      continue;
    }
    const [tok, next] = lexToken(src, i);
    toks.push(tok);
    i = next;
  }
}

function lexToken(src: string, i: number): [Tok, number] {
  const c = src[i]!;
  const rest = src.slice(i);
  let m: RegExpExecArray | null;
  if (c === '"') {
    m = /^"(?:[^"\\\n]|\\.)*"/.exec(rest);
    if (!m) throw new TemplateError('unterminated quoted string');
    return [{ t: 'str', v: JSON.parse(m[0]) as string }, i + m[0].length];
  }
  if (c === '`') {
    const e = src.indexOf('`', i + 1);
    if (e < 0) throw new TemplateError('unterminated raw quoted string');
    return [{ t: 'str', v: src.slice(i + 1, e) }, e + 1];
  }
  if ((m = /^:=|^[|(),=]/.exec(rest))) return [{ t: 'sym', v: m[0] }, i + m[0].length];
  if ((m = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(rest))) return [{ t: 'num', v: m[0] }, i + m[0].length];
  if ((m = /^(?:\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(rest))) return [{ t: 'field', v: m[0] }, i + m[0].length];
  if ((m = /^\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(rest))) return [{ t: 'var', v: m[0] }, i + m[0].length];
  if (c === '.') return [{ t: 'dot', v: '.' }, i + 1];
  if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) return [{ t: 'id', v: m[0] }, i + m[0].length];
  throw new TemplateError(`unexpected "${c}" in command`);
}

class Parser {
  private p = 0;
  constructor(private readonly pieces: Piece[]) {}

  /** Parses nodes until one of the `stop` keywords; returns the keyword hit. */
  list(stop: string[]): { nodes: Node[]; hit?: Piece } {
    const nodes: Node[] = [];
    while (this.p < this.pieces.length) {
      const pc = this.pieces[this.p++]!;
      if (pc.text !== undefined) {
        nodes.push({ k: 'text', text: pc.text });
        continue;
      }
      const toks = pc.action!;
      if (toks.length === 0) continue; // a comment
      const kw = toks[0]!.t === 'id' ? toks[0]!.v : '';
      if (stop.includes(kw)) return { nodes, hit: pc };
      if (kw === 'end' || kw === 'else') throw new TemplateError(`unexpected {{${kw}}}`);
      if (kw === 'if' || kw === 'with' || kw === 'range') nodes.push(this.block(kw, toks.slice(1)));
      else nodes.push({ k: 'action', pipe: parsePipeline(toks, 0, toks.length) });
    }
    if (stop.length) throw new TemplateError('unexpected EOF');
    return { nodes };
  }

  private block(kw: 'if' | 'with' | 'range', toks: Tok[]): Node {
    const pipe = parsePipeline(toks, 0, toks.length);
    const body = this.list(['else', 'end']);
    let alt: Node[] = [];
    const hit = body.hit!.action!;
    if (hit[0]!.v === 'else') {
      if (hit.length > 1 && hit[1]!.t === 'id' && (hit[1]!.v === 'if' || hit[1]!.v === 'with')) {
        // "else if X" is "else" + nested "if X ... end" sharing this block's end.
        alt = [this.block(hit[1]!.v as 'if' | 'with', hit.slice(2))];
        return { k: kw, pipe, body: body.nodes, alt };
      }
      const rest = this.list(['end']);
      alt = rest.nodes;
    }
    return { k: kw, pipe, body: body.nodes, alt };
  }
}

function parsePipeline(toks: Tok[], from: number, to: number): Pipeline {
  const pipe: Pipeline = { decl: [], assign: false, cmds: [] };
  let i = from;
  // Variable declarations: $x := ... or $i, $e := ...
  const declEnd = toks.findIndex((t, n) => n >= from && n < to && t.t === 'sym' && (t.v === ':=' || t.v === '='));
  if (declEnd > 0 && toks.slice(from, declEnd).every((t) => t.t === 'var' || (t.t === 'sym' && t.v === ','))) {
    pipe.decl = toks.slice(from, declEnd).filter((t) => t.t === 'var').map((t) => t.v.slice(1));
    pipe.assign = toks[declEnd]!.v === '=';
    i = declEnd + 1;
  }
  let cmd: Operand[] = [];
  while (i < to) {
    const t = toks[i]!;
    if (t.t === 'sym' && t.v === '|') {
      if (!cmd.length) throw new TemplateError('missing command in pipeline');
      pipe.cmds.push(cmd);
      cmd = [];
      i++;
      continue;
    }
    if (t.t === 'sym' && t.v === '(') {
      const close = matchParen(toks, i, to);
      const inner = parsePipeline(toks, i + 1, close);
      let path: string[] = [];
      if (close + 1 < to && toks[close + 1]!.t === 'field') {
        path = toks[close + 1]!.v.slice(1).split('.');
        i = close + 2;
      } else i = close + 1;
      cmd.push({ k: 'pipe', pipe: inner, path });
      continue;
    }
    cmd.push(operand(t));
    i++;
  }
  if (cmd.length) pipe.cmds.push(cmd);
  if (!pipe.cmds.length) throw new TemplateError('missing value for command');
  return pipe;
}

function matchParen(toks: Tok[], open: number, to: number): number {
  let depth = 0;
  for (let i = open; i < to; i++) {
    const t = toks[i]!;
    if (t.t !== 'sym') continue;
    if (t.v === '(') depth++;
    else if (t.v === ')' && --depth === 0) return i;
  }
  throw new TemplateError('unclosed left paren');
}

function operand(t: Tok): Operand {
  switch (t.t) {
    case 'str':
      return { k: 'str', v: t.v };
    case 'num':
      return { k: 'num', v: Number(t.v) };
    case 'dot':
      return { k: 'dot' };
    case 'field':
      return { k: 'field', path: t.v.slice(1).split('.') };
    case 'var': {
      const [name, ...path] = t.v.slice(1).split('.');
      return { k: 'var', name: name!, path };
    }
    case 'id':
      if (t.v === 'true' || t.v === 'false') return { k: 'bool', v: t.v === 'true' };
      if (t.v === 'nil') return { k: 'nil' };
      return { k: 'fn', name: t.v };
    default:
      throw new TemplateError(`unexpected "${t.v}" in operand`);
  }
}

export function parseTemplate(src: string): Node[] {
  return new Parser(lex(src)).list([]).nodes;
}
