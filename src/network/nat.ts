/**
 * NAT and filtering for this instance's bridges, in one nft table of our own
 * (`table ip <instance>`), rebuilt from state as one atomic `nft -f` transaction on
 * every change: masquerade out of each non-internal bridge, isolation between our
 * bridges, no forwarding at all in or out of --internal bridges, DNAT of published
 * ports from other hosts (prerouting), from the host itself including 127.0.0.1
 * (output; needs route_localnet on the bridge and masquerade of 127.0.0.0/8), and
 * hairpin (a container reaching a published port via a host address).
 *
 * Coexisting with dockerd: dockerd sets the iptables filter FORWARD policy to DROP,
 * and in nftables a packet dropped by any base chain is dropped, whatever our table
 * accepted. Like netavark's iptables driver, we then keep a chain of our own in
 * iptables' filter table (`<INSTANCE>-FORWARD`, jumped to from the top of FORWARD)
 * that accepts what leaves our bridges and the replies/DNAT'd flows into them.
 * Our own forward chain runs first (priority filter - 10) and drops what must not
 * pass (isolation, internal), so that accept never widens our policy. The chain is
 * installed only when iptables' filter table exists (an iptables user is present;
 * mode 'auto'), always, or never; dockerd does not flush FORWARD nor our chain. In
 * 'auto', a filter table created after our last change (a dockerd started after
 * hakod) is seen through nftables' table events (watchIptables) and gets the chain
 * at once, without polling and without a cost on container start.
 */
import type { FirewallTool } from '../platform/nft.js';
import type { IpTool } from '../platform/ip.js';
import { iptablesChain, tableName } from './names.js';

export interface NatNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
}

