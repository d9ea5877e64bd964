import { randomBytes } from 'node:crypto';

/** A 64-hex-digit id, as docker uses for containers, execs and networks. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

export function shortId(id: string): string {
  return stripAlgo(id).slice(0, 12);
}

export function stripAlgo(id: string): string {
  const i = id.indexOf(':');
  return i >= 0 ? id.slice(i + 1) : id;
}

export const isFullId = (s: string) => /^[0-9a-f]{64}$/.test(s);
export const isHexPrefix = (s: string) => /^[0-9a-f]{1,64}$/.test(s);

/** Docker's container name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
export const validContainerName = (s: string) => /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(s);

const adjectives = ['admiring', 'brave', 'calm', 'dazzling', 'eager', 'focused', 'gallant', 'happy', 'jolly',
  'keen', 'loving', 'modest', 'nifty', 'optimistic', 'peaceful', 'quirky', 'relaxed', 'serene', 'tender',
  'upbeat', 'vibrant', 'wizardly', 'youthful', 'zealous'];
const names = ['archimedes', 'babbage', 'curie', 'darwin', 'euler', 'fermi', 'gauss', 'hopper', 'jepsen',
  'knuth', 'lovelace', 'mayer', 'noether', 'pascal', 'ritchie', 'shannon', 'thompson', 'turing', 'volhard',
  'wozniak', 'yonath', 'zhukovsky'];

/** A random docker-style name like "brave_turing". */
export function randomName(): string {
  const pick = (a: string[]) => a[randomBytes(1)[0]! % a.length]!;
  return `${pick(adjectives)}_${pick(names)}`;
}
