import { invalid } from '../core/errors.js';
import type { ImageConfig, ImageRuntimeConfig } from '../core/oci.js';

function parseList(rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch { /* shell form below */ }
  }
  return ['/bin/sh', '-c', t];
}

function parseKv(rest: string, what: string): [string, string][] {
  const t = rest.trim();
  if (!t.includes('=')) {
    const sp = t.search(/\s/);
    if (sp < 0) throw invalid(`${what} requires a value: "${t}"`);
    return [[t.slice(0, sp), t.slice(sp).trim()]];
  }
  const out: [string, string][] = [];
  for (const m of t.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const v = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
    out.push([m[1]!, v]);
  }
  return out;
}

/** Applies Dockerfile-like `changes` (docker import --change) to a runtime config. */
export function applyChanges(cfg: ImageRuntimeConfig, changes: string[]): ImageRuntimeConfig {
  const c: ImageRuntimeConfig = { ...cfg };
  for (const line of changes) {
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw invalid(`dockerfile parse error: invalid change "${line}"`);
    const [cmd, rest] = [m[1]!.toUpperCase(), m[2]!.trim()];
    switch (cmd) {
      case 'CMD': c.Cmd = parseList(rest); break;
      case 'ENTRYPOINT': c.Entrypoint = parseList(rest); break;
      case 'ENV': {
        const env = [...(c.Env ?? [])];
        for (const [k, v] of parseKv(rest, 'ENV')) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        c.Env = env;
        break;
      }
      case 'LABEL': c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(parseKv(rest, 'LABEL')) }; break;
      case 'EXPOSE': {
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const p of rest.split(/\s+/).filter(Boolean)) c.ExposedPorts[p.includes('/') ? p : `${p}/tcp`] = {};
        break;
      }
      case 'USER': c.User = rest; break;
      case 'WORKDIR': c.WorkingDir = rest; break;
      case 'STOPSIGNAL': c.StopSignal = rest; break;
      case 'VOLUME': {
        const list = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/).filter(Boolean);
        c.Volumes = { ...(c.Volumes ?? {}) };
        for (const v of list) c.Volumes[v] = {};
        break;
      }
      default:
        throw invalid(`${cmd} is not a valid change command`);
    }
  }
  return c;
}

/** The config of an imported one-layer image, as docker import writes it. */
export function importConfig(diffId: string, opts: { changes?: string[]; message?: string; platform?: string }, now = new Date()): ImageConfig {
  const created = now.toISOString();
  const [os, arch] = (opts.platform || 'linux/amd64').split('/');
  const cfg: ImageConfig = {
    architecture: arch || 'amd64',
    os: os || 'linux',
    created,
    config: applyChanges({}, opts.changes ?? []),
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, comment: opts.message || 'Imported from -', created_by: '' }],
  };
  if (opts.message) cfg.comment = opts.message;
  return cfg;
}
