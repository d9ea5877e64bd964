/**
 * The two steps of a start that hand over to the runtime: the OCI bundle (config.json from
 * the record, the rootfs and the namespace plan) and conmon, which runs `<runtime> create`.
 */
import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { conmonCreate } from '../runtime/conmon.js';
import type { OciRuntime } from '../runtime/oci.js';
import { buildSpec, type NamespacePlan } from '../runtime/spec.js';
import { readRootfsFile, type ContainerPaths } from './containers-host.js';
import type { ContainerRecord } from './containers-store.js';

export interface BundleHost {
  paths: ContainerPaths;
  o: { dataRoot: string; instance: string };
  runtimeFor(c: ContainerRecord): OciRuntime;
}

/** Writes <bundle>/config.json (and creates the named volumes' dirs the spec binds). */
export async function writeBundle(svc: BundleHost, c: ContainerRecord, rootfs: string, ns: NamespacePlan): Promise<void> {
  const spec = buildSpec({
    id: c.id, config: c.config, hostConfig: c.hostConfig, image: { architecture: '', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} },
    rootfs, containerDir: svc.paths.dir(c.id), dataRoot: svc.o.dataRoot, instance: svc.o.instance, namespaces: ns,
    passwd: readRootfsFile(rootfs, 'etc/passwd'), group: readRootfsFile(rootfs, 'etc/group'),
  });
  spec.process.args = [c.path, ...c.args];
  for (const m of spec.mounts) if (m.type === 'bind' && m.source?.startsWith(join(svc.o.dataRoot, 'volumes'))) await mkdir(m.source, { recursive: true });
  await mkdir(svc.paths.bundle(c.id), { recursive: true });
  await writeFile(join(svc.paths.bundle(c.id), 'config.json'), JSON.stringify(spec));
}

/** conmon + `<runtime> create`: resolves with the container's pid, its init waiting to be started. */
export function launch(svc: BundleHost, c: ContainerRecord): Promise<{ pid: number }> {
  rmSync(join(svc.paths.exitDir, c.id), { force: true });
  rmSync(svc.paths.persist(c.id), { recursive: true, force: true });
  return conmonCreate(svc.runtimeFor(c), {
    id: c.id, name: c.name, bundle: svc.paths.bundle(c.id), logPath: svc.paths.logPath(c.id), exitDir: svc.paths.exitDir,
    persistDir: svc.paths.persist(c.id), tty: !!c.config.Tty, openStdin: !!c.config.OpenStdin, stdinOnce: !!c.config.StdinOnce,
  });
}
