// Results of `npm run bench`: bench/results/results.md (table), results.svg (bar chart of
// hako ÷ best peer, drawn by hand) and results.json (every sample).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './_lib.mjs';
import { stats } from './_measure.mjs';

const PEERS = ['docker', 'podman'];

function fmtNum(x, unit) {
  if (unit === 'Gbit/s' || unit === '×') return x.toFixed(2);
  if (unit === 'MiB') return x.toFixed(1);
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

function cell(v, unit) {
  if (!v) return 'not measured: engine not selected';
  if (v.error) return v.error.replaceAll('|', '\\|').slice(0, 160);
  if (!v.samples?.length) return 'failed: no sample';
  const s = stats(v.samples);
  return s.n > 1 ? `${fmtNum(s.median, unit)} ${unit} (${fmtNum(s.min, unit)}–${fmtNum(s.max, unit)})` : `${fmtNum(s.median, unit)} ${unit}`;
}

const med = (v) => (v && !v.error && v.samples?.length ? stats(v.samples).median : undefined);

/** hako ÷ best peer (lowest for lower-is-better, highest for higher-is-better); peers at 0 are skipped. */
export function ratio(fig) {
  const h = med(fig.values.hako);
  const peers = PEERS.map((p) => [p, med(fig.values[p])]).filter(([, x]) => x !== undefined && x > 0);
  if (h === undefined) return { why: fig.values.hako?.error?.startsWith('n/a') ? 'floor only' : 'no hako figure' };
  if (!peers.length) return { why: 'no peer figure' };
  const [peer, best] = peers.reduce((a, b) => ((fig.better === 'higher' ? b[1] > a[1] : b[1] < a[1]) ? b : a));
  return { value: h / best, peer };
}

function ratioCell(fig) {
  const r = ratio(fig);
  if (r.value === undefined) return `n/a (${r.why})`;
  return `${r.value.toFixed(2)}× vs ${r.peer === 'docker' ? 'dockerd' : r.peer}`;
}

export function writeReport(run) {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const line = (cells) => `| ${cells.join(' | ')} |`;
  const rows = [];
  const notes = [];
  for (const sc of run.scenarios) {
    const when = sc.date && sc.date !== run.date ? ` (run ${sc.date})` : '';
    if (sc.error) {
      rows.push(line([`**${sc.name}**${when}`, sc.error, sc.error, sc.error, '', 'n/a']));
      continue;
    }
    for (const f of sc.figures) {
      const dir = f.better === 'higher' ? ' (higher is better)' : '';
      rows.push(line([`**${sc.name}**${when}: ${f.label}${dir}`, ...['hako', 'docker', 'podman', 'floor'].map((c) => cell(f.values[c], f.unit)), ratioCell(f)]));
      if (f.note) notes.push(`- ${sc.name}: ${f.note}`);
    }
  }
  const md = [
    '# hako benchmarks', '',
    `${run.date} · kernel ${run.machine.kernel} · ${run.machine.cpu} × ${run.machine.cores} cores · ${run.machine.memGiB} GiB · Node ${run.machine.node}`, '',
    `Engines: ${run.versions.join(' · ')}`, '',
    ...(run.scenarios.some((s) => s.date && s.date !== run.date)
      ? ['Rows marked "(run …)" come from an earlier `npm run bench` that selected other scenarios.'] : []),
    'Cells: median (min–max) over the rounds, rounds interleaved across engines. Ratio: hako ÷ the best of dockerd and podman',
    '(below 1 is better for times and memory, above 1 is better for throughput).', '',
    line(['scenario / figure', 'hako', 'dockerd', 'podman', 'floor', 'hako ÷ best peer']),
    line(['---', '---', '---', '---', '---', '---']),
    ...rows, '',
    '## Scenarios', '',
    ...run.scenarios.map((s) => `- \`${s.name}\`: ${s.description}`), '',
    '## Set-up', '',
    ...run.setup.map((s) => `- ${s}`),
    ...notes, '',
    ...(run.hygiene ? ['## Host clean-up (what the engines left after they were stopped, removed by the bench)', '',
      `- removed: ${summarize(run.hygiene.removed) || 'nothing'}`, `- could not remove: ${summarize(run.hygiene.left) || 'nothing'}`, ''] : []),
    'Raw samples: `results.json`; chart of the ratios: `results.svg`. Re-run: `npm run bench` (see bench/README.md).', '',
  ].join('\n');
  writeFileSync(join(dir, 'results.md'), md);
  writeFileSync(join(dir, 'results.svg'), svg(run));
  writeFileSync(join(dir, 'results.json'), JSON.stringify(run, null, 2) + '\n');
  return { md, dir };
}

/** "cgroup /sys/fs/cgroup/cpu/x" × N hierarchies -> "cgroup x (N hierarchies)". */
function summarize(items) {
  const counts = new Map();
  for (const it of items) {
    const k = it.startsWith('cgroup ') ? `cgroup ${it.split('/').pop()}` : it;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => (n > 1 ? `${k} (${n} hierarchies)` : k)).join(', ');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bars of hako ÷ best peer on a log scale (0.25×…8×), 1× marked; rows without a ratio say why. */
function svg(run) {
  const figs = run.scenarios.flatMap((s) => (s.figures ?? []).map((f) => ({ s, f, r: ratio(f) })));
  const rowH = 26;
  const left = 430;
  const width = 980;
  const barW = width - left - 60;
  const top = 70;
  const height = top + Math.max(1, figs.length) * rowH + 40;
  const lo = Math.log(0.25);
  const hi = Math.log(8);
  const x = (v) => left + ((Math.log(Math.min(8, Math.max(0.25, v))) - lo) / (hi - lo)) * barW;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">hako ÷ best peer (dockerd, podman), ${esc(run.date)}</text>`,
    `<text x="10" y="42" fill="#555">log scale; green: hako better, red: hako worse (times and memory lower is better, throughput higher)</text>`,
  ];
  for (const t of [0.25, 0.5, 1, 2, 4, 8]) {
    out.push(`<line x1="${x(t)}" y1="${top - 8}" x2="${x(t)}" y2="${height - 30}" stroke="${t === 1 ? '#000' : '#ddd'}"/>`,
      `<text x="${x(t)}" y="${top - 12}" text-anchor="middle" fill="#555">${t}×</text>`);
  }
  figs.forEach(({ s, f, r }, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${left - 8}" y="${y + 16}" text-anchor="end">${esc(`${s.name}: ${f.label}`.slice(0, 64))}</text>`);
    if (r.value === undefined) {
      const why = (f.values.hako?.error ?? `n/a: ${r.why}`).slice(0, 80);
      out.push(`<text x="${left + 6}" y="${y + 16}" fill="#888">${esc(why)}</text>`);
      return;
    }
    const good = f.better === 'higher' ? r.value >= 1 : r.value <= 1;
    const [a, b] = [x(1), x(r.value)].sort((p, q) => p - q);
    out.push(`<rect x="${a}" y="${y + 4}" width="${Math.max(1, b - a)}" height="${rowH - 8}" fill="${good ? '#3a9a4a' : '#c8453b'}"/>`,
      `<text x="${Math.max(a, b) + 4}" y="${y + 16}">${r.value.toFixed(2)}×</text>`);
  });
  out.push('</svg>', '');
  return out.join('\n');
}
