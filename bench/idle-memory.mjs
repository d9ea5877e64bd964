#!/usr/bin/env node
// Memory of an idle daemon: RSS and PSS (from /proc/PID/smaps_rollup) of a private hakod
// and, when dockerd is installed, of a private dockerd and the containerd it manages,
// summed over each daemon's process tree, after the daemon answered /_ping and settled.
//
//   node bench/idle-memory.mjs [--settle 5] [--load] [--install] [--no-docker]
//
// --settle: seconds to wait after start; --load: measure again after loading busybox.tar;
// --install: apt-get install docker.io when missing. Writes bench/results/idle-memory.md.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  ROOT, api, ensureDocker, existsSync, memoryOf, parseFlags, processTree, sleep, startDockerd, startHakod, writeResults,
} from './_lib.mjs';

const opts = parseFlags(process.argv.slice(2), { settle: 5, load: false, install: false, 'no-docker': false });
const busybox = join(ROOT, 'build', 'images', 'busybox.tar');
if (opts.load && !existsSync(busybox)) {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-busybox-image.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;

function sample(d) {
  const procs = processTree(d.pid).flatMap((pid) => {
    try {
      return [memoryOf(pid)];
    } catch {
      return []; // exited meanwhile
    }
  });
  const sum = (k) => procs.reduce((a, p) => a + p[k], 0);
  return { procs, rss: sum('rssKiB'), pss: sum('pssKiB') };
}

const engines = [{ name: 'hako', start: startHakod }];
if (!opts['no-docker'] && ensureDocker(opts.install)) engines.push({ name: 'docker', start: startDockerd });

const rows = [];
for (const e of engines) {
  const d = await e.start();
  try {
    await sleep(opts.settle * 1000);
    const s = sample(d);
    const names = [...new Set(s.procs.map((p) => p.comm))].join(' + ');
    rows.push([e.name, 'idle', names, String(s.procs.length), mib(s.rss), mib(s.pss)]);
    if (opts.load) {
      const r = await api(d.socket, 'POST', '/images/load?quiet=1', { file: busybox });
      if (r.status !== 200) throw new Error(`${e.name}: load answered ${r.status}: ${r.body.slice(0, 200)}`);
      await sleep(opts.settle * 1000);
      const s2 = sample(d);
      rows.push([e.name, 'after loading busybox', names, String(s2.procs.length), mib(s2.rss), mib(s2.pss)]);
    }
  } finally {
    await d.stop();
  }
}
const { file, text } = writeResults('idle-memory', 'Idle daemon memory',
  ['engine', 'state', 'processes', 'count', 'RSS', 'PSS'], rows,
  [`Measured ${opts.settle} s after the daemon first answered /_ping; sums over the daemon's process tree.`,
    'PSS divides shared pages among the processes sharing them, so it is the fairer total.']);
console.log(text);
console.error(`bench: wrote ${file}`);