export interface NatPort {
  proto: 'tcp' | 'udp';
  /** '' or 0.0.0.0: every local address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

export type IptablesCompat = 'auto' | 'always' | 'never';

const q = (s: string) => JSON.stringify(s);

function forwardRules(nets: NatNetwork[]): string[] {
  const bridges = nets.map((n) => q(n.bridge));
  const out: string[] = [];
  for (const n of nets.filter((x) => x.internal)) {
    const b = q(n.bridge);
    out.push(`iifname ${b} oifname != ${b} drop`, `oifname ${b} iifname != ${b} drop`);
  }
  // Published ports answer containers of every network (hairpin through the host's
  // address), as docker's do: a DNAT'd connection crosses bridges, in both directions.
  const open = nets.filter((x) => !x.internal);
  if (open.length > 1) out.push('ct status dnat accept');
  for (const n of open) {
    if (bridges.length > 1) out.push(`iifname ${q(n.bridge)} oifname != ${q(n.bridge)} oifname { ${bridges.join(', ')} } drop`);
  }
  return out;
}

function postroutingRules(nets: NatNetwork[]): string[] {
  const out: string[] = [];
  for (const n of nets) {
    const b = q(n.bridge);
    out.push(`oifname ${b} ip saddr 127.0.0.0/8 masquerade`);
    out.push(`oifname ${b} ip saddr ${n.subnet} ct status dnat masquerade`);
    if (!n.internal) out.push(`oifname != ${b} ip saddr ${n.subnet} masquerade`);
  }
  return out;
}

function portRules(ports: NatPort[]): string[] {
  return ports.map((p) => {
    const daddr = p.hostIp && p.hostIp !== '0.0.0.0' ? `ip daddr ${p.hostIp} ` : '';
    return `${daddr}${p.proto} dport ${p.hostPort} dnat to ${p.containerIp}:${p.containerPort}`;
  });
}

const chain = (name: string, head: string | null, rules: string[]) =>
  [`  chain ${name} {`, ...(head ? [`    ${head}`] : []), ...rules.map((r) => `    ${r}`), '  }'].join('\n');

/** The whole table as one transaction: create-if-missing, delete, create with content. */
export function renderTable(table: string, nets: NatNetwork[], ports: NatPort[]): string {
  return [
    `table ip ${table} {}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    chain('published', null, portRules(ports)),
    chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', ['fib daddr type local jump published']),
    chain('output', 'type nat hook output priority -100; policy accept;', ['fib daddr type local jump published']),
    chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', postroutingRules(nets)),
    chain('forward', 'type filter hook forward priority filter - 10; policy accept;', forwardRules(nets)),
    '}',
    '',
  ].join('\n');
}

/** The iptables-restore input for our accept chain in filter FORWARD. */
export function renderIptablesChain(chainName: string, nets: NatNetwork[]): string {
  const lines = ['*filter', `:${chainName} - [0:0]`];
  for (const n of nets) {
    lines.push(`-A ${chainName} -i ${n.bridge} -j ACCEPT`);
    lines.push(`-A ${chainName} -o ${n.bridge} -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

export class NatManager {
  readonly table: string;
  readonly chain: string;
  private compatInstalled = false;

  constructor(private readonly fw: FirewallTool, private readonly ip: IpTool, instance: string,
    private readonly compat: IptablesCompat = 'auto') {
    this.table = tableName(instance);
    this.chain = iptablesChain(instance);
  }

  /** Rebuilds everything from state: one nft transaction, plus the iptables chain when needed. */
  async sync(nets: NatNetwork[], ports: NatPort[]): Promise<void> {
    await this.ip.sysctl('net.ipv4.ip_forward', '1');
    for (const n of nets) await this.ip.sysctl(`net.ipv4.conf.${n.bridge}.route_localnet`, '1').catch(() => {});
    await this.fw.apply(renderTable(this.table, nets, ports));
    await this.syncIptables(nets);
  }

  private async syncIptables(nets: NatNetwork[]): Promise<void> {
    if (this.compat === 'never') return;
    if (this.compat === 'auto' && !this.compatInstalled) {
      const tables = await this.fw.tables();
      if (!tables.some((t) => t.family === 'ip' && t.name === 'filter')) return;
    }
    await this.fw.iptablesRestore(renderIptablesChain(this.chain, nets));
    if ((await this.fw.iptables(['-C', 'FORWARD', '-j', this.chain])) !== 0) {
      await this.fw.iptables(['-I', 'FORWARD', '1', '-j', this.chain]);
    }
    this.compatInstalled = true;
  }

  /**
   * Mode 'auto': calls `resync` (which ends in sync()) shortly after iptables' filter
   * table appears, so our accept chain goes in before the newcomer's FORWARD DROP
   * matters; a deleted filter table takes our chain with it, and is not recreated by
   * us. Returns the function that stops watching.
   */
  watchIptables(resync: () => void): () => void {
    if (this.compat !== 'auto') return () => {};
    let timer: NodeJS.Timeout | undefined;
    const stop = this.fw.watchTables((e) => {
      if (e.family !== 'ip' || e.name !== 'filter') return;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (e.op === 'delete') {
        this.compatInstalled = false;
        return;
      }
      // An iptables user sets its table up in a burst of commands: one resync for it.
      timer = setTimeout(() => { timer = undefined; resync(); }, 50);
      timer.unref?.();
    });
    return () => {
      if (timer) clearTimeout(timer);
      stop();
    };
  }

    /** Removes our table and iptables chain (daemon uninstall, tests). */
  async removeAll(): Promise<void> {
    await this.fw.apply(`table ip ${this.table} {}\ndelete table ip ${this.table}\n`);
    if (this.compat === 'never') return;
    const tables = await this.fw.tables();
    if (!tables.some((t) => t.family === 'ip' && t.name === 'filter')) return;
    for (let i = 0; i < 8 && (await this.fw.iptables(['-D', 'FORWARD', '-j', this.chain])) === 0; i++);
    await this.fw.iptables(['-F', this.chain]);
    await this.fw.iptables(['-X', this.chain]);
    this.compatInstalled = false;
  }
}
