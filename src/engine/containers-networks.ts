/**
 * A container's configured networks: what dockerd keeps in NetworkSettings.Networks while
 * the container does not run. Set at create (the NetworkMode's network, or the request's
 * EndpointsConfig, keyed by network name), changed by `network connect|disconnect` in any
 * state, wired at start and shown by inspect/ps with empty operational fields until then.
 */
import type { EndpointSettings } from '../core/docker.js';
import type { ContainerRecord, ContainerStore } from './containers-store.js';
import type { ContainerNetworker } from './types.js';

type Networks = Record<string, EndpointSettings>;

/** The network name NetworkMode stands for ("default" is the bridge). */
function primaryOf(mode: string): string {
  return mode === 'default' || mode === '' ? 'bridge' : mode;
}

/**
 * At create, as dockerd's updateContainerNetworkSettings: `container:X` becomes X's full id,
 * every network named is keyed by its name. A missing X or network is left as given and
 * fails the start, as with dockerd 20.10: a 404 from create makes the docker CLI pull the
 * image (from Docker Hub) before it shows the error.
 */
export async function prepareNetworks(store: ContainerStore, networker: ContainerNetworker | undefined, c: ContainerRecord): Promise<void> {
  const mode = c.hostConfig.NetworkMode || 'default';
  const known = <T>(fn: () => T, fallback: T): T => { try { return fn(); } catch { return fallback; } };
  if (mode.startsWith('container:')) {
    const ref = mode.slice('container:'.length);
    c.hostConfig.NetworkMode = `container:${known(() => store.resolve(ref).id, ref)}`;
    c.networks = {};
    return;
  }
  const nameOf = async (x: string) => (networker?.networkName ? networker.networkName(primaryOf(x)).catch(() => primaryOf(x)) : primaryOf(x));
  const primary = await nameOf(mode);
  const eps: Networks = {};
  for (const [key, cfg] of Object.entries(c.endpointsConfig ?? {})) eps[await nameOf(key)] = cfg ?? {};
  c.networks = { [primary]: eps[primary] ?? {}, ...eps };
}

/** The configured networks (records made before `networks` existed: NetworkMode's network plus EndpointsConfig). */
export function configuredNetworks(c: ContainerRecord): Networks {
  if (c.networks) return c.networks;
  const mode = c.hostConfig.NetworkMode || 'default';
  if (mode.startsWith('container:')) return {};
  const eps = c.endpointsConfig ?? {};
  const primary = primaryOf(mode);
  return { [primary]: eps[primary] ?? eps[mode] ?? {}, ...Object.fromEntries(Object.entries(eps).filter(([k]) => k !== mode && k !== 'default')) };
}

/** Adds (cfg) or drops (null) a configured network; the change applies at the next start. */
export function configureNetwork(store: ContainerStore, id: string, network: string, cfg: EndpointSettings | null): void {
  const c = store.resolve(id);
  const nets = { ...configuredNetworks(c) };
  if (cfg) nets[network] = cfg;
  else delete nets[network];
  c.networks = nets;
  store.save(c);
}

/** Every key of an EndpointSettings, operational ones empty (a network not wired now). */
function idleEndpoint(cfg: EndpointSettings, networkId: string): EndpointSettings {
  return {
    IPAMConfig: cfg.IPAMConfig ?? null, Links: cfg.Links ?? null, Aliases: cfg.Aliases ?? null, MacAddress: cfg.MacAddress ?? '',
    NetworkID: networkId, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0, DriverOpts: cfg.DriverOpts ?? null, DNSNames: null,
  };
}

/**
 * NetworkSettings.Networks as dockerd shows it: a running container's endpoints (each with
 * every key), otherwise its configured networks with empty addresses (the network id kept
 * from the last run), and {} when it shares another container's network namespace.
 */
export function networksView(c: ContainerRecord): Networks {
  if ((c.hostConfig.NetworkMode ?? '').startsWith('container:')) return {};
  const live = (c.network?.networks ?? {}) as Networks;
  if (c.state.Running || c.state.Paused) {
    return Object.fromEntries(Object.entries(live).map(([k, v]) => [k, { ...idleEndpoint(v, v.NetworkID ?? ''), ...v }]));
  }
  return Object.fromEntries(Object.entries(configuredNetworks(c)).map(([k, cfg]) => [k, idleEndpoint(cfg, live[k]?.NetworkID ?? cfg.NetworkID ?? '')]));
}
