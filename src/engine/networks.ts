/**
 * Networks in Docker's shapes: the /networks API (BridgeNetworkService) and the
 * ContainerNetworker the container service calls at start/stop (BridgeNetworker).
 * Both sit over one network/NetworkManager, which owns state and host objects.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { EndpointSettings, PortBinding } from '../core/docker.js';
import { EngineError, invalid, notFound } from '../core/errors.js';
import { parseCidr } from '../network/addr.js';
import { hostsFile, parseResolv, resolvFile } from '../network/etcfiles.js';
import type { NetworkManager } from '../network/manager.js';
import { portRequests } from '../network/ports.js';
import type { EndpointRow, NetworkRow, PortRow } from '../network/store.js';
import type {
  ContainerNetworkRequest, ContainerNetworkResult, ContainerNetworker, EventService, NetworkService,
} from './types.js';

/** How the network service finds a container for connect/disconnect. */
export interface ContainerRef {
  id: string;
  name: string;
  /** Set while the container runs: its netns path. */
  netnsPath?: string;
  /** HostConfig.NetworkMode. */
  networkMode?: string;
  /** Its configured networks by name (applied at start), and how to change them. */
  configured?: Record<string, EndpointSettings>;
  configure?(network: string, cfg: EndpointSettings | null): void;
  /** The container's /etc/resolv.conf on the host (rewritten when a running one joins its first user network). */
  resolvConfPath?: string;
}
export type ContainerLookup = (idOrName: string) => ContainerRef | Promise<ContainerRef>;

export interface NetworkServiceOptions {
  manager: NetworkManager;
  events?: EventService;
  containers?: ContainerLookup;
  /**
   * Called when a running container gains (settings) or loses (null) an endpoint through
   * connect/disconnect, so its NetworkSettings.Networks follows as with dockerd.
   */
  onEndpointChange?: (containerId: string, network: string, settings: EndpointSettings | null) => void;
}

const labelMatch = (labels: Record<string, string>, f: string) => {
  const i = f.indexOf('=');
  return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
};

export class BridgeNetworkService implements NetworkService {
  private readonly m: NetworkManager;
  constructor(private readonly o: NetworkServiceOptions) {
    this.m = o.manager;
  }

  /** Lets the daemon wire the container lookup after both services exist. */
  setContainerLookup(fn: ContainerLookup): void {
    this.o.containers = fn;
  }

  async list(filters: Record<string, string[]> = {}): Promise<Record<string, unknown>[]> {
    const all = this.m.store.networks().filter((n) => this.matches(n, filters));
    // From API 1.28 the list leaves Containers empty (only GET /networks/{id} fills it).
    return all.map((n) => ({ ...this.view(n), Containers: {} }));
  }

  private matches(n: NetworkRow, f: Record<string, string[]>): boolean {
    const any = (k: string, ok: (v: string) => boolean) => !f[k]?.length || f[k]!.some(ok);
    const dangling = (v: string) => (v === 'true' || v === '1') === (!n.builtin && this.m.store.endpoints(n.id).length === 0);
    return any('name', (v) => n.name.includes(v)) && any('id', (v) => n.id.startsWith(v)) &&
      any('driver', (v) => n.driver === v) && (!f.label?.length || f.label.every((v) => labelMatch(n.labels, v))) &&
      any('type', (v) => (v === 'builtin') === n.builtin) && any('dangling', dangling) && any('scope', (v) => v === 'local');
  }

  async inspect(idOrName: string): Promise<Record<string, unknown>> {
    return this.view(this.m.find(idOrName));
  }

  /** Docker's network JSON. */
  view(n: NetworkRow): Record<string, unknown> {
    const containers: Record<string, unknown> = {};
    for (const e of this.m.store.endpoints(n.id)) {
      containers[e.containerId] = { Name: e.containerName, EndpointID: e.endpointId, MacAddress: e.mac,
        IPv4Address: `${e.ip}/${parseCidr(n.subnet).prefix}`, IPv6Address: '' };
    }
    const config = n.subnet ? [{ Subnet: n.subnet, ...(n.ipRange ? { IPRange: n.ipRange } : {}), Gateway: n.gateway }] : [];
    return {
      Name: n.name, Id: n.id, Created: n.created, Scope: 'local', Driver: n.driver, EnableIPv6: false,
      IPAM: { Driver: 'default', Options: n.builtin ? null : n.ipamOptions, Config: config },
      Internal: n.internal, Attachable: n.attachable, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
      Containers: containers, Options: n.options, Labels: n.labels,
    };
  }

