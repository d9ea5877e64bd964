#!/usr/bin/env node
// Compiles the native helpers (src/runtime/native/*.c, src/platform/native/*.c) into build/ with cc.
// runtime/monitor.ts also compiles hako-attach on first use when build/ lacks it.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
mkdirSync(join(root, 'build'), { recursive: true });
execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', join(root, 'build', 'hako-attach'), join(root, 'src', 'runtime', 'native', 'hako-attach.c')], { stdio: 'inherit' });
execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', join(root, 'build', 'hako-spawn'), join(root, 'src', 'platform', 'native', 'hako-spawn.c')], { stdio: 'inherit' });
console.log('built build/hako-attach, build/hako-spawn');
