/** Top-level and management-command help texts, in docker's layout (summaries from the commands). */
import { GROUP_SUMMARY, TOP } from './registry.js';
import type { Command } from './command.js';

type Loader = () => Promise<{ default: Command }>;

const COMMON = ['run', 'exec', 'ps', 'build', 'pull', 'push', 'images', 'login', 'logout', 'version', 'info'];
/** Aliases docker does not list among a group's commands. */
const HIDDEN_SUBS = new Set(['list', 'remove', 'ps']);

async function rows(entries: [string, Loader | string][]): Promise<string> {
  const out: string[] = [];
  for (const [name, l] of entries) {
    const summary = typeof l === 'string' ? l : (await l()).default.summary;
    out.push(`  ${name.padEnd(12)}${summary}`);
  }
  return out.join('\n');
}

export async function mainUsage(): Promise<string> {
  const others = Object.keys(TOP).filter((n) => !COMMON.includes(n)).sort();
  return `Usage:  hako [OPTIONS] COMMAND

A container engine that speaks the Docker Engine API

Common Commands:
${await rows(COMMON.map((n) => [n, TOP[n]!]))}

Management Commands:
${await rows(Object.entries(GROUP_SUMMARY))}

Commands:
${await rows(others.map((n) => [n, TOP[n]!]))}

Global Options:
  -D, --debug              Enable debug mode
  -H, --host string        Daemon socket to connect to (default $HAKO_HOST,
                           $DOCKER_HOST, unix:///run/hako/hako.sock)
  -l, --log-level string   Set the logging level (ignored)
  -v, --version            Print version information and quit

Run 'hako COMMAND --help' for more information on a command.
`;
}

export async function groupUsage(group: string, summary: string, subs: Record<string, Loader>): Promise<string> {
  const names = Object.keys(subs).filter((s) => !HIDDEN_SUBS.has(s)).sort();
  return `Usage:  hako ${group} COMMAND

${summary}

Commands:
${await rows(names.map((n) => [n, subs[n]!]))}

Run 'hako ${group} COMMAND --help' for more information on a command.
`;
}
