/**
 * hakod: the hako daemon. Parses its configuration, takes the data root's lock,
 * composes the engine and serves the Docker Engine API until SIGTERM/SIGINT, then
 * stops serving and removes its socket and pid file. Containers are left running.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compose, type BuildInfo, type Daemon } from './compose.js';
import { ConfigError, parseDaemonArgs, USAGE, type DaemonConfig } from './config.js';
import { InUseError, lockDataRoot, socketAnswers, writePidfile } from './lock.js';
import { JsonLogger } from './log.js';

/** The checkout: dist/hakod.mjs (bundled) sits one level down, dist/src/daemon/main.js three. */
const pkgRoot = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of [['..'], ['..', '..', '..']]) {
    const dir = join(here, ...up);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return join(here, '..');
})();

function buildInfo(): BuildInfo {
  let version = '0.0.0';
  let gitCommit = 'unknown';
  try {
    version = JSON.parse(readFileSync(join(pkgRoot, 'package.json'), 'utf8')).version ?? version;
  } catch { /* unpackaged */ }
  try {
    const head = readFileSync(join(pkgRoot, '.git', 'HEAD'), 'utf8').trim();
    const ref = head.startsWith('ref: ') ? readFileSync(join(pkgRoot, '.git', head.slice(5)), 'utf8').trim() : head;
    gitCommit = ref.slice(0, 7);
  } catch { /* no git checkout */ }
  let buildTime = '';
  try {
    buildTime = statSync(fileURLToPath(import.meta.url)).mtime.toISOString();
  } catch { /* unknown */ }
  return { version, gitCommit, buildTime };
}

async function start(cfg: DaemonConfig, build: BuildInfo, log: JsonLogger, cleanups: (() => void)[]): Promise<Daemon> {
  mkdirSync(cfg.dataRoot, { recursive: true, mode: 0o711 });
  mkdirSync(cfg.execRoot, { recursive: true, mode: 0o700 });
  cleanups.push(lockDataRoot(cfg.dataRoot));
  const unixPaths = cfg.hosts.filter((h) => h.startsWith('unix://')).map((h) => h.slice('unix://'.length));
  for (const p of unixPaths) {
    if (await socketAnswers(p)) throw new InUseError(`another daemon is answering on ${p}`);
    mkdirSync(dirname(p), { recursive: true, mode: 0o755 });
  }
  mkdirSync(dirname(cfg.pidfile), { recursive: true });
  cleanups.push(writePidfile(cfg.pidfile));
  const d = await compose(cfg, build, log);
  for (const h of cfg.hosts) {
    if (h.startsWith('unix://')) {
      await d.api.listen(h.slice('unix://'.length), 0o660);
    } else {
      const u = new URL(h);
      const tls = cfg.tls!;
      await d.api.listenTls(u.hostname, Number(u.port), { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) });
    }
    log.info(`API listening on ${h.replace(/^unix:\/\//, '')}`, { component: 'daemon' });
  }
  return d;
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseDaemonArgs(argv);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`hakod: ${e.message}\n`);
    process.exit(1);
  }
  const build = buildInfo();
  if (parsed.kind === 'help') return void process.stdout.write(USAGE);
  if (parsed.kind === 'version') return void process.stdout.write(`hakod version ${build.version}, build ${build.gitCommit}\n`);
  const cfg = parsed.config;
  const log = new JsonLogger(cfg.logLevel);
  if (process.getuid?.() !== 0) {
    process.stderr.write('hakod: the daemon needs to be started with root privileges\n');
    process.exit(1);
  }
  const cleanups: (() => void)[] = [];
  const cleanup = () => cleanups.splice(0).reverse().forEach((f) => { try { f(); } catch { /* best effort */ } });
  let daemon: Daemon;
  try {
    daemon = await start(cfg, build, log, cleanups);
  } catch (e) {
    cleanup();
    const msg = e instanceof InUseError ? e.message : String((e as Error)?.stack ?? e);
    process.stderr.write(`hakod: ${msg}\n`);
    process.exit(1);
  }
  log.info('daemon started', { component: 'daemon', version: build.version, pid: process.pid, dataRoot: cfg.dataRoot, instance: cfg.instance });
  onSignals(daemon, log, cleanup);
}

function onSignals(daemon: Daemon, log: JsonLogger, cleanup: () => void): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn('second signal, exiting now', { component: 'daemon', signal });
      cleanup();
      process.exit(1);
    }
    stopping = true;
    log.info('shutting down; containers keep running', { component: 'daemon', signal });
    const force = setTimeout(() => {
      log.error('shutdown took too long, exiting', { component: 'daemon' });
      cleanup();
      process.exit(1);
    }, 10_000);
    force.unref();
    daemon.close()
      .catch((e) => log.error('error during shutdown', { component: 'daemon', err: String(e) }))
      .finally(() => {
        cleanup();
        log.info('daemon stopped', { component: 'daemon' });
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('uncaughtException', (e) => {
    log.error('uncaught exception', { component: 'daemon', err: String(e?.stack ?? e) });
    cleanup();
    process.exit(1);
  });
  process.on('unhandledRejection', (e) => log.error('unhandled rejection', { component: 'daemon', err: String((e as Error)?.stack ?? e) }));
}

await main(process.argv.slice(2));
