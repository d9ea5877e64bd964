/**
 * NetworkManager: networks and endpoints of one daemon instance, kept in SQLite and
 * mirrored onto the host (bridges, veths, one nft table, embedded DNS sockets).
 * Lifecycle: `init()` once at daemon start (creates the built-in networks, then
 * reconciles the host with state: recreates missing bridges and the nft table, and
 * deletes this instance's bridges, veths and netns that no state backs), then
 * create/remove networks and connect/disconnect containers; `destroy()` removes
 * every host object (tests, uninstall). Every firewall change is one nft transaction
 * rendered from state, serialized so the last write always reflects the latest state.
 */
import { readFile } from 'node:fs/promises';
import { EngineError, alreadyExists, conflict, invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Db } from '../platform/sqlite.js';
import { IpRoute, type IpTool } from '../platform/ip.js';
import { NftFirewall, type FirewallTool } from '../platform/nft.js';
import { macFromIp, parseCidr } from './addr.js';
import { BridgeDriver } from './bridge.js';
import { DnsServer } from './dns.js';
import { parseResolv } from './etcfiles.js';
import { Ipam, hostRoutes, type IpamOptions } from './ipam.js';
import { NatManager, type IptablesCompat } from './nat.js';
import { bridgeName, isOurNetns, isOurVeth, netnsName, validIfName, vethName } from './names.js';
import { PortInUseError, ProcPortProbe, assignPorts, type PortProbe, type PortRequest } from './ports.js';
import { NetworkStore, type EndpointRow, type NetworkRow, type PortRow } from './store.js';

export interface NetworkManagerOptions {
  db: Db;
  /** Names every host object ("hako" -> bridge hako0, table ip hako, veths hakov...). */
  instance: string;
  ip?: IpTool;
  firewall?: FirewallTool;
  portProbe?: PortProbe;
  ipam?: IpamOptions;
  iptablesCompat?: IptablesCompat;
  /** Embedded DNS on user networks (default on, port 53). */
  dns?: { enabled?: boolean; port?: number; upstreams?: string[] };
  resolvConfPath?: string;
  /** Background failures (a firewall resync nobody awaits). */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface NetworkSpec {
  name: string;
  internal?: boolean;
  attachable?: boolean;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  options?: Record<string, string>;
  labels?: Record<string, string>;
  ipamOptions?: Record<string, string> | null;
}

export interface ConnectSpec {
  containerId: string;
  containerName: string;
  netns: string;
  ip?: string;
  mac?: string;
  aliases?: string[];
}

export const BRIDGE_NAME_OPT = 'com.docker.network.bridge.name';
const MTU_OPT = 'com.docker.network.driver.mtu';

export class NetworkManager {
  readonly store: NetworkStore;
  readonly ipam: Ipam;
  readonly instance: string;
  private readonly ip: IpTool;
  private readonly driver: BridgeDriver;
  private readonly nat: NatManager;
  private readonly probe: PortProbe;
  private readonly dns?: DnsServer;
  private fwQueue: Promise<void> = Promise.resolve();
  private upstreams: string[] = [];
  private unwatch?: () => void;

  constructor(private readonly o: NetworkManagerOptions) {
    this.instance = o.instance;
    this.store = new NetworkStore(o.db);
    this.ipam = new Ipam(this.store, o.ipam);
    this.ip = o.ip ?? new IpRoute();
    this.driver = new BridgeDriver(this.ip);
    this.nat = new NatManager(o.firewall ?? new NftFirewall(), this.ip, o.instance, o.iptablesCompat);
    this.probe = o.portProbe ?? new ProcPortProbe();
    if (o.dns?.enabled !== false) {
      this.dns = new DnsServer((n, name) => this.resolveName(n, name), {
        port: o.dns?.port, upstreams: () => this.upstreams,
      });
    }
  }

  /** Daemon start: built-in networks, then the host made to match state. */
  async init(liveContainers?: Set<string>): Promise<void> {
    const text = await readFile(this.o.resolvConfPath ?? '/etc/resolv.conf', 'utf8').catch(() => '');
    this.upstreams = this.o.dns?.upstreams ?? parseResolv(text).nameservers;
    await this.ensureBuiltins();
    await this.reconcile(liveContainers);
    this.unwatch ??= this.nat.watchIptables(() => {
      this.syncFirewall().catch((e) => this.o.log?.('firewall resync after iptables\' filter table appeared failed', { error: String(e) }));
    });
  }

