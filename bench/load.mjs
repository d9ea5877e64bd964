#!/usr/bin/env node
// Image load time: build/images/debian.tar (docker-archive, ~120 MB) loaded into a private
// hakod and, when dockerd is installed, into a private dockerd. Each round loads the image
// through the API (POST /images/load, the tar as body) and through the CLI (`load -i`),
// then removes it (DELETE /images/debian:bookworm?force=1). Medians over the rounds.
//
//   node bench/load.mjs [--rounds 5] [--image build/images/debian.tar] [--tag debian:bookworm]
//                       [--install] [--no-docker]
//
// --install apt-get installs docker.io when dockerd is missing. Writes bench/results/load.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ROOT, api, ensureDocker, existsSync, has, median, parseFlags, startDockerd, startHakod, writeResults,
} from './_lib.mjs';

const opts = parseFlags(process.argv.slice(2), {
  rounds: 5, image: join(ROOT, 'build', 'images', 'debian.tar'), tag: 'debian:bookworm', install: false, 'no-docker': false,
});
const image = resolve(opts.image);

if (!existsSync(image)) {
  if (image !== join(ROOT, 'build', 'images', 'debian.tar')) throw new Error(`no such image tarball: ${image}`);
  console.error('bench: building build/images/debian.tar (mmdebstrap, a minute or two)');
  execFileSync(join(ROOT, 'scripts', 'build-debian-image.sh'), { stdio: 'inherit' });
}
const sizeMB = (statSync(image).size / 1e6).toFixed(0);

async function loadApi(d) {
  const t0 = performance.now();
  const r = await api(d.socket, 'POST', '/images/load?quiet=1', { file: image });
  const ms = performance.now() - t0;
  if (r.status !== 200 || /"error"/.test(r.body)) throw new Error(`${d.name}: load answered ${r.status}: ${r.body.slice(0, 300)}`);
  return ms;
}

function loadCli(d, cli) {
  const t0 = performance.now();
  const r = spawnSync(cli, ['-H', d.host, 'load', '-q', '-i', image], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${d.name}: ${cli} load failed: ${r.stderr || r.stdout}`);
  return ms;
}

async function remove(d) {
  const r = await api(d.socket, 'DELETE', `/images/${encodeURIComponent(opts.tag)}?force=1`);
  if (r.status !== 200) throw new Error(`${d.name}: DELETE /images/${opts.tag} answered ${r.status}: ${r.body.slice(0, 300)}`);
}

async function measure(d, cli) {
  const apiMs = [];
  const cliMs = [];
  for (let i = 0; i < opts.rounds; i++) {
    apiMs.push(await loadApi(d));
    await remove(d);
    if (cli) {
      cliMs.push(loadCli(d, cli));
      await remove(d);
    }
    console.error(`bench: ${d.name} round ${i + 1}/${opts.rounds}: api ${apiMs.at(-1).toFixed(0)} ms` +
      (cli ? `, cli ${cliMs.at(-1).toFixed(0)} ms` : ''));
  }
  return { apiMs: median(apiMs), cliMs: cli ? median(cliMs) : undefined, startMs: d.startMs };
}

const rows = [];
const fmt = (ms) => (ms === undefined ? 'n/a' : `${ms.toFixed(0)} ms`);
const engines = [{ name: 'hako', start: startHakod, cli: join(ROOT, 'bin', 'hako') }];
if (!opts['no-docker'] && ensureDocker(opts.install)) {
  engines.push({ name: 'docker', start: startDockerd, cli: has('docker') ? 'docker' : undefined });
}
let failed = false;
for (const e of engines) {
  const d = await e.start();
  try {
    const r = await measure(d, e.cli);
    rows.push([e.name, `${sizeMB} MB`, String(opts.rounds), fmt(r.apiMs), fmt(r.cliMs), fmt(r.startMs)]);
  } catch (err) {
    failed = true;
    console.error(`bench: ${e.name}: ${err.message}`);
    rows.push([e.name, `${sizeMB} MB`, String(opts.rounds), 'failed', 'failed', fmt(d.startMs)]);
  } finally {
    await d.stop();
  }
}
const { file, text } = writeResults('load', 'Image load (docker-archive, debian:bookworm minbase)',
  ['engine', 'tarball', 'rounds', 'API load (median)', 'CLI load -i (median)', 'daemon start to /_ping'], rows,
  ['API: POST /images/load with the tarball as body until the response ends. CLI: `load -q -i`, process start to exit.',
    'The image is removed (DELETE /images/…?force=1) between rounds.']);
console.log(text);
console.error(`bench: wrote ${file}`);
process.exitCode = failed ? 1 : 0;
