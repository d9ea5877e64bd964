import { API_VERSION } from '../../core/docker.js';
import { templateFormatFlag, str, type Command } from '../command.js';
import { compile } from '../format/exec.js';
import { preFormat } from '../format/formatter.js';
import { CLI_VERSION, CLI_COMMIT } from '../version-info.js';
import { localClock } from '../render/localtime.js';

function clientInfo(host: string) {
  return {
    Version: CLI_VERSION,
    ApiVersion: API_VERSION,
    DefaultAPIVersion: API_VERSION,
    GitCommit: CLI_COMMIT,
    // The runtime the CLI runs on: the compiled build/hako is bun (whose process.version
    // is the Node.js version it imitates), node dist/hako.cjs is Node.js.
    GoVersion: process.versions.bun ? `bun v${process.versions.bun}` : process.version,
    Os: process.platform,
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    BuildTime: '',
    Context: 'default',
    Host: host,
  };
}

type Server = Record<string, any>;

function clientText(c: ReturnType<typeof clientInfo>): string {
  return `Client:
 Version:           ${c.Version}
 API version:       ${c.ApiVersion}
 ${c.GoVersion.startsWith('bun') ? 'Bun version:      ' : 'Node.js version:  '} ${c.GoVersion.replace(/^bun /, '')}
 Git commit:        ${c.GitCommit}
 OS/Arch:           ${c.Os}/${c.Arch}
 Context:           ${c.Context}
`;
}

/** docker's reformatDate: an RFC 3339 time as Go's ANSIC layout in local time ("Mon Jan  2 15:04:05 2006"). */
function ansic(t: string): string {
  const ms = Date.parse(t);
  if (!t || Number.isNaN(ms)) return t;
  const { clock: d } = localClock(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  return `${day} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

function componentText(comp: Server): string {
  const d = (comp.Details ?? {}) as Record<string, string>;
  if (comp.Name === 'Engine') {
    return ` Engine:
  Version:          ${comp.Version}
  API version:      ${d.ApiVersion ?? ''} (minimum version ${d.MinAPIVersion ?? ''})
  Go version:       ${d.GoVersion ?? ''}
  Git commit:       ${d.GitCommit ?? ''}
  Built:            ${ansic(d.BuildTime ?? '')}
  OS/Arch:          ${d.Os ?? ''}/${d.Arch ?? ''}
  Experimental:     ${d.Experimental ?? 'false'}
`;
  }
  const rows = Object.keys(d).sort().map((k) => `  ${k}:${' '.repeat(Math.max(1, 18 - k.length - 1))}${d[k]}`);
  return ` ${comp.Name}:\n  Version:          ${comp.Version}\n${rows.map((r) => r + '\n').join('')}`;
}

function serverText(s: Server): string {
  const name = s.Platform?.Name ? ` ${s.Platform.Name}` : '';
  const comps: Server[] = s.Components?.length
    ? s.Components
    : [{ Name: 'Engine', Version: s.Version, Details: { ApiVersion: s.ApiVersion, MinAPIVersion: s.MinAPIVersion, GoVersion: s.GoVersion, GitCommit: s.GitCommit, BuildTime: s.BuildTime, Os: s.Os, Arch: s.Arch, Experimental: String(!!s.Experimental) } }];
  return `\nServer:${name}\n${comps.map(componentText).join('')}`;
}

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'Show the hako version information',
  flags: [{ ...templateFormatFlag, short: 'f' }],
  maxArgs: 0,
  async run(ctx, _args, f) {
    const client = clientInfo(ctx.host);
    const format = str(f, 'format');
    let server: Server | undefined;
    let error: unknown;
    try {
      server = await ctx.client.get('/version');
    } catch (e) {
      error = e;
    }
    if (format) {
      const t = compile(preFormat(format === 'json' ? '{{json .}}' : format));
      ctx.out.write(t.execute({ Client: client, Server: server ?? null }) + '\n');
    } else {
      ctx.out.write(clientText(client));
      if (server) ctx.out.write(serverText(server));
    }
    if (error) throw error;
  },
};
export default cmd;
