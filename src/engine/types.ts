/**
 * The contract between the API layer and the engine. The api/ handlers call only
 * these interfaces; engine/ implements them over image/, runtime/ and network/.
 * Shapes are Docker Engine API JSON (PascalCase), so handlers mostly pass them through.
 * Every method throws EngineError (core/errors.ts) on failure, with Docker's wording.
 */
import type { Readable, Writable } from 'node:stream';
import type { ContainerCreateBody, EventMessage, HostConfig } from '../core/docker.js';
import type { ProgressMessage as ImageProgress } from '../image/types.js';
import type { LogReadOptions } from '../runtime/logs.js';

/** One line of the JSON progress stream docker renders (`{"status":..,"progressDetail":..,"id":..}`). */
export interface ProgressMessage extends ImageProgress {
  error?: string;
  errorDetail?: { message: string };
  aux?: Record<string, unknown>;
}
export type ProgressFn = (m: ProgressMessage) => void;

export interface ImageListOptions {
  all?: boolean;
  digests?: boolean;
  /** Docker filters, already parsed: name -> values. */
  filters?: Record<string, string[]>;
}

export interface ImageService {
  /** GET /images/json items (Docker's ImageSummary). */
  list(opts: ImageListOptions): Promise<Record<string, unknown>[]>;
  /** GET /images/{name}/json (Docker's ImageInspect). NotFound: "No such image: <name>". */
  inspect(name: string): Promise<Record<string, unknown>>;
  history(name: string): Promise<Record<string, unknown>[]>;
  tag(source: string, repo: string, tag?: string): Promise<void>;
  /** DELETE /images/{name}: returns [{Untagged}|{Deleted}]. Conflict (409) when a container uses it. */
  remove(name: string, opts: { force?: boolean; noprune?: boolean }): Promise<Record<string, string>[]>;
  prune(filters: Record<string, string[]>): Promise<{ ImagesDeleted: Record<string, string>[] | null; SpaceReclaimed: number }>;
  /** POST /images/load: docker-archive or OCI layout, gzip or plain. Reports progress; resolves with loaded refs/ids. */
  load(input: Readable, progress: ProgressFn, opts: { quiet?: boolean }): Promise<string[]>;
  /** GET /images/get: a docker-archive tar of the named images. */
  save(names: string[]): Promise<Readable>;
  /** POST /images/create?fromSrc=-: import a rootfs tar as a one-layer image. Returns the image id. */
  importRootfs(input: Readable, opts: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string }, progress: ProgressFn): Promise<string>;
  /** Bytes used by image layers (for /system/df and /info). */
  usage(): Promise<{ images: Record<string, unknown>[]; layersSize: number }>;
}

export interface ContainerListOptions {
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Record<string, string[]>;
}

/** What a client asks of `logs` (the monitor's reader adds when following stops). */
export type LogsOptions = Omit<LogReadOptions, 'stopped'>;

/** A chunk of container output: stream 1 = stdout, 2 = stderr (stdcopy ids). */
export interface OutputChunk {
  stream: 1 | 2;
  data: Buffer;
}

/** A live attachment to a container's or exec's stdio. */
export interface AttachSession {
  /** Output chunks; ends when the process exits or the session is closed. */
  output: Readable; // object mode, OutputChunk items
  /** Container stdin, when attached with stdin; ending it half-closes stdin. */
  stdin?: Writable;
  close(): void;
}

export interface AttachOptions {
  stream?: boolean;
  logs?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  detachKeys?: string;
}

