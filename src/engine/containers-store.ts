/** The `containers` table: one row per container, JSON columns, names unique. */
import type { Db } from '../platform/sqlite.js';
import type { ContainerConfig, EndpointSettings, HostConfig } from '../core/docker.js';
import { conflict, notFound, invalid } from '../core/errors.js';
import { isHexPrefix, randomName } from '../core/ids.js';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ContainerState {
  Status: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

export interface ContainerRecord {
  id: string;
  /** Without the leading slash. */
  name: string;
  created: string;
  imageId: string;
  /** Config as docker stores it: the create body merged with the image's defaults. */
  config: ContainerConfig;
  hostConfig: HostConfig;
  state: ContainerState;
  path: string;
  args: string[];
  layerDirs: string[];
  restartCount: number;
  /** NetworkSettings.Networks and Ports as the networker returned them. */
  network: { networks: Record<string, unknown>; ports: Record<string, unknown>; sandboxKey: string };
  /** Set by `docker stop`: unless-stopped/always do not restart it. */
  manuallyStopped: boolean;
  /** NetworkingConfig.EndpointsConfig as created (requested --ip, aliases, MAC per network). */
  endpointsConfig?: Record<string, EndpointSettings>;
  /** Configured networks by name (containers-networks.ts); absent in records made before it. */
  networks?: Record<string, EndpointSettings>;
  /** Targets of the mounts hako added to HostConfig.Mounts (image VOLUME, --volumes-from): containers-volumes.ts. */
  implicitMounts?: string[];
}

export function newState(): ContainerState {
  return { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0,
    ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME };
}

/** What the store uses of a better-sqlite3 statement. */
interface Stmt { run(...a: unknown[]): unknown; get(...a: unknown[]): unknown; all(...a: unknown[]): unknown[] }

export class ContainerStore {
  /** Prepared statements by SQL: compiled once (each request resolves a container two or three times). */
  private readonly stmts = new Map<string, Stmt>();

  constructor(private readonly db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS containers (
      id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL,
      config TEXT NOT NULL, hostconfig TEXT NOT NULL, state TEXT NOT NULL, extra TEXT NOT NULL)`);
  }

  private q(sql: string): Stmt {
    let st = this.stmts.get(sql);
    if (!st) this.stmts.set(sql, (st = this.db.prepare(sql) as unknown as Stmt));
    return st;
  }

  insert(c: ContainerRecord): void {
    const other = this.byName(c.name);
    if (other) throw nameConflict(c.name, other.id);
    this.q('INSERT INTO containers (id, name, created, config, hostconfig, state, extra) VALUES (?,?,?,?,?,?,?)')
      .run(c.id, c.name, c.created, JSON.stringify(c.config), JSON.stringify(c.hostConfig), JSON.stringify(c.state), JSON.stringify(extra(c)));
  }

  save(c: ContainerRecord): void {
    this.q('UPDATE containers SET name=?, config=?, hostconfig=?, state=?, extra=? WHERE id=?')
      .run(c.name, JSON.stringify(c.config), JSON.stringify(c.hostConfig), JSON.stringify(c.state), JSON.stringify(extra(c)), c.id);
  }

  delete(id: string): void {
    this.q('DELETE FROM containers WHERE id=?').run(id);
  }

  all(): ContainerRecord[] {
    return (this.q('SELECT * FROM containers ORDER BY created DESC').all() as Row[]).map(fromRow);
  }

  /** A generated name no container holds (dockerd retries, then appends a digit). */
  freeRandomName(): string {
    let n = randomName();
    for (let i = 1; this.byName(n); i++) n = i < 6 ? randomName() : `${randomName()}${i}`;
    return n;
  }

  byName(name: string): ContainerRecord | undefined {
    const r = this.q('SELECT * FROM containers WHERE name=?').get(name.replace(/^\//, '')) as Row | undefined;
    return r && fromRow(r);
  }

  /** Full id, then exact name, then unique id prefix (docker's order). */
  resolve(idOrName: string): ContainerRecord {
    if (!idOrName) throw invalid('No container name or ID supplied');
    const byId = this.q('SELECT * FROM containers WHERE id=?').get(idOrName) as Row | undefined;
    if (byId) return fromRow(byId);
    const byName = this.byName(idOrName);
    if (byName) return byName;
    if (isHexPrefix(idOrName)) {
      const rows = this.q("SELECT * FROM containers WHERE id LIKE ? || '%'").all(idOrName) as Row[];
      if (rows.length === 1) return fromRow(rows[0]!);
      if (rows.length > 1) throw invalid(`multiple IDs found with provided prefix: ${idOrName}`);
    }
    throw notFound(`No such container: ${idOrName}`);
  }
}

export function nameConflict(name: string, id: string) {
  return conflict(`Conflict. The container name "/${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`);
}

interface Row { id: string; name: string; created: string; config: string; hostconfig: string; state: string; extra: string }

function extra(c: ContainerRecord) {
  return { imageId: c.imageId, path: c.path, args: c.args, layerDirs: c.layerDirs, restartCount: c.restartCount, network: c.network, manuallyStopped: c.manuallyStopped, endpointsConfig: c.endpointsConfig, networks: c.networks, implicitMounts: c.implicitMounts };
}

function fromRow(r: Row): ContainerRecord {
  const x = JSON.parse(r.extra) as ReturnType<typeof extra>;
  return { id: r.id, name: r.name, created: r.created, config: JSON.parse(r.config), hostConfig: JSON.parse(r.hostconfig), state: JSON.parse(r.state), ...x };
}
