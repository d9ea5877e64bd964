/**
 * A real terminal for interactive tests: a tmux server of its own (-L, never a user's
 * sessions) with one 120x40 bash whose prompt is `HOST$ `; keys in, screen out.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { sleep } from './hostobjects.js';

const exec = promisify(execFile);

/** Why a terminal test cannot run here (scripts/install-deps.sh installs tmux), or false. */
export function tmuxSkip(): string | false {
  return existsSync('/usr/bin/tmux') ? false : 'tmux is not installed';
}

/** Polls `probe` until it returns a truthy value or `ms` passed (then returns the last value). */
export async function until<T>(probe: () => Promise<T>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v || Date.now() > deadline) return v;
    await sleep(150);
  }
}

/** A tmux server of its own (-L) with one 120x40 bash whose prompt is `HOST$ `. */
export class Terminal {
  private readonly sock = `hako-qa-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  constructor(private readonly env: Record<string, string>) {}
  private tmux(args: string[]) { return exec('tmux', ['-L', this.sock, ...args]); }
  async open(): Promise<void> {
    await this.tmux(['-f', '/dev/null', 'new-session', '-d', '-s', 't', '-x', '120', '-y', '40', 'env', '-i',
      ...Object.entries({ PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm', ...this.env }).map(([k, v]) => `${k}=${v}`),
      'bash', '--norc', '--noprofile']);
    await this.keys('PS1="HOST$ "', 'Enter');
    await this.prompt();
  }
  keys(...k: string[]) { return this.tmux(['send-keys', '-t', 't', ...k]); }
  /** Types a line and presses Enter. */
  line(s: string) { return this.keys('-l', s).then(() => this.keys('Enter')); }
  async screen(): Promise<string> { return (await this.tmux(['capture-pane', '-p', '-J', '-S', '-300', '-t', 't'])).stdout; }
  async waitFor(re: RegExp, what: string): Promise<void> {
    const ok = await until(async () => re.test(await this.screen()));
    assert.ok(ok, `${what}: ${re} not on the screen:\n${await this.screen()}`);
  }
  /** Waits until the host shell's prompt is the last line again. */
  async prompt(): Promise<void> {
    // after Ctrl-P Ctrl-Q the host prompt follows the container's on the same line
    const last = async () => (await this.screen()).trimEnd().split('\n').pop()!.endsWith('HOST$');
    assert.ok(await until(last), `no host prompt:\n${await this.screen()}`);
  }
  /** The host shell's $? after the last command (printed as a computed marker). */
  async status(): Promise<number> {
    await this.prompt();
    const tag = Math.random().toString(36).slice(2, 8);
    await this.line(`echo ${tag}=$((0+$?))`);
    const re = new RegExp(`^${tag}=(\\d+)$`, 'm');
    await this.waitFor(re, 'exit status');
    return Number(re.exec(await this.screen())![1]);
  }
  /** An empty screen and history (so a later wait cannot match an earlier output). */
  async fresh(): Promise<void> {
    await this.prompt();
    await this.line('clear');
    await until(async () => (await this.screen()).trim() === 'HOST$');
    await this.tmux(['clear-history', '-t', 't']);
  }
  resize(x: number, y: number) { return this.tmux(['resize-window', '-t', 't', '-x', String(x), '-y', String(y)]); }
  close() { return this.tmux(['kill-server']).catch(() => undefined); }
}

