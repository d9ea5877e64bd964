/**
 * RUN: a container from the current step image (through the ContainerService,
 * as any client would make one), its output (its log, followed) streamed as build output, its exit
 * code waited for, its upper dir committed as the step's layer, then removed.
 */
import { EngineError, internal, notImplemented } from '../../core/errors.js';
import { shortId } from '../../core/ids.js';
import type { ImageRuntimeConfig } from '../../core/oci.js';
import { commitLayer } from '../../image/commit.js';
import type { LayerRecord } from '../../image/metadata.js';
import type { ImageStores } from '../../image/session.js';
import type { ContainerService, OutputChunk, ProgressFn } from '../types.js';

export interface RunRequest {
  containers?: ContainerService;
  stores: ImageStores;
  imageId: string;
  run: ImageRuntimeConfig;
  cmd: string[];
  env: string[];
  networkMode: string;
  parentChain: string | null;
  out: ProgressFn;
  quiet: boolean;
  /** Remove the container after success (rm) and after failure too (forcerm). */
  rm: boolean;
  forceRm: boolean;
}

/** The exit error docker reports, with its code. */
export class RunFailed extends EngineError {
  constructor(cmd: string[], readonly exitCode: number) {
    super('InvalidArgument', `The command '${cmd.join(' ')}' returned a non-zero code: ${exitCode}`);
  }
}

/** The container's upper dir, from inspect's GraphDriver.Data.UpperDir (docker's shape). */
export async function upperDirOf(containers: ContainerService, id: string): Promise<string> {
  const info = await containers.inspect(id);
  const upper = (info.GraphDriver as { Data?: { UpperDir?: string } } | undefined)?.Data?.UpperDir;
  if (!upper) throw internal(`container ${shortId(id)} does not report its upper dir (GraphDriver.Data.UpperDir)`);
  return upper;
}

async function streamOutput(output: NodeJS.ReadableStream, req: RunRequest): Promise<void> {
  for await (const c of output as AsyncIterable<OutputChunk>) {
    if (!req.quiet) req.out({ stream: c.data.toString('utf8') });
  }
}

/** Runs the step's command and returns the layer of its changes. */
export async function runStep(req: RunRequest): Promise<LayerRecord> {
  const cs = req.containers;
  if (!cs) throw notImplemented('RUN is not implemented yet in hako: this daemon has no containers service');
  const { Id } = await cs.create({
    Image: req.imageId, Cmd: req.cmd, Entrypoint: [], Env: req.env, User: req.run.User, WorkingDir: req.run.WorkingDir,
    AttachStdout: false, AttachStderr: false, Tty: false, Labels: req.run.Labels ?? undefined,
    HostConfig: { NetworkMode: req.networkMode },
  });
  if (!req.quiet) req.out({ stream: ` ---> Running in ${shortId(Id)}\n` });
  let ok = false;
  try {
    await cs.start(Id);
    // logs (followed) rather than attach: it reads the log from its start, so a fast command loses nothing
    const { output } = await cs.logs(Id, { follow: true, stdout: true, stderr: true });
    try {
      const pumping = streamOutput(output, req).catch(() => {});
      const { StatusCode } = await cs.wait(Id, 'not-running');
      await Promise.race([pumping, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (StatusCode !== 0) throw new RunFailed(req.cmd, StatusCode);
    } finally {
      output.destroy();
    }
    const layer = await commitLayer(req.stores, await upperDirOf(cs, Id), req.parentChain, await cs.idShiftOf?.(Id));
    ok = true;
    return layer;
  } finally {
    if (req.forceRm || (ok && req.rm)) {
      await cs.remove(Id, { force: true }).catch(() => {});
      if (!req.quiet) req.out({ stream: `Removing intermediate container ${shortId(Id)}\n` });
    }
  }
}