  async create(body: Record<string, any>): Promise<{ Id: string; Warning: string }> {
    const name = String(body.Name ?? '');
    if (!name) throw invalid('network name is required');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw invalid(`invalid network name "${name}"`);
    const driver = body.Driver || 'bridge';
    if (driver === 'host' || driver === 'null' || driver === 'none') {
      throw new EngineError('PermissionDenied', `only one instance of "${driver === 'none' ? 'null' : driver}" network is allowed`);
    }
    if (driver !== 'bridge') throw invalid(`network driver "${driver}" is not supported by hako (only "bridge")`);
    if (body.EnableIPv6) throw invalid('IPv6 networks are not supported by hako');
    const cfg = (body.IPAM?.Config ?? []) as Array<Record<string, string>>;
    if (cfg.length > 1) throw invalid('hako supports one IPv4 subnet per network');
    const c = cfg[0] ?? {};
    const n = await this.m.createNetwork({ name, internal: !!body.Internal, attachable: !!body.Attachable,
      subnet: c.Subnet || undefined, gateway: c.Gateway || undefined, ipRange: c.IPRange || undefined,
      options: body.Options ?? {}, labels: body.Labels ?? {}, ipamOptions: body.IPAM?.Options ?? null });
    this.emit('create', n);
    return { Id: n.id, Warning: '' };
  }