  private async ensureBuiltins(): Promise<void> {
    const created = new Date().toISOString();
    const base = { created, internal: false, attachable: false, builtin: true, subnet: '', gateway: '',
      ipRange: '', userSubnet: false, options: {}, labels: {}, ipamOptions: {} };
    if (!this.store.byName('bridge')) {
      const id = newId();
      const pool = this.ipam.plan({}, await hostRoutes(this.ip), true);
      const n: NetworkRow = { ...base, ...pool, id, name: 'bridge', driver: 'bridge',
        bridge: bridgeName(this.instance, id, true), userSubnet: false,
        options: { 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.enable_icc': 'true',
          'com.docker.network.bridge.enable_ip_masquerade': 'true', [BRIDGE_NAME_OPT]: bridgeName(this.instance, id, true) } };
      this.store.tx(() => { this.store.insertNetwork(n); this.ipam.reserveGateway(n); });
    }
    if (!this.store.byName('host')) this.store.insertNetwork({ ...base, id: newId(), name: 'host', driver: 'host', bridge: '' });
    if (!this.store.byName('none')) this.store.insertNetwork({ ...base, id: newId(), name: 'none', driver: 'null', bridge: '' });
  }

  defaultBridge(): NetworkRow {
    return this.store.byName('bridge')!;
  }

  /** By exact name, full id, or unique id prefix. NotFound "network x not found". */
  find(nameOrId: string): NetworkRow {
    const byName = this.store.byName(nameOrId);
    if (byName) return byName;
    const all = this.store.networks();
    const exact = all.find((n) => n.id === nameOrId);
    if (exact) return exact;
    const pre = nameOrId ? all.filter((n) => n.id.startsWith(nameOrId)) : [];
    if (pre.length === 1) return pre[0]!;
    if (pre.length > 1) throw invalid(`network ${nameOrId} is ambiguous (${pre.length} matches found based on ID prefix)`);
    throw notFound(`network ${nameOrId} not found`);
  }

  async createNetwork(spec: NetworkSpec): Promise<NetworkRow> {
    if (this.store.byName(spec.name)) throw alreadyExists(`network with name ${spec.name} already exists`);
    const id = newId();
    const bridge = spec.options?.[BRIDGE_NAME_OPT] ?? bridgeName(this.instance, id, false);
    if (!validIfName(bridge)) throw invalid(`invalid bridge name "${bridge}"`);
    if (this.store.networks().some((n) => n.bridge === bridge)) throw conflict(`bridge name ${bridge} is already in use`);
    const pool = this.ipam.plan({ subnet: spec.subnet, gateway: spec.gateway, ipRange: spec.ipRange },
      spec.subnet ? [] : await hostRoutes(this.ip));
    const n: NetworkRow = { id, name: spec.name, driver: 'bridge', created: new Date().toISOString(),
      internal: !!spec.internal, attachable: !!spec.attachable, builtin: false, bridge, ...pool,
      options: spec.options ?? {}, labels: spec.labels ?? {}, ipamOptions: spec.ipamOptions ?? null };
    this.store.tx(() => { this.store.insertNetwork(n); this.ipam.reserveGateway(n); });
    try {
      await this.driver.createBridge(bridge, n.gateway, parseCidr(n.subnet).prefix, mtuOf(n));
      await this.syncFirewall();
      await this.startDns(n);
    } catch (e) {
      this.store.deleteNetwork(id);
      await this.driver.deleteBridge(bridge);
      await this.syncFirewall().catch(() => {});
      throw e;
    }
    return n;
  }

