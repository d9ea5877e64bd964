/** `-v`, `--mount` and `--tmpfs` as docker's CLI turns them into HostConfig fields. */
import type { Mount } from '../../core/docker.js';
import { ramInBytes } from '../render/units.js';

export interface VolumeSpec {
  binds: string[];
  volumes: Record<string, object>;
}

/** `-v /dst` is an anonymous volume; anything with a source is a bind or named volume (Binds). */
export function parseVolumes(specs: string[]): VolumeSpec {
  const out: VolumeSpec = { binds: [], volumes: {} };
  for (const s of specs) {
    const parts = s.split(':');
    if (parts.length === 1) {
      if (!s.startsWith('/')) throw new Error(`invalid volume specification: '${s}'`);
      out.volumes[s] = {};
      continue;
    }
    if (parts.length > 3 || !parts[1]!.startsWith('/')) throw new Error(`invalid volume specification: '${s}'`);
    out.binds.push(s);
  }
  return out;
}

const truthy = (v: string | undefined) => v === undefined || v === '' || v === 'true' || v === '1';

/** Docker's csv form: type=bind,source=/a,target=/b,readonly. */
export function parseMount(spec: string): Mount {
  const m: Mount = { Type: 'volume', Target: '' };
  for (const field of spec.split(',')) {
    const i = field.indexOf('=');
    const key = (i < 0 ? field : field.slice(0, i)).trim().toLowerCase();
    const val = i < 0 ? undefined : field.slice(i + 1);
    applyMountKey(m, key, val, spec);
  }
  if (!m.Target) throw new Error(`invalid argument "${spec}" for "--mount" flag: target is required`);
  return m;
}

function applyMountKey(m: Mount, key: string, val: string | undefined, spec: string): void {
  switch (key) {
    case 'type':
      m.Type = val as Mount['Type'];
      return;
    case 'source':
    case 'src':
      m.Source = val;
      return;
    case 'target':
    case 'dst':
    case 'destination':
      m.Target = val ?? '';
      return;
    case 'readonly':
    case 'ro':
      m.ReadOnly = truthy(val);
      return;
    case 'consistency':
      m.Consistency = val;
      return;
    case 'bind-propagation':
      m.BindOptions = { ...m.BindOptions, Propagation: val };
      return;
    case 'bind-nonrecursive':
      m.BindOptions = { ...m.BindOptions, NonRecursive: truthy(val) };
      return;
    case 'volume-nocopy':
      m.VolumeOptions = { ...m.VolumeOptions, NoCopy: truthy(val) };
      return;
    case 'volume-driver':
      m.VolumeOptions = { ...m.VolumeOptions, DriverConfig: { ...m.VolumeOptions?.DriverConfig, Name: val } };
      return;
    case 'volume-label':
    case 'volume-opt': {
      const [k, v = ''] = (val ?? '').split(/=(.*)/s);
      const vo = (m.VolumeOptions ??= {});
      if (key === 'volume-label') vo.Labels = { ...vo.Labels, [k!]: v };
      else vo.DriverConfig = { ...vo.DriverConfig, Options: { ...vo.DriverConfig?.Options, [k!]: v } };
      return;
    }
    case 'tmpfs-size':
      m.TmpfsOptions = { ...m.TmpfsOptions, SizeBytes: ramInBytes(val ?? '') };
      return;
    case 'tmpfs-mode':
      m.TmpfsOptions = { ...m.TmpfsOptions, Mode: parseInt(val ?? '', 8) };
      return;
    default:
      throw new Error(`invalid argument "${spec}" for "--mount" flag: unexpected key '${key}' in '${key}${val !== undefined ? '=' + val : ''}'`);
  }
}

/** `--tmpfs /x:size=64m` -> {"/x": "size=64m"}. */
export function parseTmpfs(specs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of specs) {
    const i = s.indexOf(':');
    out[i < 0 ? s : s.slice(0, i)] = i < 0 ? '' : s.slice(i + 1);
  }
  return out;
}
