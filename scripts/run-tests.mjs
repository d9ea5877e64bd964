#!/usr/bin/env node
// Runs the compiled tests with node:test.
//
//   node scripts/run-tests.mjs                 unit (dist/src/**/*.test.js) + integration (dist/test/**/*.test.js)
//   node scripts/run-tests.mjs --unit          unit tests only
//   node scripts/run-tests.mjs --integration   integration tests only
//   node scripts/run-tests.mjs [--] FILTER...  only files whose path contains one of the FILTERs
//
// Environment: HAKO_TEST_CONCURRENCY (default 2), HAKO_TEST_TIMEOUT ms per test (default 120000).
// Run `npm run build` first. node --test's own summary is the last output; the exit status is its.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

let unit = true;
let integration = true;
const filters = [];
for (const arg of process.argv.slice(2)) {
  if (arg === '--unit') integration = false;
  else if (arg === '--integration') unit = false;
  else if (arg === '--') continue;
  else if (arg.startsWith('-')) {
    console.error(`run-tests: unknown option "${arg}"`);
    process.exit(2);
  } else filters.push(arg);
}

function collect(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) out.push(...collect(p));
    else if (ent.isFile() && ent.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

if (!existsSync(dist)) {
  console.error('run-tests: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
let files = [
  ...(unit ? collect(join(dist, 'src')) : []),
  ...(integration ? collect(join(dist, 'test')) : []),
];
if (filters.length) files = files.filter((f) => filters.some((s) => f.includes(s) || f.includes(s.replace(/\.ts$/, '.js'))));
if (files.length === 0) {
  console.log('run-tests: no test files matched');
  console.log('# tests 0');
  process.exit(filters.length ? 1 : 0);
}

const concurrency = process.env.HAKO_TEST_CONCURRENCY ?? '2';
const timeout = process.env.HAKO_TEST_TIMEOUT ?? '120000';
const args = [
  '--enable-source-maps',
  '--test',
  `--test-concurrency=${concurrency}`,
  `--test-timeout=${timeout}`,
  '--test-reporter=spec',
  ...files.map((f) => relative(root, f)),
];
console.log(`run-tests: ${files.length} file(s), concurrency ${concurrency}, timeout ${timeout} ms per test`);
// The spec reporter prints its "failing tests" list after the summary; hold the summary
// lines back and print them last, so the closing lines are always tests/pass/fail.
const env = { ...process.env };
if (process.stdout.isTTY && env.FORCE_COLOR === undefined && env.NO_COLOR === undefined) env.FORCE_COLOR = '1';
const child = spawn(process.execPath, args, { cwd: root, stdio: ['inherit', 'pipe', 'inherit'], env });
const summaryRe = /^ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /;
const ansiRe = /\x1b\[[0-9;]*m/g;
const held = [];
let partial = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop() ?? '';
  const out = [];
  for (const line of lines) {
    if (summaryRe.test(line.replace(ansiRe, ''))) held.push(line);
    else out.push(line);
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n');
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('close', (code) => {
  if (partial && summaryRe.test(partial.replace(ansiRe, ''))) held.push(partial);
  else if (partial) process.stdout.write(partial + '\n');
  if (held.length) process.stdout.write(held.join('\n') + '\n');
  process.exitCode = code ?? 1; // killed by a signal: a failure
});
