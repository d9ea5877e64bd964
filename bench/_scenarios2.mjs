// The network, API and CLI scenarios of `npm run bench` (see _scenarios.mjs for the rest).
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { api, has, sleep } from './_lib.mjs';
import { check, runCmd } from './_engines.mjs';
import { addSample, figure, interleave, pool, reason, setError } from './_measure.mjs';

const NO_FLOOR = (why) => `n/a: ${why}`;

/**
 * -v flags that put the host's iperf3 with every library it links (libc and the loader
 * included) into a busybox container, at the paths ldd names: the same server binary in
 * every engine, with no image beyond busybox to load.
 */
export function iperfMounts() {
  const out = ['-v', '/usr/bin/iperf3:/usr/bin/iperf3:ro'];
  for (const l of execFileSync('ldd', ['/usr/bin/iperf3'], { encoding: 'utf8' }).split('\n')) {
    const m = /^\s*(?:\S+ => )?(\/\S+) \(/.exec(l);
    if (m) out.push('-v', `${realpathSync(m[1])}:${m[1]}:ro`);
  }
  return out;
}

/**
 * How every iperf3 run of the bench is made, alike for every engine: the server pinned
 * to CPU 0 and the client to CPU 1 (--cpuset-cpus for containers, taskset on the host),
 * so that no sample depends on the scheduler putting both on one CPU; 5 s measured after
 * a 1 s warm-up that iperf3 leaves out (-O 1: TCP start-up); one stream.
 */
export const IPERF = { secs: 5, omit: 1, serverCpu: '0', clientCpu: '1', rounds: 9 };
export const iperfFlags = () => ['-t', String(IPERF.secs), '-O', String(IPERF.omit), '-J'];

/** Gbit/s received, from iperf3 -J output (anything before the JSON is skipped). */
export function iperfGbps(stdout, what) {
  let json;
  try {
    json = JSON.parse(stdout.slice(stdout.indexOf('{')));
  } catch {
    throw new Error(`${what}: no JSON on stdout`);
  }
  if (json.error) throw new Error(`${what}: ${json.error}`);
  return json.end.sum_received.bits_per_second / 1e9;
}

/** Gbit/s received in one iperf3 client run from the host. */
async function iperf(host, port) {
  const what = `iperf3 -c ${host}:${port}`;
  const r = await runCmd('taskset', ['-c', IPERF.clientCpu, 'iperf3', '-c', host, '-p', String(port), ...iperfFlags()],
    { timeoutMs: (IPERF.secs + IPERF.omit + 20) * 1000 });
  if (r.code !== 0 && !r.stdout.includes('{')) check(r, what);
  return iperfGbps(r.stdout, what);
}

export const iperfScenario = {
  name: 'iperf',
  description: `iperf3 (${IPERF.secs} s after a ${IPERF.omit} s warm-up, one stream, server on CPU ${IPERF.serverCpu}, client on CPU ${IPERF.clientCpu}; the host's iperf3 bind-mounted into busybox) from the host to a container: via a port published on 127.0.0.1, to the container IP, and their ratio in the same round; floor: host loopback`,
  needsBridge: true,
  async run(ctx) {
    const pub = figure('iperf-pub', 'iperf3 host → 127.0.0.1 published port', 'Gbit/s', 'higher');
    const direct = figure('iperf-ip', 'iperf3 host → container IP', 'Gbit/s', 'higher');
    const ratio = figure('iperf-pub-ratio', 'iperf3 published port ÷ container IP, same round', '×', 'higher');
    const figs = [pub, direct, ratio];
    const hostSrv = spawn('taskset', ['-c', IPERF.serverCpu, 'iperf3', '-s', '-p', '25200', '-B', '127.0.0.1'], { stdio: 'ignore' });
    const started = [];
    try {
      await sleep(300);
      const parts = [{ col: 'floor', fn: async () => {
        const x = await iperf('127.0.0.1', 25200);
        return { 'iperf-pub': x, 'iperf-ip': x, 'iperf-pub-ratio': 1 };
      } }];
      for (const [i, e] of ctx.engines.entries()) {
        const port = 25201 + i;
        try {
          const { ensureImage } = await import('./_scenarios.mjs');
          await ensureImage(e, ctx.images.busybox, 'busybox');
          check(await e.cli(['run', '-d', '--name', 'hkbench-iperf', '-p', `127.0.0.1:${port}:5201`, ...iperfMounts(),
            '--cpuset-cpus', IPERF.serverCpu, ...e.runFlags, 'busybox', 'iperf3', '-s']), 'run iperf3 -s');
          started.push(e);
          const ip = check(await e.cli(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', 'hkbench-iperf']), 'inspect').stdout.trim().split(/\s+/)[0];
          if (!ip) throw new Error('inspect shows no container IP');
          await sleep(500);
          parts.push({ col: e.name, fn: async () => {
            const out = {};
            try {
              out['iperf-pub'] = await iperf('127.0.0.1', port);
            } catch (err) {
              if (!pub.values[e.name]?.error) setError(pub, e.name, reason(err));
            }
            try {
              out['iperf-ip'] = await iperf(ip, 5201);
            } catch (err) {
              if (!direct.values[e.name]?.error) setError(direct, e.name, reason(err));
            }
            if (!Object.keys(out).length) throw new Error('neither path answered');
            if (out['iperf-pub'] && out['iperf-ip']) out['iperf-pub-ratio'] = out['iperf-pub'] / out['iperf-ip'];
            return out;
          } });
        } catch (err) {
          for (const f of figs) setError(f, e.name, reason(err));
        }
      }
      await interleave(ctx.rounds ?? IPERF.rounds, parts, figs, ctx.log);
    } finally {
      hostSrv.kill('SIGTERM');
      for (const e of started) await e.cli(['rm', '-f', 'hkbench-iperf']);
    }
    return figs;
  },
};

const CREATE = { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } };

async function createUpTo(socket, from, to) {
  await pool(8, Array.from({ length: to - from }, (_, i) => async () => {
    const r = await api(socket, 'POST', `/containers/create?name=hkbench-ps-${from + i}`, CREATE);
    if (r.status !== 201) throw new Error(`POST /containers/create answered ${r.status}: ${r.body.slice(0, 200)}`);
  }));
}

async function removeCreated(socket) {
  const r = await api(socket, 'GET', '/containers/json?all=1');
  if (r.status !== 200) return;
  const ids = JSON.parse(r.body).map((c) => c.Id);
  await pool(8, ids.map((id) => () => api(socket, 'DELETE', `/containers/${id}?force=1`)));
}

export const psScenario = {
  name: 'ps',
  description: 'GET /containers/json?all=1 latency over the API socket (podman: its Docker-compatible service) with 0, 100 and 1000 created containers',
  async run(ctx) {
    const levels = [0, 100, 1000];
    const figs = levels.map((n) => figure(`ps-${n}`, `GET /containers/json, ${n} containers`, 'ms'));
    for (const f of figs) setError(f, 'floor', NO_FLOOR('not applicable'));
    const sockets = {};
    const { ensureImage } = await import('./_scenarios.mjs');
    for (const e of ctx.engines) {
      try {
        await ensureImage(e, ctx.images.busybox, 'busybox');
        sockets[e.name] = await e.apiSocket();
      } catch (err) {
        for (const f of figs) setError(f, e.name, reason(err));
      }
    }
    try {
      let have = 0;
      for (const [li, n] of levels.entries()) {
        for (const e of ctx.engines) {
          if (!sockets[e.name] || figs[li].values[e.name]?.error) continue;
          try {
            ctx.log(`  ${e.name}: creating containers ${have}..${n}`);
            await createUpTo(sockets[e.name], have, n);
          } catch (err) {
            for (const f of figs.slice(li)) setError(f, e.name, reason(err));
          }
        }
        have = n;
        const parts = ctx.engines.filter((e) => sockets[e.name]).map((e) => ({ col: e.name, fn: async () => {
          const t0 = performance.now();
          const r = await api(sockets[e.name], 'GET', '/containers/json?all=1');
          const ms = performance.now() - t0;
          if (r.status !== 200) throw new Error(`GET /containers/json answered ${r.status}: ${r.body.slice(0, 200)}`);
          const count = JSON.parse(r.body).length;
          if (count !== n) throw new Error(`listed ${count} containers, expected ${n}`);
          return ms;
        } }));
        await interleave((ctx.rounds ?? 3) * 7, parts, [figs[li]], () => {});
      }
    } finally {
      for (const e of ctx.engines) if (sockets[e.name]) await removeCreated(sockets[e.name]);
    }
    return figs;
  },
};

/** One hyperfine run (or a plain loop without hyperfine): seconds per command. */
async function timeCommands(cmds, runs, env) {
  if (!has('hyperfine')) {
    const out = cmds.map(() => []);
    for (let i = 0; i < runs; i++) {
      for (const [j, c] of cmds.entries()) out[j].push(check(await runCmd(c[0], c.slice(1), { env }), c.join(' ')).ms);
    }
    return out;
  }
  const file = join(process.env.HKBENCH_TMP, 'hyperfine.json');
  check(await runCmd('hyperfine', ['-N', '--warmup', '3', '--runs', String(runs), '--export-json', file,
    ...cmds.map((c) => c.join(' '))], { env, timeoutMs: 600_000 }), 'hyperfine');
  return JSON.parse(readFileSync(file, 'utf8')).results.map((r) => r.times.map((t) => t * 1000));
}

/** What each CLI figure runs: `version` (start-up plus one request), `ps -a`, `image inspect`. */
const CLI_FIGS = [
  { id: 'cli', label: '`version` against the engine (CLI start to exit)', args: ['version'] },
  { id: 'cli-ps', label: '`ps -a` against the engine (CLI start to exit)', args: ['ps', '-a'] },
  { id: 'cli-inspect', label: '`image inspect busybox` against the engine (CLI start to exit)', args: ['image', 'inspect', 'busybox'] },
];

/** The columns of one CLI figure: hako's CLI and docker's against the same hakod, podman's own; floor only for version. */
function cliCandidates(ctx, def, fig) {
  const hako = ctx.engines.find((e) => e.name === 'hako');
  const podman = ctx.engines.find((e) => e.name === 'podman');
  const cand = [];
  if (hako) {
    cand.push({ col: 'hako', cmd: [...hako.ownCliCmd.split(' '), ...def.args] });
    cand.push({ col: 'docker', cmd: [...ctx.dockerCliCmd(hako), ...def.args] });
  } else {
    for (const c of ['hako', 'docker']) setError(fig, c, 'failed: no hakod to talk to');
  }
  if (podman) cand.push({ col: 'podman', cmd: [...podman.ownCliCmd.split(' '), ...def.args] });
  if (def.id === 'cli') cand.push({ col: 'floor', cmd: [process.execPath, '-e', '0'] });
  else setError(fig, 'floor', NO_FLOOR('see the version row'));
  return cand;
}

export const cliScenario = {
  name: 'cli',
  description: 'CLI start to exit: `hako version`, `ps -a` and `image inspect busybox` vs the docker CLI against the same hakod vs podman\'s own; floor: `node -e 0`',
  async run(ctx) {
    const podman = ctx.engines.find((e) => e.name === 'podman');
    // As bin/hako does for itself: no NODE_OPTIONS / NODE_EXTRA_CA_CERTS for any command, so
    // `node -e 0` is the floor of the same Node start.
    const env = { ...(podman?.env ?? process.env) };
    delete env.NODE_OPTIONS;
    delete env.NODE_EXTRA_CA_CERTS;
    const { ensureImage } = await import('./_scenarios.mjs');
    for (const e of ctx.engines) await ensureImage(e, ctx.images.busybox, 'busybox').catch(() => undefined); // image inspect's object
    const figs = [];
    for (const def of CLI_FIGS) {
      const fig = figure(def.id, def.label, 'ms');
      fig.note = `dockerd column: the docker CLI against the same hakod (\`docker ${def.args.join(' ')}\`); podman column: \`podman ${def.args.join(' ')}\``;
      figs.push(fig);
      const ok = [];
      for (const c of cliCandidates(ctx, def, fig)) {
        const r = await runCmd(c.cmd[0], c.cmd.slice(1), { env: podman?.env });
        if (c.col === 'hako' && def.id === 'cli' && r.code === 0 && !/Server/.test(r.stdout)) {
          setError(fig, c.col, `failed: \`hako version\` printed no Server section (did not reach hakod)`);
          continue;
        }
        if (r.code === 0) ok.push(c);
        else setError(fig, c.col, reason(new Error((r.stderr || r.stdout).trim().split('\n').pop())));
      }
      for (let round = 0; round < (ctx.rounds ?? 3); round++) {
        try {
          const times = await timeCommands(ok.map((c) => c.cmd), 10, env);
          ok.forEach((c, i) => times[i].forEach((t) => addSample(fig, c.col, t)));
          ctx.log(`  ${def.args.join(' ')} round ${round + 1}: ${ok.map((c, i) => `${c.col} ${times[i].sort((a, b) => a - b)[5]?.toFixed(1)}`).join(', ')}`);
        } catch (err) {
          for (const c of ok) setError(fig, c.col, reason(err));
          break;
        }
      }
    }
    return figs;
  },
};

export { interleave };
