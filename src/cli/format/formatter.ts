/**
 * docker's formatter: `table ...` formats get a header row and tab alignment,
 * "json" prints each item as JSON, anything else is a per-item template.
 */
import { compile } from './exec.js';
import { tabwrite } from '../render/tabwriter.js';
import { GO_MARSHALLED } from './funcs.js';

/** Header names docker prints for the fields of its list contexts. */
export const HEADERS: Record<string, string> = {
  ID: 'ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  CreatedSince: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'SIZE',
  Containers: 'CONTAINERS',
  CreatedBy: 'CREATED BY',
  Comment: 'COMMENT',
  Driver: 'DRIVER',
  Name: 'NAME',
  Mountpoint: 'MOUNTPOINT',
  Scope: 'SCOPE',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Container: 'CONTAINER',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
  Type: 'TYPE',
  TotalCount: 'TOTAL',
  Active: 'ACTIVE',
  Reclaimable: 'RECLAIMABLE',
  Links: 'LINKS',
};

function defaultHeader(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toUpperCase();
}

/** A value whose every field is its header name (what docker renders the header with). */
export function headerContext(overrides: Record<string, string> = {}): unknown {
  return new Proxy(
    {},
    {
      has: () => true,
      // {{.Label "k"}} heads its column with k, as docker's header context does
      get: (_t, p) => (p === 'Label' ? (k: string) => k : typeof p === 'string' ? (overrides[p] ?? HEADERS[p] ?? defaultHeader(p)) : undefined),
    },
  );
}

export function isTable(format: string): boolean {
  return format.startsWith('table');
}

/** docker's preFormat: drop "table", trim, and turn literal \t \n into tabs and newlines. */
export function preFormat(format: string): string {
  let f = isTable(format) ? format.slice('table'.length) : format;
  f = f.replace(/^ +| +$/g, '');
  return f.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

export interface ListFormat {
  /** The user's --format (undefined: the default table). */
  format?: string;
  /** The default, e.g. "table {{.ID}}\t{{.Image}}". */
  table: string;
  /** Format used for -q. */
  quiet?: string;
  isQuiet?: boolean;
  headers?: Record<string, string>;
}

/** Renders items as docker's list commands do; the result ends with a newline when not empty. */
export function formatList(items: unknown[], o: ListFormat): string {
  let format = o.format && o.format !== 'table' ? o.format : o.table;
  if (o.isQuiet && !o.format) format = o.quiet ?? '{{.ID}}';
  if (format === 'json') format = '{{json .}}';
  const tmpl = compile(preFormat(format));
  // docker marshals a list context as a Go map: `{{json .}}` lists its keys sorted
  items = items.map(sortedKeys);
  if (!isTable(format)) return items.map((it) => tmpl.execute(it) + '\n').join('');
  const lines = [tmpl.execute(headerContext(o.headers)), ...items.map((it) => tmpl.execute(it))];
  return tabwrite(lines.join('\n')) + '\n';
}

function sortedKeys(it: unknown): unknown {
  if (!it || typeof it !== 'object' || Array.isArray(it) || Object.getPrototypeOf(it) !== Object.prototype) return it;
  const o = it as Record<string, unknown>;
  return Object.assign(Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]])), { [GO_MARSHALLED]: true });
}

/** `inspect -f`: one rendering per item; without a format, indented JSON like docker. */
export function formatInspect(items: unknown[], format?: string): string {
  if (!format) return JSON.stringify(items, null, 4) + '\n';
  if (format === 'json') return JSON.stringify(items) + '\n';
  const tmpl = compile(preFormat(format));
  return items.map((it) => tmpl.execute(it) + '\n').join('');
}
