/**
 * `--security-opt` as the docker CLI sends it: `seccomp=FILE` is read here and sent as
 * `seccomp=<compact JSON>` (the daemon never sees the path); `systempaths=unconfined`
 * becomes empty MaskedPaths/ReadonlyPaths and is not sent. Errors in the CLI's words.
 */
import { readFileSync } from 'node:fs';

export interface SecurityFlags {
  securityOpt: string[];
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

const errText = (e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'ENOENT' && err.path ? `open ${err.path}: no such file or directory` : err.message;
};

export function parseSecurityFlags(opts: readonly string[]): SecurityFlags {
  const out: SecurityFlags = { securityOpt: [] };
  for (const opt of opts) {
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const k = sep < 0 ? opt : opt.slice(0, sep);
    const v = sep < 0 ? '' : opt.slice(sep + 1);
    if (v === '' && k !== 'no-new-privileges') throw new Error(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (opt === 'systempaths=unconfined') {
      out.maskedPaths = [];
      out.readonlyPaths = [];
      continue;
    }
    if (k === 'seccomp' && v !== 'builtin' && v !== 'unconfined') {
      let text: string;
      try {
        text = readFileSync(v, 'utf8');
      } catch (e) {
        throw new Error(`opening seccomp profile (${v}) failed: ${errText(e)}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new Error(`compacting json for seccomp profile (${v}) failed: ${(e as Error).message}`);
      }
      out.securityOpt.push(`seccomp=${JSON.stringify(json)}`);
      continue;
    }
    out.securityOpt.push(opt);
  }
  return out;
}
