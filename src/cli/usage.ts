/** Top-level and management-command help texts, in docker's layout. */
import { GROUP_SUMMARY } from './registry.js';

const COMMON = [
  ['run', 'Create and run a new container from an image'],
  ['exec', 'Execute a command in a running container'],
  ['ps', 'List containers'],
  ['images', 'List images'],
  ['load', 'Load an image from a tar archive or STDIN'],
  ['save', 'Save one or more images to a tar archive (streamed to STDOUT by default)'],
  ['import', 'Import the contents from a tarball to create a filesystem image'],
  ['version', 'Show the hako version information'],
  ['info', 'Display system-wide information'],
  ['ns', 'Show the namespaces of running containers and which they share'],
];

const OTHER = [
  'attach', 'cp', 'create', 'diff', 'events', 'export', 'history', 'inspect', 'kill', 'logs', 'pause',
  'port', 'rename', 'restart', 'rm', 'rmi', 'start', 'stats', 'stop', 'tag', 'top', 'unpause', 'update', 'wait',
];

export function mainUsage(): string {
  const rows = (r: string[][]) => r.map(([n, d]) => `  ${n!.padEnd(12)}${d}`).join('\n');
  return `
Usage:  hako [OPTIONS] COMMAND

A container engine that speaks the Docker Engine API

Common Commands:
${rows(COMMON)}

Management Commands:
${rows(Object.entries(GROUP_SUMMARY))}

Commands:
${OTHER.map((n) => `  ${n}`).join('\n')}

Global Options:
  -D, --debug              Enable debug mode
  -H, --host string        Daemon socket to connect to (default $HAKO_HOST, $DOCKER_HOST, unix:///run/hako/hako.sock)
  -l, --log-level string   Set the logging level (ignored)
  -v, --version            Print version information and quit

Run 'hako COMMAND --help' for more information on a command.
`;
}

export function groupUsage(group: string, summary: string, subs: string[]): string {
  return `
Usage:  hako ${group} COMMAND

${summary}

Commands:
${[...new Set(subs)].map((s) => `  ${s}`).join('\n')}

Run 'hako ${group} COMMAND --help' for more information on a command.
`;
}
