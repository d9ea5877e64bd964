/**
 * Differential check against dockerd (opt-in): runs bench/differential.mjs, which starts a
 * private dockerd and a private hakod (instance "diff") on temporary roots, creates the
 * same objects in both and compares the shapes of their JSON answers. Skips unless
 * dockerd is installed AND HAKO_DIFF=1 (it takes a dockerd, root, and about ten seconds).
 *
 * It fails when the script fails, when hako answers an endpoint it implements with an
 * error, or when the lightweight endpoints (/_ping, /version) lose a key dockerd has.
 * The full list of differences is in bench/results/differential.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { repoRoot } from './helpers/daemon.js';

function hasDockerd(): boolean {
  return spawnSync('sh', ['-c', 'command -v dockerd'], { stdio: 'ignore' }).status === 0;
}

interface Result {
  name: string;
  dockerStatus?: number;
  hakoStatus?: number | string;
  skipped?: string;
  unsupported?: string;
  missing?: string[];
  extra?: string[];
}

test('differential check: hako answers have the shape of dockerd\'s', { timeout: 300_000 }, (t) => {
  if (process.env.HAKO_DIFF !== '1') return t.skip('opt-in: set HAKO_DIFF=1 to compare hako with a private dockerd');
  if (!hasDockerd()) return t.skip('dockerd is not installed (apt-get install docker.io, or node bench/differential.mjs --install)');
  if (process.getuid?.() !== 0) return t.skip('requires root: it starts dockerd and hakod');
  const dir = mkdtempSync(join(tmpdir(), 'hako-difftest-'));
  try {
    const json = join(dir, 'differential.json');
    const r = spawnSync(process.execPath, [join(repoRoot, 'bench', 'differential.mjs'), '--json', json], {
      cwd: repoRoot, encoding: 'utf8', timeout: 280_000,
    });
    assert.equal(r.status, 0, `bench/differential.mjs failed:\n${r.stderr}`);
    const data = JSON.parse(readFileSync(json, 'utf8')) as { results: Result[] };
    const by = new Map(data.results.map((x) => [x.name, x]));
    for (const name of ['GET /_ping', 'GET /version', 'GET /info', 'GET /images/json', 'GET /events?since=..&until=..']) {
      const x = by.get(name);
      assert.ok(x, `no result for ${name}`);
      assert.equal(x.hakoStatus, 200, `${name}: hako answered ${x.hakoStatus} (${x.unsupported ?? ''})`);
    }
    for (const name of ['GET /_ping', 'GET /version']) {
      assert.deepEqual(by.get(name)!.missing, [], `${name}: keys dockerd has and hako lacks`);
    }
    // Every answer hako gives is either a 200 or a 501 naming what is missing: never a 500 or a 404 route miss.
    for (const x of data.results) {
      if (x.skipped || x.hakoStatus === '-' || x.hakoStatus === 200) continue;
      assert.equal(x.hakoStatus, 501, `${x.name}: hako answered ${x.hakoStatus}: ${x.unsupported}`);
    }
    t.diagnostic(`report: bench/results/differential.md`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