export interface ExecCreateBody {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  ConsoleSize?: [number, number] | null;
  Tty?: boolean;
  Env?: string[];
  Cmd: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

export interface ContainerService {
  create(body: ContainerCreateBody, name?: string): Promise<{ Id: string; Warnings: string[] }>;
  start(idOrName: string): Promise<void>; // NotModified when already running
  /** The id mapping of a container in a user namespace (commit maps its files' owners back), else undefined. */
  idShiftOf?(idOrName: string): Promise<{ key: string; uids: { containerID: number; hostID: number; size: number }[]; gids: { containerID: number; hostID: number; size: number }[] } | undefined>;
  stop(idOrName: string, opts: { timeout?: number; signal?: string }): Promise<void>;
  restart(idOrName: string, opts: { timeout?: number; signal?: string }): Promise<void>;
  kill(idOrName: string, signal?: string): Promise<void>;
  /** Resolves when the condition holds: 'not-running' (default), 'next-exit', 'removed'. */
  wait(idOrName: string, condition?: string): Promise<{ StatusCode: number; Error: { Message: string } | null }>;
  remove(idOrName: string, opts: { force?: boolean; volumes?: boolean; link?: boolean }): Promise<void>;
  inspect(idOrName: string, opts?: { size?: boolean }): Promise<Record<string, unknown>>;
  list(opts: ContainerListOptions): Promise<Record<string, unknown>[]>;
  logs(idOrName: string, opts: LogsOptions): Promise<{ tty: boolean; output: Readable }>;
  attach(idOrName: string, opts: AttachOptions): Promise<{ tty: boolean; session: AttachSession }>;
  resize(idOrName: string, h: number, w: number): Promise<void>;
  pause(idOrName: string): Promise<void>;
  unpause(idOrName: string): Promise<void>;
  rename(idOrName: string, newName: string): Promise<void>;
  update(idOrName: string, hc: HostConfig): Promise<{ Warnings: string[] }>;
  top(idOrName: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }>;
  stats(idOrName: string, opts: { stream: boolean; oneShot?: boolean }): Promise<Readable>; // object mode, stats JSON
  changes(idOrName: string): Promise<{ Path: string; Kind: 0 | 1 | 2 }[] | null>;
  export(idOrName: string): Promise<Readable>;
  archiveGet(idOrName: string, path: string): Promise<{ stat: Record<string, unknown>; tar: Readable }>;
  archiveStat(idOrName: string, path: string): Promise<Record<string, unknown>>;
  archivePut(idOrName: string, path: string, tar: Readable, opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean }): Promise<void>;
  prune(filters: Record<string, string[]>): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>;
  execCreate(idOrName: string, body: ExecCreateBody): Promise<{ Id: string }>;
  /**
   * Starts an exec. `beforeLaunch(tty)` runs once the request is known good and before the
   * process starts (the API takes over the connection there, as dockerd does, so no output
   * can reach a client in the same read as the 101 headers: docker-py loses such bytes).
   */
  execStart(execId: string, opts: { Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null; beforeLaunch?: (tty: boolean) => void }): Promise<{ tty: boolean; session?: AttachSession }>;
  execInspect(execId: string): Promise<Record<string, unknown>>;
  execResize(execId: string, h: number, w: number): Promise<void>;
}

export interface EventFilter {
  since?: number;
  until?: number;
  filters?: Record<string, string[]>;
}

export interface EventService {
  emit(e: Omit<EventMessage, 'time' | 'timeNano' | 'scope'>): void;
  /** Past events matching (from a bounded in-memory ring), then live ones until `until` or close. */
  subscribe(f: EventFilter, onEvent: (e: EventMessage) => void): { close(): void; past: EventMessage[] };
}

export interface SystemService {
  info(): Promise<Record<string, unknown>>;
  version(): Record<string, unknown>;
  df(): Promise<Record<string, unknown>>;
}

/** Everything the API layer needs; built by daemon/ (the composition root). */
/** The /networks API (Docker's shapes). Implemented by engine/networks.ts. */
export interface NetworkService {
  /** GET /networks: filters name, id, driver, label, type (custom|builtin), dangling. */
  list(filters?: Record<string, string[]>): Promise<Record<string, unknown>[]>;
  /** GET /networks/{id}. NotFound: "network x not found". */
  inspect(idOrName: string, opts?: { verbose?: boolean; scope?: string }): Promise<Record<string, unknown>>;
  /** POST /networks/create -> {Id, Warning}. */
  create(body: Record<string, any>): Promise<{ Id: string; Warning: string }>;
  /** DELETE /networks/{id}. Conflict when containers are attached; 403 for built-in networks. */
  remove(idOrName: string): Promise<void>;
  prune(filters?: Record<string, string[]>): Promise<{ NetworksDeleted: string[] | null }>;
  /** POST /networks/{id}/connect with {Container, EndpointConfig}. */
  connect(idOrName: string, body: { Container: string; EndpointConfig?: EndpointSettings | null }): Promise<void>;
  /** POST /networks/{id}/disconnect with {Container, Force}. */
  disconnect(idOrName: string, body: { Container: string; Force?: boolean }): Promise<void>;
}

/** Docker's Volume object (GET /volumes/{name}). */
export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  /** RFC 3339, seconds precision. */
  CreatedAt: string;
  Status?: Record<string, unknown>;
  Labels: Record<string, string>;
  Scope: 'local' | 'global';
  Options: Record<string, string> | null;
  /** Only in /system/df (Size in bytes, RefCount = containers using it); -1 when not computed. */
  UsageData?: { Size: number; RefCount: number } | null;
}

/** POST /volumes/create body. */
export interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/**
 * The /volumes API (Docker's shapes), implemented by engine/volumes.ts over
 * <dataRoot>/volumes/<name>/_data and a `volumes` table. Only the "local" driver exists.
 */