  async removeNetwork(nameOrId: string): Promise<NetworkRow> {
    const n = this.find(nameOrId);
    if (n.builtin) throw new EngineError('PermissionDenied', `${n.name} is a pre-defined network and cannot be removed`);
    if (this.store.endpoints(n.id).length) {
      throw conflict(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    }
    this.dns?.close(n.id);
    this.store.deleteNetwork(n.id);
    await this.driver.deleteBridge(n.bridge);
    await this.syncFirewall();
    return n;
  }

  /** Wires a container's netns into a bridge network: address, veth, eth<N>, default route. */
  async connect(nameOrId: string, c: ConnectSpec): Promise<EndpointRow> {
    const n = this.find(nameOrId);
    if (n.driver !== 'bridge') throw invalid(`container cannot be connected to network ${n.name}`);
    const mine = this.store.endpointsOf(c.containerId);
    if (mine.some((e) => e.networkId === n.id)) {
      throw alreadyExists(`endpoint with name ${c.containerName} already exists in network ${n.name}`);
    }
    const ip = this.ipam.allocate(n, c.containerId, c.ip || undefined);
    const hasRoute = mine.some((e) => !this.store.network(e.networkId)?.internal);
    const e: EndpointRow = { networkId: n.id, containerId: c.containerId, endpointId: newId(),
      containerName: c.containerName.replace(/^\//, ''), ip, mac: c.mac || macFromIp(ip),
      veth: vethName(this.instance), ifname: nextIfname(mine), aliases: c.aliases ?? [], netns: c.netns };
    try {
      await this.driver.attach({ bridge: n.bridge, veth: e.veth, netns: c.netns, ifname: e.ifname, ip,
        prefix: parseCidr(n.subnet).prefix, mac: e.mac, gateway: n.gateway,
        defaultRoute: !n.internal && !hasRoute, mtu: mtuOf(n) });
      this.store.insertEndpoint(e);
    } catch (err) {
      this.ipam.release(n.id, c.containerId);
      throw err;
    }
    return e;
  }

  /** Removes a container from a network (veth, address, its published ports there). */
  async disconnect(networkId: string, containerId: string): Promise<void> {
    const e = this.store.endpointsOf(containerId).find((x) => x.networkId === networkId);
    this.store.tx(() => {
      this.store.deleteEndpoint(networkId, containerId);
      this.ipam.release(networkId, containerId);
    });
    if (e) await this.driver.detach([e.veth]);
  }

  /**
   * Publishes ports of a container on the network at `containerIp`: picks host ports
   * (Conflict "Bind for ...: port is already allocated"), records them, rebuilds NAT.
   */
  async publish(containerId: string, networkId: string, containerIp: string, reqs: PortRequest[]): Promise<PortRow[]> {
    if (reqs.length === 0) return [];
    const taken = this.store.ports().map((p) => ({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort }));
    const ignore = new Set(this.store.networks().map((n) => n.gateway).filter(Boolean));
    let chosen: ReturnType<typeof assignPorts>;
    try {
      chosen = assignPorts(reqs, taken, await this.probe.sockets(), await this.probe.ephemeralRange(), ignore);
    } catch (e) {
      if (!(e instanceof PortInUseError)) throw e;
      const ep = this.store.endpointsOf(containerId).find((x) => x.networkId === networkId);
      throw conflict(`driver failed programming external connectivity on endpoint ${ep?.containerName ?? containerId.slice(0, 12)} (${ep?.endpointId ?? ''}): ${e.message}`);
    }
    const rows: PortRow[] = chosen.map((r) => ({ containerId, networkId, proto: r.proto, hostIp: r.hostIp,
      hostPort: r.port, containerIp, containerPort: r.containerPort }));
    this.store.tx(() => rows.forEach((r) => this.store.insertPort(r)));
    await this.syncFirewall();
    return rows;
  }

  /** Releases everything of a container: ports, endpoints, addresses; then deletes its veths. */
  async releaseContainer(containerId: string): Promise<void> {
    const eps = this.store.endpointsOf(containerId);
    const hadPorts = this.store.ports().some((p) => p.containerId === containerId);
    this.store.tx(() => {
      this.store.deletePorts(containerId);
      for (const e of eps) {
        this.store.deleteEndpoint(e.networkId, containerId);
        this.ipam.release(e.networkId, containerId);
      }
    });
    if (hadPorts) await this.syncFirewall();
    if (eps.length) await this.driver.detach(eps.map((e) => e.veth));
  }

  /** Creates the netns of a container under /run/netns and returns its path. */
  async createNetns(containerId: string): Promise<string> {
    const name = netnsName(this.instance, containerId);
    await this.driver.createNetns(name);
    return `/run/netns/${name}`;
  }

  async deleteNetns(containerId: string): Promise<void> {
    await this.driver.deleteNetns([netnsName(this.instance, containerId)]);
  }

  /** Renders the nft table (and iptables accept chain) from state, one change at a time. */
  syncFirewall(): Promise<void> {
    const run = async () => {
      const nets = this.store.networks().filter((n) => n.driver === 'bridge' && n.subnet)
        .map((n) => ({ bridge: n.bridge, subnet: n.subnet, internal: n.internal }));
      const ports = this.store.ports();
      await this.nat.sync(nets, ports);
    };
    const p = this.fwQueue.then(run, run);
    this.fwQueue = p.catch(() => {});
    return p;
  }

  private async startDns(n: NetworkRow): Promise<void> {
    if (!this.dns || n.builtin || n.driver !== 'bridge') return;
    await this.dns.listen(n.id, n.gateway);
  }

  /** Names a container answers to on a network: name, aliases, short id. */
  resolveName(networkId: string, name: string): string[] | undefined {
    const hits = this.store.endpoints(networkId).filter((e) =>
      e.containerName.toLowerCase() === name || e.aliases.some((a) => a.toLowerCase() === name) ||
      e.containerId.slice(0, 12) === name);
    return hits.length ? hits.map((e) => e.ip) : undefined;
  }

  /** Makes the host match state (see the class comment). */
  async reconcile(liveContainers?: Set<string>): Promise<void> {
    if (liveContainers) {
      for (const e of this.store.endpoints()) {
        if (!liveContainers.has(e.containerId)) await this.releaseContainer(e.containerId);
      }
    }
    const links = await this.ip.json(['-d', 'link', 'show']);
    const nets = this.store.networks().filter((n) => n.driver === 'bridge' && n.bridge);
    const wanted = new Set(nets.map((n) => n.bridge));
    const present = new Set(links.map((l) => String(l.ifname)));
    const kind = (l: any) => l.linkinfo?.info_kind;
    const strayBridges = links.filter((l) => kind(l) === 'bridge' && this.isOurBridgeName(l.ifname) && !wanted.has(l.ifname));
    const veths = new Set(this.store.endpoints().map((e) => e.veth));
    const strayVeths = links.filter((l) => kind(l) === 'veth' && isOurVeth(this.instance, l.ifname) && !veths.has(l.ifname));
    await this.ip.batchForce([...strayVeths, ...strayBridges].map((l) => `link del ${l.ifname}`));
    for (const n of nets) {
      const prefix = parseCidr(n.subnet).prefix;
      if (present.has(n.bridge)) await this.driver.repairBridge(n.bridge, n.gateway, prefix);
      else await this.driver.createBridge(n.bridge, n.gateway, prefix, mtuOf(n));
    }
    if (liveContainers) {
      const live = new Set([...liveContainers].map((id) => netnsName(this.instance, id)));
      const stray = (await this.ip.listNetns()).filter((ns) => isOurNetns(this.instance, ns) && !live.has(ns));
      await this.driver.deleteNetns(stray);
    }
    await this.syncFirewall();
    for (const n of nets) await this.startDns(n).catch(() => {});
  }

  private isOurBridgeName(name: string): boolean {
    if (name === bridgeName(this.instance, '', true)) return true;
    const p = `${this.instance}-`;
    const len = Math.min(15, p.length + 12);
    return name.length === len && name.startsWith(p) && /^[0-9a-f]+$/.test(name.slice(p.length));
  }

  /** Stops this process's listeners (DNS, table watch); leaves every host object in place for the next start. */
  shutdown(): void {
    this.stopWatching();
    this.dns?.closeAll();
  }

  private stopWatching(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  /** Removes every host object of this instance (tests, uninstall); state is kept. */
  async destroy(): Promise<void> {
    this.stopWatching();
    this.dns?.closeAll();
    await this.fwQueue;
    const eps = this.store.endpoints();
    await this.driver.detach(eps.map((e) => e.veth));
    const bridges = this.store.networks().filter((n) => n.bridge).map((n) => n.bridge);
    await this.ip.batchForce(bridges.map((b) => `link del ${b}`));
    const ns = (await this.ip.listNetns()).filter((x) => isOurNetns(this.instance, x));
    await this.driver.deleteNetns(ns);
    await this.nat.removeAll();
  }

  closeDns(): void {
    this.dns?.closeAll();
  }
}

function mtuOf(n: NetworkRow): number | undefined {
  const m = Number(n.options[MTU_OPT]);
  return Number.isInteger(m) && m > 0 ? m : undefined;
}

function nextIfname(existing: EndpointRow[]): string {
  const used = new Set(existing.map((e) => e.ifname));
  let i = 0;
  while (used.has(`eth${i}`)) i++;
  return `eth${i}`;
}
