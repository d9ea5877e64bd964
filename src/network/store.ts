/**
 * Network state in the daemon's SQLite database: networks, allocated addresses,
 * endpoints (a container on a network) and published ports. The host objects
 * (bridges, veths, nft rules) are always derived from these rows, so a restarted
 * daemon can rebuild or clean them.
 */
import type { Db } from '../platform/sqlite.js';

export interface NetworkRow {
  id: string;
  name: string;
  driver: string;
  created: string;
  internal: boolean;
  attachable: boolean;
  builtin: boolean;
  /** Host bridge interface; '' for host/none. */
  bridge: string;
  subnet: string;
  gateway: string;
  ipRange: string;
  /** True when the user gave the subnet (docker allows --ip only then). */
  userSubnet: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
  ipamOptions: Record<string, string> | null;
}

export interface EndpointRow {
  networkId: string;
  containerId: string;
  endpointId: string;
  containerName: string;
  ip: string;
  mac: string;
  veth: string;
  ifname: string;
  aliases: string[];
  netns: string;
}

export interface PortRow {
  containerId: string;
  networkId: string;
  proto: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

const schema = `
CREATE TABLE IF NOT EXISTS net_networks (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, driver TEXT NOT NULL, created TEXT NOT NULL,
  internal INTEGER NOT NULL, attachable INTEGER NOT NULL, builtin INTEGER NOT NULL,
  bridge TEXT NOT NULL, subnet TEXT NOT NULL, gateway TEXT NOT NULL, ip_range TEXT NOT NULL,
  user_subnet INTEGER NOT NULL, options TEXT NOT NULL, labels TEXT NOT NULL, ipam_options TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS net_addrs (
  network_id TEXT NOT NULL REFERENCES net_networks(id) ON DELETE CASCADE,
  address TEXT NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (network_id, address));
CREATE TABLE IF NOT EXISTS net_endpoints (
  network_id TEXT NOT NULL REFERENCES net_networks(id), container_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL, container_name TEXT NOT NULL, ip TEXT NOT NULL, mac TEXT NOT NULL,
  veth TEXT NOT NULL, ifname TEXT NOT NULL, aliases TEXT NOT NULL, netns TEXT NOT NULL,
  PRIMARY KEY (network_id, container_id));
CREATE TABLE IF NOT EXISTS net_ports (
  container_id TEXT NOT NULL, network_id TEXT NOT NULL, proto TEXT NOT NULL, host_ip TEXT NOT NULL,
  host_port INTEGER NOT NULL, container_ip TEXT NOT NULL, container_port INTEGER NOT NULL,
  PRIMARY KEY (proto, host_ip, host_port));
CREATE TABLE IF NOT EXISTS net_pending (
  container_id TEXT NOT NULL, network_id TEXT NOT NULL REFERENCES net_networks(id) ON DELETE CASCADE,
  config TEXT NOT NULL, PRIMARY KEY (container_id, network_id));
`;

const toNetwork = (r: any): NetworkRow => ({
  id: r.id, name: r.name, driver: r.driver, created: r.created,
  internal: !!r.internal, attachable: !!r.attachable, builtin: !!r.builtin,
  bridge: r.bridge, subnet: r.subnet, gateway: r.gateway, ipRange: r.ip_range, userSubnet: !!r.user_subnet,
  options: JSON.parse(r.options), labels: JSON.parse(r.labels), ipamOptions: JSON.parse(r.ipam_options),
});

const toEndpoint = (r: any): EndpointRow => ({
  networkId: r.network_id, containerId: r.container_id, endpointId: r.endpoint_id,
  containerName: r.container_name, ip: r.ip, mac: r.mac, veth: r.veth, ifname: r.ifname,
  aliases: JSON.parse(r.aliases), netns: r.netns,
});

const toPort = (r: any): PortRow => ({
  containerId: r.container_id, networkId: r.network_id, proto: r.proto, hostIp: r.host_ip,
  hostPort: r.host_port, containerIp: r.container_ip, containerPort: r.container_port,
});

export class NetworkStore {
  constructor(readonly db: Db) {
    db.exec(schema);
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  networks(): NetworkRow[] {
    return this.db.prepare('SELECT * FROM net_networks ORDER BY created, name').all().map(toNetwork);
  }

  network(id: string): NetworkRow | undefined {
    const r = this.db.prepare('SELECT * FROM net_networks WHERE id = ?').get(id);
    return r ? toNetwork(r) : undefined;
  }

  byName(name: string): NetworkRow | undefined {
    const r = this.db.prepare('SELECT * FROM net_networks WHERE name = ?').get(name);
    return r ? toNetwork(r) : undefined;
  }

  insertNetwork(n: NetworkRow): void {
    this.db.prepare(`INSERT INTO net_networks VALUES (@id, @name, @driver, @created, @internal, @attachable,
      @builtin, @bridge, @subnet, @gateway, @ipRange, @userSubnet, @options, @labels, @ipamOptions)`).run({
      ...n, internal: +n.internal, attachable: +n.attachable, builtin: +n.builtin, userSubnet: +n.userSubnet,
      options: JSON.stringify(n.options), labels: JSON.stringify(n.labels), ipamOptions: JSON.stringify(n.ipamOptions),
    });
  }

  deleteNetwork(id: string): void {
    this.db.prepare('DELETE FROM net_networks WHERE id = ?').run(id);
  }

  addresses(networkId: string): Map<string, string> {
    const rows = this.db.prepare('SELECT address, owner FROM net_addrs WHERE network_id = ?').all(networkId) as any[];
    return new Map(rows.map((r) => [r.address, r.owner]));
  }

  /** Claims an address; false when it is taken (the primary key guards races). */
  claim(networkId: string, address: string, owner: string): boolean {
    const r = this.db.prepare('INSERT OR IGNORE INTO net_addrs VALUES (?, ?, ?)').run(networkId, address, owner);
    return r.changes === 1;
  }

  release(networkId: string, owner: string): void {
    this.db.prepare('DELETE FROM net_addrs WHERE network_id = ? AND owner = ?').run(networkId, owner);
  }

  endpoints(networkId?: string): EndpointRow[] {
    const q = networkId
      ? this.db.prepare('SELECT * FROM net_endpoints WHERE network_id = ?').all(networkId)
      : this.db.prepare('SELECT * FROM net_endpoints').all();
    return q.map(toEndpoint);
  }

  endpointsOf(containerId: string): EndpointRow[] {
    return this.db.prepare('SELECT * FROM net_endpoints WHERE container_id = ?').all(containerId).map(toEndpoint);
  }

  insertEndpoint(e: EndpointRow): void {
    this.db.prepare(`INSERT INTO net_endpoints VALUES (@networkId, @containerId, @endpointId, @containerName,
      @ip, @mac, @veth, @ifname, @aliases, @netns)`).run({ ...e, aliases: JSON.stringify(e.aliases) });
  }

  /** docker rename: the container answers to its new name on every network. */
  renameContainer(containerId: string, name: string): void {
    this.db.prepare('UPDATE net_endpoints SET container_name = ? WHERE container_id = ?').run(name, containerId);
  }

  deleteEndpoint(networkId: string, containerId: string): void {
    this.db.prepare('DELETE FROM net_endpoints WHERE network_id = ? AND container_id = ?').run(networkId, containerId);
  }

  ports(): PortRow[] {
    return this.db.prepare('SELECT * FROM net_ports ORDER BY container_id, container_port').all().map(toPort);
  }

  insertPort(p: PortRow): void {
    this.db.prepare(`INSERT INTO net_ports VALUES (@containerId, @networkId, @proto, @hostIp, @hostPort,
      @containerIp, @containerPort)`).run(p);
  }

  deletePorts(containerId: string): void {
    this.db.prepare('DELETE FROM net_ports WHERE container_id = ?').run(containerId);
  }

  /** Networks a stopped container was connected to; wired at its next start. */
  pending(containerId: string): Array<{ networkId: string; config: any }> {
    const rows = this.db.prepare('SELECT network_id, config FROM net_pending WHERE container_id = ?').all(containerId) as any[];
    return rows.map((r) => ({ networkId: r.network_id, config: JSON.parse(r.config) }));
  }

  setPending(containerId: string, networkId: string, config: unknown): void {
    this.db.prepare('INSERT OR REPLACE INTO net_pending VALUES (?, ?, ?)').run(containerId, networkId, JSON.stringify(config ?? {}));
  }

  deletePending(containerId: string, networkId?: string): void {
    if (networkId) this.db.prepare('DELETE FROM net_pending WHERE container_id = ? AND network_id = ?').run(containerId, networkId);
    else this.db.prepare('DELETE FROM net_pending WHERE container_id = ?').run(containerId);
  }

  /** Containers with a pending connection to the network. */
  pendingContainers(networkId: string): string[] {
    return (this.db.prepare('SELECT container_id FROM net_pending WHERE network_id = ?').all(networkId) as any[]).map((r) => r.container_id);
  }

  pendingCount(networkId: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM net_pending WHERE network_id = ?').get(networkId) as any).n;
  }
}
