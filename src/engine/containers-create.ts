/** Turning a create body + image into a ContainerRecord (docker's config merge and validation). */
import { hostname } from 'node:os';
import type { ContainerCreateBody, HostConfig } from '../core/docker.js';
import type { ImageConfig } from '../core/oci.js';
import { newId, randomName, validContainerName } from '../core/ids.js';
import { invalid } from '../core/errors.js';
import { resolveCommand } from '../runtime/spec.js';
import { validateSecurityOpts } from '../runtime/seccomp.js';
import { newState, type ContainerRecord } from './containers-store.js';
import { verifyCpuResources } from './containers-resources.js';
import { validateLogConfig } from './containers-logconfig.js';
import { signalNumber } from './containers-ops.js';

export function buildRecord(body: ContainerCreateBody, name: string | undefined, image: { id: string; config: ImageConfig; layerDirs: string[] }): ContainerRecord {
  if (name !== undefined && name !== '' && !validContainerName(name)) throw invalid(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const { HostConfig: hc = {}, NetworkingConfig: _n, ...cfg } = body;
  const ic = image.config.config ?? {};
  const id = newId();
  const env = new Map<string, string>();
  for (const kv of [...(ic.Env ?? []), ...(cfg.Env ?? [])]) env.set(kv.split('=')[0]!, kv);
  const args = resolveCommand(cfg, image.config);
  validateHostConfig(hc);
  if (cfg.StopSignal) signalNumber(cfg.StopSignal); // dockerd refuses an unknown one at create: "Invalid signal: X"
  validateEndpoints(body.NetworkingConfig?.EndpointsConfig ?? {});
  validateNetContainerMode(cfg, hc, body.NetworkingConfig?.EndpointsConfig ?? {});
  const config = {
    // dockerd's newContainer: the host's name with --network host, else the short id
    Hostname: cfg.Hostname || (hc.NetworkMode === 'host' ? hostname() : id.slice(0, 12)), Domainname: cfg.Domainname ?? '', User: cfg.User || ic.User || '',
    AttachStdin: !!cfg.AttachStdin, AttachStdout: !!cfg.AttachStdout, AttachStderr: !!cfg.AttachStderr,
    ExposedPorts: { ...(ic.ExposedPorts ?? {}), ...(cfg.ExposedPorts ?? {}) }, Tty: !!cfg.Tty, OpenStdin: !!cfg.OpenStdin,
    StdinOnce: !!cfg.StdinOnce, Env: [...env.values()],
    Cmd: cfg.Cmd != null ? (typeof cfg.Cmd === 'string' ? [cfg.Cmd] : cfg.Cmd) : cfg.Entrypoint != null ? null : ic.Cmd ?? null,
    Image: cfg.Image ?? '', Volumes: { ...(ic.Volumes ?? {}), ...(cfg.Volumes ?? {}) }, WorkingDir: cfg.WorkingDir || ic.WorkingDir || '',
    Entrypoint: cfg.Entrypoint != null ? (typeof cfg.Entrypoint === 'string' ? [cfg.Entrypoint] : cfg.Entrypoint) : ic.Entrypoint ?? null,
    OnBuild: null, Labels: { ...(ic.Labels ?? {}), ...(cfg.Labels ?? {}) },
    ...(cfg.StopSignal || ic.StopSignal ? { StopSignal: cfg.StopSignal || ic.StopSignal } : {}),
    ...(cfg.StopTimeout != null ? { StopTimeout: cfg.StopTimeout } : {}),
    ...(cfg.Healthcheck || ic.Healthcheck ? { Healthcheck: cfg.Healthcheck ?? ic.Healthcheck } : {}),
  };
  return {
    id, name: (name || randomName()).replace(/^\//, ''), created: new Date().toISOString(), imageId: image.id, config,
    // dockerd's adaptContainerSettings: a memory limit alone allows as much swap again
    hostConfig: { NetworkMode: 'default', ...hc, ...(hc.Memory && !hc.MemorySwap ? { MemorySwap: hc.Memory * 2 } : {}) }, state: newState(), path: args[0]!, args: args.slice(1), layerDirs: image.layerDirs,
    restartCount: 0, network: { networks: {}, ports: {}, sandboxKey: '' }, manuallyStopped: false,
    endpointsConfig: body.NetworkingConfig?.EndpointsConfig ?? {},
  };
}

/** dockerd's verifyNetworkingConfig: static addresses and aliases only on user-defined networks. */
function validateEndpoints(eps: Record<string, { IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null; Aliases?: string[] | null } | null>): void {
  for (const [name, ep] of Object.entries(eps)) {
    const builtin = ['default', 'bridge', 'host', 'none'].includes(name) || name.startsWith('container:');
    if (!builtin || !ep) continue;
    if (ep.IPAMConfig?.IPv4Address || ep.IPAMConfig?.IPv6Address) throw invalid('user specified IP address is supported on user defined networks only');
    if (ep.Aliases?.length) throw invalid('network-scoped alias is supported only for containers in user defined networks');
  }
}

/** dockerd's validateNetContainerMode: what a container sharing another's network (or the host's) cannot set. */
function validateNetContainerMode(cfg: ContainerCreateBody, hc: HostConfig, eps: Record<string, { MacAddress?: string } | null>): void {
  const joined = (hc.NetworkMode ?? '').startsWith('container:');
  const mac = (cfg as { MacAddress?: string }).MacAddress || Object.values(eps).some((e) => e?.MacAddress);
  const conflict = (what: string) => invalid(`conflicting options: ${what}`);
  if (joined && cfg.Hostname) throw conflict('hostname and the network mode');
  if (joined && hc.Links?.length) throw conflict('container type network can\'t be used with links. This would result in undefined behavior');
  if (joined && hc.Dns?.length) throw conflict('dns and the network mode');
  if (joined && hc.ExtraHosts?.length) throw conflict('custom host-to-IP mapping and the network mode');
  if ((joined || hc.NetworkMode === 'host') && mac) throw conflict('mac-address and the network mode');
  if (joined && (Object.keys(hc.PortBindings ?? {}).length || hc.PublishAllPorts)) throw conflict('port publishing and the container type network mode');
  if (joined && Object.keys(cfg.ExposedPorts ?? {}).length) throw conflict('port exposing and the container type network mode');
}

function validateHostConfig(hc: HostConfig): void {
  const rp = hc.RestartPolicy;
  if (rp?.Name && !['no', 'always', 'unless-stopped', 'on-failure'].includes(rp.Name)) throw invalid(`invalid restart policy '${rp.Name}'`);
  if (rp?.MaximumRetryCount && rp.Name !== 'on-failure') throw invalid(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  if (hc.AutoRemove && rp?.Name && rp.Name !== 'no') throw invalid('can\'t create \'AutoRemove\' container with restart policy');
  if (hc.Memory && hc.Memory < 6 * 1024 * 1024) throw invalid('Minimum memory limit allowed is 6MB');
  if (hc.NanoCpus && (hc.CpuQuota || hc.CpuPeriod)) throw invalid('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  validateSecurityOpts(hc);
  verifyCpuResources(hc);
  validateLogConfig(hc.LogConfig);
}

/** Whether the restart policy restarts a container that exited with `code`. */
export function shouldRestart(c: ContainerRecord, code: number): boolean {
  const rp = c.hostConfig.RestartPolicy;
  if (c.manuallyStopped || c.hostConfig.AutoRemove) return false;
  switch (rp?.Name) {
    case 'always': case 'unless-stopped': return true;
    case 'on-failure': return code !== 0 && (!rp.MaximumRetryCount || c.restartCount < rp.MaximumRetryCount);
    default: return false;
  }
}
