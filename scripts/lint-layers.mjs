#!/usr/bin/env node
// Enforces the layer rules of design.md: which src/ layer may import which, and no
// import cycles between files. Fails (exit 1) listing every violation.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', 'src');
const allowed = {
  core: [],
  platform: ['core'],
  image: ['core', 'platform'],
  runtime: ['core', 'platform'],
  network: ['core', 'platform'],
  engine: ['core', 'platform', 'image', 'runtime', 'network'],
  api: ['core', 'platform', 'engine'],
  client: ['core'],
  cli: ['core', 'client'],
  daemon: ['core', 'platform', 'image', 'runtime', 'network', 'engine', 'api'],
};

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const files = walk(root);
const edges = new Map();
const errors = [];
const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
for (const f of files) {
  const src = readFileSync(f, 'utf8');
  const layer = relative(root, f).split('/')[0];
  const isTest = f.endsWith('.test.ts');
  const deps = [];
  for (const m of src.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
    const rel = relative(root, target);
    if (rel.startsWith('..')) continue;
    const tlayer = rel.split('/')[0];
    deps.push(target);
    if (tlayer !== layer && !(allowed[layer] ?? []).includes(tlayer) && !isTest) {
      errors.push(`${relative(root, f)}: layer "${layer}" may not import "${tlayer}" (${spec})`);
    }
    if (!(tlayer in allowed)) errors.push(`${relative(root, f)}: unknown layer "${tlayer}"`);
  }
  edges.set(f, deps);
}

// Cycle detection (Tarjan-free DFS with colours), type-only imports included.
const colour = new Map();
const stack = [];
function dfs(n) {
  colour.set(n, 1);
  stack.push(n);
  for (const m of edges.get(n) ?? []) {
    if (!edges.has(m)) continue;
    const c = colour.get(m) ?? 0;
    if (c === 1) {
      const cyc = stack.slice(stack.indexOf(m)).concat(m).map((p) => relative(root, p));
      errors.push(`import cycle: ${cyc.join(' -> ')}`);
    } else if (c === 0) dfs(m);
  }
  stack.pop();
  colour.set(n, 2);
}
for (const f of files) if (!colour.get(f)) dfs(f);

if (errors.length) {
  console.error(errors.join('\n'));
  console.error(`\nlint-layers: ${errors.length} violation(s)`);
  process.exit(1);
}
console.log(`lint-layers: ${files.length} files, layers and cycles ok`);
