/** The /etc/hosts and /etc/resolv.conf a container gets, as dockerd writes them. */

export interface HostsInput {
  hostname: string;
  /** The container's addresses (first network first); empty for --network none. */
  addresses: string[];
  /** --add-host entries "name:ip" or "name=ip"; ip "host-gateway" means `hostGateway`. */
  extraHosts: string[];
  hostGateway?: string;
}

export function hostsFile(h: HostsInput): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const e of h.extraHosts) {
    const i = e.search(/[:=]/);
    if (i <= 0) continue;
    let ip = e.slice(i + 1).trim();
    if (ip === 'host-gateway') ip = h.hostGateway ?? '';
    if (ip) lines.push(`${ip.replace(/^\[(.*)\]$/, '$1')}\t${e.slice(0, i).trim()}`);
  }
  for (const a of h.addresses.slice(0, 1)) lines.push(`${a}\t${h.hostname}`);
  return lines.join('\n') + '\n';
}

export interface ResolvInput {
  /** The host's /etc/resolv.conf text. */
  host: string;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  /** The embedded DNS server's address (user-defined networks); undefined on the default bridge. */
  embedded?: string;
}

const FALLBACK = ['8.8.8.8', '8.8.4.4'];

/** Nameservers of the host's resolv.conf a container can reach (not 127.x / ::1). */
export function hostNameservers(text: string): string[] {
  return parseResolv(text).nameservers.filter((n) => !/^127\./.test(n) && n !== '::1');
}

export function parseResolv(text: string): { nameservers: string[]; search: string[]; options: string[] } {
  const out = { nameservers: [] as string[], search: [] as string[], options: [] as string[] };
  for (const raw of text.split('\n')) {
    const f = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (f[0] === 'nameserver' && f[1]) out.nameservers.push(f[1]);
    if ((f[0] === 'search' || f[0] === 'domain') && f.length > 1) out.search = f.slice(1);
    if (f[0] === 'options') out.options.push(...f.slice(1));
  }
  return out;
}

export function resolvFile(r: ResolvInput): string {
  const host = parseResolv(r.host);
  let servers: string[];
  if (r.embedded) servers = [r.embedded];
  else if (r.dns.length) servers = r.dns;
  else {
    servers = hostNameservers(r.host);
    if (servers.length === 0) servers = FALLBACK;
  }
  const search = r.dnsSearch.length ? r.dnsSearch : host.search;
  const options = [...r.dnsOptions.length ? r.dnsOptions : host.options];
  // dockerd with its embedded DNS: single-label names go to it first (ndots:0) unless told otherwise
  if (r.embedded && !options.some((o) => o.startsWith('ndots:'))) options.push('ndots:0');
  const lines = servers.map((s) => `nameserver ${s}`);
  if (search.length && !(search.length === 1 && search[0] === '.')) lines.push(`search ${search.join(' ')}`);
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + '\n';
}
