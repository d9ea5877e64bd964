/**
 * docker-compose 1.29 (Debian's, on docker-py) against hakod, unchanged: a project of
 * three busybox services on a user network with a named volume, a health check and
 * `depends_on: condition: service_healthy`; up -d, ps, logs (-f), exec -T (through the
 * docker CLI and through docker-py's exec API), down -v, and nothing of it left behind.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { freePort, leftovers, runTool } from './helpers/clients.js';

const COMPOSE = '/usr/bin/docker-compose';
const skip = process.getuid?.() !== 0 ? 'requires root'
  : !existsSync(COMPOSE) ? 'docker-compose is not installed (apt-get install docker-compose)' : false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROJECT = 'hakocmp';

// Version 2.4 is the file format whose depends_on takes `condition: service_healthy`
// (1.29 also reads it in 3.x files through the merged compose spec).
function composeFile(port: number): string {
  return `version: "2.4"
services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports:
      - "127.0.0.1:${port}:80"
    networks: [appnet]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://localhost:80/"]
      interval: 1s
      timeout: 2s
      retries: 20
  worker:
    image: busybox:latest
    command: ["sh", "-c", "while true; do if wget -q -O- http://web/ > /data/last; then echo worker-got $$(cat /data/last); fi; sleep 1; done"]
    networks: [appnet]
    volumes:
      - data:/data
    depends_on:
      web:
        condition: service_healthy
  job:
    image: busybox:latest
    command: ["sh", "-c", "echo job-done"]
    networks: [appnet]
networks:
  appnet: {}
volumes:
  data: {}
`;
}

describe('docker-compose 1.29', { skip }, () => {
  let d: TestDaemon;
  let file: string;
  let port: number;
  const compose = (args: string[], env: Record<string, string> = {}) =>
    runTool(COMPOSE, ['-H', `unix://${d.socket}`, '-p', PROJECT, '-f', file, ...args],
      { env: { DOCKER_CONFIG: d.tmp, COMPOSE_HTTP_TIMEOUT: '60', ...env }, timeoutMs: 90_000 });
  const label = (l: string) => encodeURIComponent(JSON.stringify({ label: [l] }));

  before(async () => {
    d = await startDaemon();
    const tar = await busyboxTar();
    const r = await d.request('POST', '/images/load?quiet=1', readFileSync(tar), { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 200, r.text());
    port = await freePort();
    file = join(d.tmp, 'docker-compose.yml');
    writeFileSync(file, composeFile(port));
  });
  after(async () => {
    if (!d) return;
    await compose(['down', '-v', '--timeout', '1']).catch(() => {});
    await d.stop();
  });

  it('brings the project up, healthy, reachable by service name and on the published port, and down -v leaves nothing', async () => {
    const up = await compose(['up', '-d']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /Creating network "hakocmp_appnet"/);
    assert.match(up.stderr, /Creating volume "hakocmp_data"/);

    // Compose finds its containers by label; web is healthy before worker was started.
    const list = (await d.request('GET', `/containers/json?all=1&filters=${label(`com.docker.compose.project=${PROJECT}`)}`)).json<any[]>();
    assert.deepEqual(list.map((c) => c.Labels['com.docker.compose.service']).sort(), ['job', 'web', 'worker']);
    const byService = Object.fromEntries(list.map((c) => [c.Labels['com.docker.compose.service'], c]));
    const web = (await d.request('GET', `/containers/${byService.web.Id}/json`)).json<any>();
    assert.equal(web.State.Health.Status, 'healthy');
    const worker = (await d.request('GET', `/containers/${byService.worker.Id}/json`)).json<any>();
    assert.ok(Date.parse(worker.State.StartedAt) >= Date.parse(web.State.Health.Log[0].Start), 'worker started after web was checked');
    assert.deepEqual(Object.keys(web.NetworkSettings.Networks), [`${PROJECT}_appnet`]);
    assert.ok(web.NetworkSettings.Networks[`${PROJECT}_appnet`].Aliases.includes('web'));

    const ps = await compose(['ps']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(`${PROJECT}_web_1 .* Up \\(healthy\\) +127\\.0\\.0\\.1:${port}->80/tcp`));
    assert.match(ps.stdout, new RegExp(`${PROJECT}_job_1 .* Exit 0`));
    assert.match(ps.stdout, new RegExp(`${PROJECT}_worker_1 .* Up`));

    // The worker reaches web by its service name through the embedded DNS.
    let logs = '';
    for (let i = 0; i < 50 && !/worker-got hello-from-web/.test(logs); i++) {
      logs = (await compose(['logs', '--no-color'])).stdout;
      if (!/worker-got/.test(logs)) await sleep(200);
    }
    assert.match(logs, /worker_1 +\| worker-got hello-from-web/);
    assert.match(logs, /job_1 +\| job-done/);
    // logs -f of a service that has exited returns by itself.
    const follow = await compose(['logs', '-f', '--no-color', 'job']);
    assert.equal(follow.code, 0, follow.stderr);
    assert.match(follow.stdout, /job-done/);

    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await res.text(), 'hello-from-web\n');

    // exec -T: compose runs the docker CLI by default, docker-py's exec API with COMPOSE_INTERACTIVE_NO_CLI.
    for (const env of [{}, { COMPOSE_INTERACTIVE_NO_CLI: '1' }] as Record<string, string>[]) {
      const ex = await compose(['exec', '-T', 'web', 'cat', '/www/index.html'], env);
      assert.deepEqual([ex.code, ex.stdout], [0, 'hello-from-web\n'], ex.stderr);
      assert.equal((await compose(['exec', '-T', 'web', 'sh', '-c', 'exit 3'], env)).code, 3);
    }
    // the worker rewrites the file every second (truncate, then wget): read it until whole
    let vol = '';
    for (let i = 0; i < 20 && vol !== 'hello-from-web\n'; i++) vol = (await compose(['exec', '-T', 'worker', 'cat', '/data/last'])).stdout;
    assert.equal(vol, 'hello-from-web\n');

    const nets = (await d.request('GET', `/networks?filters=${label(`com.docker.compose.project=${PROJECT}`)}`)).json<any[]>();
    assert.equal(nets.length, 1);
    const ids = { containerIds: list.map((c) => c.Id), networkIds: nets.map((n) => n.Id), ports: [port], dataRoot: d.dataRoot };

    const down = await compose(['down', '-v', '--timeout', '2']);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, /Removing network hakocmp_appnet/);
    assert.match(down.stderr, /Removing volume hakocmp_data/);
    assert.deepEqual((await d.request('GET', `/containers/json?all=1&filters=${label(`com.docker.compose.project=${PROJECT}`)}`)).json(), []);
    assert.deepEqual((await d.request('GET', `/networks?filters=${label(`com.docker.compose.project=${PROJECT}`)}`)).json(), []);
    const vols = (await d.request('GET', '/volumes')).json<{ Volumes: { Name: string }[] | null }>();
    assert.deepEqual((vols.Volumes ?? []).filter((v) => v.Name.startsWith(PROJECT)), []);
    // Network teardown finishes off the request path; give it a moment.
    let left: string[] = [];
    for (let i = 0; i < 30; i++) {
      left = await leftovers(d.instance, ids);
      if (!left.length) break;
      await sleep(100);
    }
    assert.deepEqual(left, []);
  });
});
