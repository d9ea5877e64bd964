/**
 * The composition root: opens the state database, builds the services that exist and
 * hands them to the API server. Services not built yet stay undefined and their routes
 * answer 501 naming what is missing.
 */
import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiServer } from '../api/server.js';
import { MemoryEventService } from '../engine/events.js';
import { Images } from '../engine/images.js';
import { HostSystemService } from '../engine/system.js';
import { OciContainerService } from '../engine/containers.js';
import { startAtBoot } from '../engine/containers-restore.js';
import { UsernsRemapper } from '../engine/userns.js';
import { Volumes, volumeNamesOf } from '../engine/volumes.js';
import { configuredNetworks, configureNetwork } from '../engine/containers-networks.js';
import { BridgeNetworkService, BridgeNetworker } from '../engine/networks.js';
import { NetworkManager } from '../network/manager.js';
import { chooseRuntime } from '../runtime/oci.js';
import type { Engine } from '../engine/types.js';
import { openDatabase, type Db } from '../platform/sqlite.js';
import type { DaemonConfig } from './config.js';
import type { JsonLogger } from './log.js';
import { startChannel, exitChannel, removeChannel } from '../engine/containers-trace.js';

export interface BuildInfo {
  version: string;
  gitCommit: string;
  buildTime: string;
}

export interface Daemon {
  engine: Partial<Engine>;
  api: ApiServer;
  db: Db;
  close(): Promise<void>;
}

export async function compose(cfg: DaemonConfig, build: BuildInfo, log: JsonLogger): Promise<Daemon> {
  const db = openDatabase(join(cfg.dataRoot, 'hako.db'));
  const events = new MemoryEventService();
  const images = new Images({ db, dataRoot: cfg.dataRoot, events, registry: { insecureRegistries: cfg.insecureRegistries, mirrors: cfg.registryMirrors } });
  await images.init();
  const engine: Partial<Engine> = { events, images };
  const netlog = log.child({ component: 'network' });
  // HAKO_RESOLV_CONF (tests): the resolv.conf read instead of the host's, for the embedded
  // DNS's upstreams and the containers' defaults, so a test never queries real resolvers.
  const resolvConfPath = process.env.HAKO_RESOLV_CONF || undefined;
  const manager = new NetworkManager({ db, instance: cfg.instance, ipam: { bip: cfg.bip, defaultPools: cfg.defaultAddressPools }, resolvConfPath,
    log: (msg, fields) => netlog.warn(msg, fields) });
  await manager.init();
  const networker = new BridgeNetworker(manager, { resolvConfPath, events });
  const volumes = new Volumes({ db, dataRoot: cfg.dataRoot, events });
  await volumes.init();
  const runtime = chooseRuntime(cfg.defaultRuntime, (msg) => log.warn(msg));
  const clog = log.child({ component: 'containers' });
  const userns = new UsernsRemapper({ remap: cfg.usernsRemap, log: (msg, fields) => log.info(msg, fields) });
  await userns.init();
  const containers = new OciContainerService({
    db, dataRoot: cfg.dataRoot, execRoot: cfg.execRoot, instance: cfg.instance, runtime, images, events, networker, volumes,
    seccomp: cfg.seccompProfileData ?? (cfg.seccompProfile === 'unconfined' ? 'unconfined' : 'builtin'),
    userns,
    log: (msg, fields) => clog.info(msg, fields),
    stateTmpfs: true,
  });
  images.setUsers((imageId) => containers.store.all().filter((c) => c.imageId === imageId).map((c) => c.id));
  await containers.restore();
  await manager.reconcile(new Set(containers.store.all().filter((c) => c.state.Running || c.state.Paused).map((c) => c.id)));
  const networks = new BridgeNetworkService({
    manager, events,
    containers: (idOrName) => {
      const c = containers.store.resolve(idOrName);
      return { id: c.id, name: c.name, netnsPath: c.state.Running || c.state.Paused ? containers.paths.netns(c.id) : undefined,
        networkMode: c.hostConfig.NetworkMode, configured: configuredNetworks(c), configure: (net, cfg) => configureNetwork(containers.store, c.id, net, cfg),
        resolvConfPath: join(containers.paths.dir(c.id), 'resolv.conf') };
    },
    onEndpointChange: (id, network, settings) => {
      let c;
      try { c = containers.store.resolve(id); } catch { return; }
      if (!c.network) return;
      const nets = { ...c.network.networks };
      if (settings) nets[network] = settings;
      else delete nets[network];
      c.network = { ...c.network, networks: nets };
      containers.store.save(c);
    },
  });
  volumes.setUsers((name) => containers.store.all().filter((c) => volumeNamesOf(c.hostConfig).includes(name)).map((c) => c.id));
  engine.containers = containers;
  if (cfg.logLevel === 'debug') {
    for (const ch of [startChannel, exitChannel, removeChannel]) ch.subscribe((m) => clog.debug(ch.name.toString(), m as Record<string, unknown>));
  }
  engine.volumes = volumes;
  engine.networks = networks;
  netlog.debug('networks ready');
  await startAtBoot(containers, (msg, fields) => clog.warn(msg, fields));
  const runtimes = findRuntimes();
  const system = new HostSystemService({
    images: engine.images, containers: engine.containers, volumes: engine.volumes, eventListeners: () => events.subscribers,
    id: engineId(cfg.dataRoot), ...build, dataRoot: cfg.dataRoot, execRoot: cfg.execRoot, instance: cfg.instance,
    defaultRuntime: cfg.defaultRuntime, runtimes, debug: cfg.logLevel === 'debug', seccompProfile: cfg.seccompProfile,
    userns: userns.daemonRemaps,
    warnings: runtimes[cfg.defaultRuntime] ? [] : [`WARNING: default runtime ${cfg.defaultRuntime} is not installed`],
  });
  await system.probe();
  engine.system = system;
  const missing = (['images', 'containers'] as const).filter((k) => !engine[k]);
  if (missing.length) log.warn('services not available yet; their API routes answer 501', { missing });
  const api = new ApiServer({ engine, version: build.version, log: log.child({ component: 'api' }) });
  return {
    engine, api, db,
    async close() {
      await api.close();
      await containers.settle();
      containers.close();
      manager.shutdown();
      if (process.env.HAKO_TEARDOWN_ON_EXIT === '1') {
        await manager.destroy();
        containers.cgroups.remove(cfg.instance);
      }
      db.close();
    },
  };
}

const searchPath = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function findRuntimes(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['crun', 'runc']) {
    for (const dir of searchPath) {
      const p = join(dir, name);
      try {
        accessSync(p, constants.X_OK);
        if (statSync(p).isFile()) {
          out[name] = p;
          break;
        }
      } catch {
        /* not here */
      }
    }
  }
  return out;
}

/** A stable id for this daemon, kept in <data-root>/engine-id as dockerd does. */
function engineId(dataRoot: string): string {
  const p = join(dataRoot, 'engine-id');
  if (existsSync(p)) return readFileSync(p, 'utf8').trim();
  const id = randomUUID();
  writeFileSync(p, id + '\n', { mode: 0o600 });
  return id;
}