export interface VolumeService {
  /** An empty Name makes an anonymous volume (64-hex name). An existing name is returned unchanged. */
  create(body: VolumeCreateBody): Promise<Volume>;
  /** NotFound: "get <name>: no such volume". */
  inspect(name: string): Promise<Volume>;
  /** Filters: name, label, dangling, driver. */
  list(filters?: Record<string, string[]>): Promise<{ Volumes: Volume[]; Warnings: string[] | null }>;
  /** Conflict (409) "remove <name>: volume is in use - [ids]"; with force a missing volume is not an error. */
  remove(name: string, opts?: { force?: boolean }): Promise<void>;
  /** Unused volumes; only anonymous ones unless filters.all = ["true"]. Filters: label, label!, all. */
  prune(filters?: Record<string, string[]>): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }>;
  /** Every volume with UsageData computed, for /system/df. */
  usage(): Promise<Volume[]>;
}

export interface Engine {
  images: ImageService;
  containers?: ContainerService;
  networks?: NetworkService;
  volumes?: VolumeService;
  events: EventService;
  system: SystemService;
}

// ---- Contracts between engine services (wired together in daemon/) ----

import type { ImageConfig } from '../core/oci.js';
import type { EndpointSettings, PortBinding } from '../core/docker.js';

/** Given by the image service to the container service. */
export interface ImageResolver {
  /**
   * Resolves a reference, full or short ID to the image's id ("sha256:..."), the
   * reference as the user wrote it normalised (e.g. "busybox:latest"), its config,
   * and the read-only layer directories for overlay's lowerdir, lowest layer FIRST.
   * NotFound: "No such image: <name>".
   */
  resolveForContainer(name: string): Promise<{ id: string; config: ImageConfig; layerDirs: string[] }>;
}

/** Given by the container service to the image service: ids of containers (any state) using an image. */
export type ImageUsers = (imageId: string) => string[];

export interface ContainerNetworkRequest {
  containerId: string;
  containerName: string;
  hostname: string;
  /** Path of the container's network namespace (a bind-mounted netns file). */
  netnsPath: string;
  /** HostConfig.NetworkMode: "default"/"bridge", a network name/id, "none", "host", "container:x" are handled before. */
  networkMode: string;
  endpoints: Record<string, EndpointSettings>;
  portBindings: Record<string, PortBinding[] | null>;
  publishAllPorts: boolean;
  exposedPorts: string[];
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

export interface ContainerNetworkResult {
  /** NetworkSettings.Networks, keyed by network name. */
  networks: Record<string, EndpointSettings>;
  /** NetworkSettings.Ports. */
  ports: Record<string, PortBinding[] | null>;
  /** Contents to bind into the container. */
  hosts: string;
  resolvConf: string;
}

/** Given by the network service to the container service. */
export interface ContainerNetworker {
  /** Wires the netns into its networks (veth, addresses, routes, NAT, DNS). Idempotent per container. */
  setup(req: ContainerNetworkRequest): Promise<ContainerNetworkResult>;
  /** Removes everything setup created for the container; never throws for missing pieces. */
  teardown(containerId: string): Promise<void>;
  /** Resolves a network name/id (NotFound: "network x not found"). */
  exists(nameOrId: string): Promise<boolean>;
  /** The name of a network given by name, id or id prefix (NotFound: "network x not found"). */
  networkName?(nameOrId: string): Promise<string>;
  /** On container removal: tears down and drops the networks it was connected to while stopped (docker network connect). */
  forget?(containerId: string): Promise<void>;
  /** On docker rename: the embedded DNS and network inspect use the new name. */
  rename?(containerId: string, name: string): void;
}

/** Given by the container service to the volume service: ids of containers (any state) using a volume. */
export type VolumeUsers = (name: string) => string[];

/**
 * Given by the volume service to the container service. Lifecycle: ensure() (or
 * anonymous()) when a container is created with the volume, mount() before each start
 * (mounts volumes made with DriverOpts type/device/o on first use, reference-counted by
 * container id), unmount() after the container stops, removeAnonymous() on `rm -v`.
 */
export interface VolumeMounter {
  /** Creates the named volume if missing (emitting "create") and returns its mountpoint. InvalidArgument for a bad name. */
  ensure(name: string): string;
  /** Creates an anonymous volume (64-hex name, label com.docker.volume.anonymous). */
  anonymous(labels?: Record<string, string>): { Name: string; Mountpoint: string };
  /** Mounts the volume for a container if it has mount options; emits "mount". Returns the mountpoint. */
  mount(name: string, containerId: string, at?: { destination?: string; readWrite?: boolean; propagation?: string }): Promise<string>;
  /** Drops the container's reference; unmounts when the last one goes; emits "unmount". Never throws for unknown volumes. */
  unmount(name: string, containerId: string): Promise<void>;
  /** Removes the volume if it is anonymous and unused (docker rm -v); never throws. */
  removeAnonymous(name: string, containerId?: string): Promise<void>;
}
