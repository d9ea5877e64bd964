#!/usr/bin/env node
// Bundles the hako CLI (src/cli/main.ts and what it imports) into one minified
// CommonJS file, dist/hako.cjs: one file to read and compile is the fastest start
// Node 20 offers without a snapshot (see docs in /work/shared/notes/cli-startup.md).
import { build } from 'esbuild';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [resolve(root, 'src/cli/main.ts')],
  outfile: resolve(root, 'dist/hako.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