  async remove(idOrName: string): Promise<void> {
    const n = this.m.find(idOrName);
    await this.dropRemoved(n);
    if (!n.builtin && this.m.store.pendingCount(n.id) > 0) {
      throw new EngineError('Conflict', `error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    }
    await this.m.removeNetwork(n.id);
    this.emit('destroy', n);
  }

  async prune(filters: Record<string, string[]> = {}): Promise<{ NetworksDeleted: string[] | null }> {
    const deleted: string[] = [];
    const until = filters.until?.[0] ? Date.parse(filters.until[0]) || Number(filters.until[0]) * 1000 : undefined;
    for (const n of this.m.store.networks()) {
      if (!n.builtin) await this.dropRemoved(n);
      if (n.builtin || this.m.store.endpoints(n.id).length || this.m.store.pendingCount(n.id)) continue;
      if (filters.label?.length && !filters.label.every((v) => labelMatch(n.labels, v))) continue;
      if (until !== undefined && Date.parse(n.created) > until) continue;
      await this.m.removeNetwork(n.id);
      this.emit('destroy', n);
      deleted.push(n.name);
    }
    // dockerd: null when nothing was deleted
    return { NetworksDeleted: deleted.length ? deleted : null };
  }

  async connect(idOrName: string, body: { Container: string; EndpointConfig?: EndpointSettings | null }): Promise<void> {
    const n = this.m.find(idOrName);
    if (n.driver !== 'bridge') throw invalid(`container cannot be disconnected from host network or connected to ${n.name} network`);
    const c = await this.container(body.Container);
    const cfg = body.EndpointConfig ?? {};
    const mode = c.networkMode ?? '';
    if (mode === 'host' || mode.startsWith('container:')) {
      throw invalid('container sharing network namespace with another container or host cannot be connected to any other network');
    }
    if (mode === 'none') throw invalid('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    if (!c.netnsPath) {
      // dockerd records it for the next start; connecting twice is not an error.
      if (c.configure) c.configure(n.name, cfg);
      else this.m.store.setPending(c.id, n.id, cfg);
      return;
    }
    const e = await this.m.connect(n.id, { containerId: c.id, containerName: c.name, netns: c.netnsPath,
      ip: cfg.IPAMConfig?.IPv4Address, mac: cfg.MacAddress, aliases: cfg.Aliases ?? [] });
    if (c.configure) c.configure(n.name, cfg);
    else this.m.store.setPending(c.id, n.id, cfg);
    if (!n.builtin && c.resolvConfPath) {
      const gws = this.m.store.endpointsOf(c.id).map((x) => this.m.store.network(x.networkId)).filter((x) => x && !x.builtin).map((x) => x!.gateway);
      await useEmbeddedDns(c.resolvConfPath, n.gateway, gws);
    }
    this.o.onEndpointChange?.(c.id, n.name, endpointView(n, e, cfg));
    this.emit('connect', n, c.id);
  }

  async disconnect(idOrName: string, body: { Container: string; Force?: boolean }): Promise<void> {
    const n = this.m.find(idOrName);
    let c: ContainerRef;
    try {
      c = await this.container(body.Container);
    } catch (e) {
      if (!body.Force) throw e;
      const ep = this.m.store.endpoints(n.id).find((x) => x.containerName === body.Container || x.containerId === body.Container);
      if (!ep) throw notFound(`endpoint ${body.Container} not found`);
      c = { id: ep.containerId, name: ep.containerName };
    }
    const id = c.id;
    const wired = this.m.store.endpointsOf(id).some((e) => e.networkId === n.id);
    const configured = !!c.configured && n.name in c.configured;
    const pending = this.m.store.pending(id).some((p) => p.networkId === n.id);
    if (!c.netnsPath && !wired) {
      // Not running: dockerd only drops it from the container's configuration.
      if (!configured && !pending) throw invalid(`container ${id} is not connected to the network ${n.name}`);
      c.configure?.(n.name, null);
      this.m.store.deletePending(id, n.id);
      return;
    }
    if (!wired && !pending) throw invalid(`container ${id} is not connected to network ${n.name}`);
    this.m.store.deletePending(id, n.id);
    c.configure?.(n.name, null);
    await this.m.disconnect(n.id, id);
    this.o.onEndpointChange?.(id, n.name, null);
    this.emit('disconnect', n, id);
  }

  /**
   * Releases the endpoints and pending connections of containers already removed whose
   * host clean-up still runs in the background, so that `docker rm -f c && docker
   * network rm n` works as with dockerd (and leftovers of a crash do not pin a network).
   */
  private async dropRemoved(n: NetworkRow): Promise<void> {
    if (!this.o.containers) return;
    const ids = new Set([...this.m.store.endpoints(n.id).map((e) => e.containerId), ...this.m.store.pendingContainers(n.id)]);
    for (const id of ids) {
      const gone = await Promise.resolve().then(() => this.o.containers!(id)).then(() => false,
        (e) => e instanceof EngineError && e.code === 'NotFound');
      if (!gone) continue;
      this.m.store.deletePending(id);
      await this.m.releaseContainer(id);
    }
  }

  private async container(idOrName: string): Promise<ContainerRef> {
    if (!this.o.containers) throw notFound(`No such container: ${idOrName}`);
    return this.o.containers(idOrName);
  }

  private emit(action: string, n: NetworkRow, container?: string): void {
    const attrs: Record<string, string> = { name: n.name, type: n.driver };
    if (container) attrs.container = container;
    this.o.events?.emit({ Type: 'network', Action: action, Actor: { ID: n.id, Attributes: attrs } });
  }
}

export interface NetworkerOptions {
  resolvConfPath?: string;
  hostsPath?: string;
  /** dockerd's network connect/disconnect events when a container's start wires it and its exit unwires it. */
  events?: EventService;
}

/** The ContainerNetworker of the container service: wires a container's netns at start. */
export class BridgeNetworker implements ContainerNetworker {
  constructor(private readonly m: NetworkManager, private readonly o: NetworkerOptions = {}) {}

  /** Creates /run/netns/<instance>-<12 hex of id> for the container and returns its path. */
  createNetns(containerId: string): Promise<string> {
    return this.m.createNetns(containerId);
  }

  removeNetns(containerId: string): Promise<void> {
    return this.m.deleteNetns(containerId);
  }

  /** On container removal: forgets the networks it was connected to while stopped. */
  async forget(containerId: string): Promise<void> {
    await this.teardown(containerId);
    this.m.store.deletePending(containerId);
  }

  rename(containerId: string, name: string): void {
    this.m.store.renameContainer(containerId, name);
  }

  async exists(nameOrId: string): Promise<boolean> {
    this.m.find(nameOrId);
    return true;
  }

  async networkName(nameOrId: string): Promise<string> {
    return this.m.find(nameOrId).name;
  }

  async teardown(containerId: string): Promise<void> {
    for (const e of this.m.store.endpointsOf(containerId)) {
      const n = this.m.store.network(e.networkId);
      if (n) this.event('disconnect', n, containerId);
    }
    await this.m.releaseContainer(containerId).catch(() => {});
  }

  private event(action: string, n: NetworkRow, container: string): void {
    this.o.events?.emit({ Type: 'network', Action: action, Actor: { ID: n.id, Attributes: { container, name: n.name, type: n.driver } } });
  }

  async setup(req: ContainerNetworkRequest): Promise<ContainerNetworkResult> {
    const hostResolv = await readFile(this.o.resolvConfPath ?? '/etc/resolv.conf', 'utf8').catch(() => '');
    const mode = req.networkMode || 'default';
    const resolvOf = (embedded?: string) => resolvFile({ host: hostResolv, dns: req.dns, dnsSearch: req.dnsSearch,
      dnsOptions: req.dnsOptions, embedded });
    const gw = this.m.defaultBridge().gateway;
    if (mode === 'none' || mode === 'host' || mode.startsWith('container:')) {
      const hosts = mode === 'host'
        ? (await readFile(this.o.hostsPath ?? '/etc/hosts', 'utf8').catch(() => '')) + hostsFile({ hostname: req.hostname,
          addresses: [], extraHosts: req.extraHosts, hostGateway: gw }).split('\n').slice(6).join('\n')
        : hostsFile({ hostname: req.hostname, addresses: [], extraHosts: req.extraHosts, hostGateway: gw });
      const net = this.m.store.byName(mode === 'host' ? 'host' : 'none');
      const networks = net && !mode.startsWith('container:') ? { [net.name]: { NetworkID: net.id, EndpointID: '' } } : {};
      return { networks, ports: {}, hosts, resolvConf: mode === 'host' ? hostResolv : resolvOf() };
    }
    await this.m.releaseContainer(req.containerId);
    try {
      return await this.wire(req, resolvOf);
    } catch (e) {
      await this.m.releaseContainer(req.containerId).catch(() => {});
      throw e;
    }
  }

  /** Connects the container's configured networks (req.endpoints, the first one publishes ports) and pending ones. */
  private async wire(req: ContainerNetworkRequest, resolvOf: (e?: string) => string): Promise<ContainerNetworkResult> {
    const wanted = new Map<string, { net: NetworkRow; cfg: EndpointSettings }>();
    for (const [key, cfg] of Object.entries(req.endpoints)) {
      const n = this.m.find(key === 'default' ? 'bridge' : key);
      if (!wanted.has(n.id)) wanted.set(n.id, { net: n, cfg });
    }
    for (const p of this.m.store.pending(req.containerId)) {
      const n = this.m.store.network(p.networkId);
      if (n && !wanted.has(n.id)) wanted.set(n.id, { net: n, cfg: p.config });
    }
    const networks: Record<string, EndpointSettings> = {};
    if (!wanted.size) {
      // Disconnected from every network before it started: loopback only, as with dockerd.
      return { networks, ports: {}, resolvConf: resolvOf(),
        hosts: hostsFile({ hostname: req.hostname, addresses: [], extraHosts: req.extraHosts, hostGateway: this.m.defaultBridge().gateway }) };
    }
    const eps: Array<[NetworkRow, EndpointRow]> = [];
    for (const { net, cfg } of wanted.values()) {
      if (net.driver !== 'bridge') throw invalid(`container cannot be connected to network ${net.name} and others`);
      const aliases = [...(cfg.Aliases ?? [])];
      const e = await this.m.connect(net.id, { containerId: req.containerId, containerName: req.containerName,
        netns: req.netnsPath, ip: cfg.IPAMConfig?.IPv4Address, mac: cfg.MacAddress, aliases });
      eps.push([net, e]);
      networks[net.name] = endpointView(net, e, cfg);
      this.event('connect', net, req.containerId);
    }
    const [firstNet, firstEp] = eps[0]!;
    const reqs = portRequests(req.portBindings, req.exposedPorts, req.publishAllPorts);
    const published = firstNet.internal ? [] : await this.m.publish(req.containerId, firstNet.id, firstEp.ip, reqs);
    const userNet = eps.find(([n]) => !n.builtin);
    return {
      networks,
      ports: portsView(req, published),
      hosts: hostsFile({ hostname: req.hostname, addresses: [firstEp.ip], extraHosts: req.extraHosts,
        hostGateway: firstNet.gateway }),
      resolvConf: resolvOf(userNet ? userNet[0].gateway : undefined),
    };
  }
}

function endpointView(n: NetworkRow, e: EndpointRow, cfg: EndpointSettings): EndpointSettings {
  return {
    IPAMConfig: cfg.IPAMConfig ?? null, Links: cfg.Links ?? null, Aliases: cfg.Aliases ?? null, MacAddress: e.mac,
    NetworkID: n.id, EndpointID: e.endpointId, Gateway: n.gateway, IPAddress: e.ip,
    IPPrefixLen: parseCidr(n.subnet).prefix, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
    DriverOpts: cfg.DriverOpts ?? null,
    DNSNames: n.builtin ? null : [e.containerName, ...e.aliases, e.containerId.slice(0, 12)],
  };
}

function portsView(req: ContainerNetworkRequest, rows: PortRow[]): Record<string, PortBinding[] | null> {
  const out: Record<string, PortBinding[] | null> = {};
  for (const k of [...req.exposedPorts, ...Object.keys(req.portBindings)]) out[k.includes('/') ? k : `${k}/tcp`] = null;
  for (const r of rows) {
    const k = `${r.containerPort}/${r.proto}`;
    (out[k] ??= []).push({ HostIp: r.hostIp || '0.0.0.0', HostPort: String(r.hostPort) });
  }
  return out;
}

/**
 * A running container connected to its first user-defined network starts using the
 * embedded DNS server, as dockerd rebuilds resolv.conf then: its nameservers become the
 * network's resolver (which forwards other names to the host's), search and options stay.
 */
async function useEmbeddedDns(path: string, gateway: string, userGateways: string[]): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const cur = parseResolv(text).nameservers;
  if (userGateways.some((g) => g !== gateway && cur.includes(g)) || cur.includes(gateway)) return;
  const rest = text.split('\n').filter((l) => l && !/^\s*nameserver\s/.test(l));
  await writeFile(path, [`nameserver ${gateway}`, ...rest].join('\n') + '\n');
}
