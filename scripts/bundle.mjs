#!/usr/bin/env node
// Builds the hako CLI (src/cli/main.ts and what it imports) two ways:
//
// 1. dist/hako.cjs: one minified CommonJS file that esbuild bundles. Node runs it when
//    there is no compiled binary (one file to read and compile is the fastest start
//    Node 20 offers without a snapshot: ~50 ms for `hako version`).
// 2. build/hako: that same bundle compiled by bun (the npm package `bun`, a devDependency,
//    whose binary comes from its per-platform optional dependency) into one standalone
//    executable with its bytecode cached: ~15 ms for `hako version`, docker's speed.
//    .env and bunfig.toml autoloading are off so the binary reads nothing from the cwd.
//
// bin/hako runs build/hako when it is there and node dist/hako.cjs otherwise. When bun is
// missing (a platform it does not ship for, `npm ci --omit=dev`), cannot compile, or
// the compiled binary does not start here, build/hako is removed, a warning printed
// and the build still succeeds: the CLI then runs on Node. HAKO_NO_BUN=1 skips step 2.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = resolve(root, 'dist/hako.cjs');
const binary = resolve(root, 'build/hako');

await build({
  entryPoints: [resolve(root, 'src/cli/main.ts')],
  outfile: bundle,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});

// 3. dist/hakod.mjs: the daemon in one ESM file (better-sqlite3 stays a native module
//    loaded from node_modules). One file instead of ~200 modules: ~3.5 MiB less resident
//    memory at idle and a faster start. bin/hakod runs it, else dist/src/daemon/main.js.
await build({
  entryPoints: [resolve(root, 'src/daemon/main.ts')],
  outfile: resolve(root, 'dist/hakod.mjs'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  external: ['better-sqlite3'],
  banner: { js: "import { createRequire as __hakoRequire } from 'node:module'; const require = __hakoRequire(import.meta.url);" },
});

/** The bun executable: node_modules/.bin/bun once its postinstall linked it, else the platform package's. */
function findBun() {
  const nm = join(root, 'node_modules');
  const candidates = [join(nm, '.bin', 'bun')];
  const oven = join(nm, '@oven');
  if (existsSync(oven)) {
    for (const d of readdirSync(oven).sort()) {
      if (d.startsWith(`bun-${process.platform}-`)) candidates.push(join(oven, d, 'bin', 'bun'));
    }
  }
  for (const c of candidates) {
    if (existsSync(c) && spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0) return c;
  }
  return undefined;
}

function compile() {
  const bun = findBun();
  if (!bun) return 'bun is not installed (devDependency `bun`)';
  mkdirSync(dirname(binary), { recursive: true });
  const tmp = `${binary}.tmp`;
  rmSync(tmp, { force: true });
  const r = spawnSync(
    bun,
    [
      'build', bundle, '--compile', '--bytecode', '--minify', '--target=bun', '--format=cjs',
      '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig',
      '--no-compile-autoload-tsconfig', '--no-compile-autoload-package-json',
      '--outfile', tmp,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  if (r.status !== 0) return `bun build failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`;
  // A binary that cannot start on this machine (CPU features, libc) must not shadow Node.
  const v = spawnSync(tmp, ['--version'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  if (v.status !== 0 || !v.stdout.startsWith('hako version ')) {
    rmSync(tmp, { force: true });
    return `the compiled binary does not run here: ${(v.stderr || String(v.error)).trim()}`;
  }
  renameSync(tmp, binary);
  return undefined;
}

const why = process.env.HAKO_NO_BUN === '1' ? 'HAKO_NO_BUN=1' : compile();
if (why) {
  rmSync(binary, { force: true });
  console.warn(`bundle: no build/hako (${why}); bin/hako runs node dist/hako.cjs`);
}
