import { bool, formatFlag, str, type Command } from '../command.js';
import { formatList } from '../format/formatter.js';
import { humanSize } from '../render/units.js';
import { ellipsis, imageRows, truncId, type ImageSummary } from '../render/contexts.js';
import { ago } from '../render/units.js';

type DF = {
  LayersSize?: number;
  Images?: (ImageSummary & { Containers: number; SharedSize: number })[] | null;
  Containers?: Record<string, any>[] | null;
  Volumes?: Record<string, any>[] | null;
  BuildCache?: Record<string, any>[] | null;
};

const pct = (part: number, total: number) => (total > 0 ? `${humanSize(part)} (${Math.trunc((part * 100) / total)}%)` : humanSize(part));

function summary(df: DF): Record<string, string>[] {
  const images = df.Images ?? [];
  const total = df.LayersSize ?? 0;
  let used = 0;
  for (const i of images) if (i.Containers > 0 && i.Size >= 0 && i.SharedSize >= 0) used += i.Size - i.SharedSize;
  const cs = df.Containers ?? [];
  const cSize = cs.reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const cRecl = cs.filter((c) => c.State !== 'running' && c.State !== 'paused').reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const vs = df.Volumes ?? [];
  const vSize = vs.reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const vRecl = vs.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const bc = df.BuildCache ?? [];
  const bSize = bc.reduce((a, b) => a + (b.Size ?? 0), 0);
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(images.filter((i) => i.Containers > 0).length), Size: humanSize(total), Reclaimable: pct(total - used, total) },
    { Type: 'Containers', TotalCount: String(cs.length), Active: String(cs.filter((c) => c.State === 'running').length), Size: humanSize(cSize), Reclaimable: pct(cRecl, cSize) },
    { Type: 'Local Volumes', TotalCount: String(vs.length), Active: String(vs.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(vSize), Reclaimable: pct(vRecl, vSize) },
    { Type: 'Build Cache', TotalCount: String(bc.length), Active: String(bc.filter((b) => b.InUse).length), Size: humanSize(bSize), Reclaimable: humanSize(bSize) },
  ];
}

function verbose(df: DF): string {
  const imgs = imageRows(df.Images ?? [], { digests: false, trunc: true });
  let out = 'Images space usage:\n\n';
  out += formatList(imgs, { table: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}', headers: { ID: 'IMAGE ID' } });
  const cs = (df.Containers ?? []).map((c) => ({
    ID: truncId(c.Id), Image: c.Image, Command: JSON.stringify(ellipsis(String(c.Command ?? ''), 20)), LocalVolumes: String(c.Mounts?.filter((m: any) => m.Type === 'volume').length ?? 0),
    Size: humanSize(c.SizeRw ?? 0), RunningFor: ago(c.Created), Status: c.Status, Names: (c.Names ?? []).map((n: string) => n.replace(/^\//, '')).join(','),
  }));
  out += '\nContainers space usage:\n\n';
  out += formatList(cs, { table: 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}', headers: { ID: 'CONTAINER ID' } });
  const vs = (df.Volumes ?? []).map((v) => ({ Name: v.Name, Links: String(v.UsageData?.RefCount ?? 0), Size: humanSize(Math.max(0, v.UsageData?.Size ?? 0)) }));
  out += '\nLocal Volumes space usage:\n\n';
  out += formatList(vs, { table: 'table {{.Name}}\t{{.Links}}\t{{.Size}}', headers: { Name: 'VOLUME NAME' } });
  out += `\nBuild cache usage: ${humanSize((df.BuildCache ?? []).reduce((a, b) => a + (b.Size ?? 0), 0))}\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n`;
  return out;
}

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'Show hako disk usage',
  flags: [formatFlag, { name: 'verbose', short: 'v', type: 'bool', desc: 'Show detailed information on space usage' }],
  maxArgs: 0,
  async run(ctx, _args, f) {
    const df: DF = await ctx.client.get('/system/df');
    if (bool(f, 'verbose') && !str(f, 'format')) {
      ctx.out.write(verbose(df));
      return;
    }
    ctx.out.write(formatList(summary(df), { format: str(f, 'format'), table: 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}' }));
  },
};
export default cmd;
