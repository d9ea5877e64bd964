/**
 * Command names (top level and management commands, as docker spells them) to
 * lazily loaded command modules. Each module's default export is a Command.
 */
import type { Command } from './command.js';

type Loader = () => Promise<{ default: Command }>;

const L = {
  attach: () => import('./commands/attach.js'),
  build: () => import('./commands/build.js'),
  commit: () => import('./commands/commit.js'),
  login: () => import('./commands/login.js'),
  logout: () => import('./commands/logout.js'),
  pull: () => import('./commands/pull.js'),
  push: () => import('./commands/push.js'),
  cp: () => import('./commands/cp.js'),
  create: () => import('./commands/create.js'),
  diff: () => import('./commands/diff.js'),
  events: () => import('./commands/events.js'),
  exec: () => import('./commands/exec.js'),
  export: () => import('./commands/export.js'),
  history: () => import('./commands/history.js'),
  images: () => import('./commands/images.js'),
  import: () => import('./commands/import.js'),
  info: () => import('./commands/info.js'),
  inspect: () => import('./commands/inspect.js'),
  containerInspect: () => import('./commands/container-inspect.js'),
  imageInspect: () => import('./commands/image-inspect.js'),
  kill: () => import('./commands/kill.js'),
  load: () => import('./commands/load.js'),
  logs: () => import('./commands/logs.js'),
  pause: () => import('./commands/pause.js'),
  port: () => import('./commands/port.js'),
  ps: () => import('./commands/ps.js'),
  rename: () => import('./commands/rename.js'),
  restart: () => import('./commands/restart.js'),
  rm: () => import('./commands/rm.js'),
  rmi: () => import('./commands/rmi.js'),
  run: () => import('./commands/run.js'),
  save: () => import('./commands/save.js'),
  start: () => import('./commands/start.js'),
  stats: () => import('./commands/stats.js'),
  stop: () => import('./commands/stop.js'),
  tag: () => import('./commands/tag.js'),
  top: () => import('./commands/top.js'),
  unpause: () => import('./commands/unpause.js'),
  update: () => import('./commands/update.js'),
  version: () => import('./commands/version.js'),
  wait: () => import('./commands/wait.js'),
  containerPrune: () => import('./commands/container-prune.js'),
  imagePrune: () => import('./commands/image-prune.js'),
  systemDf: () => import('./commands/system-df.js'),
  volumeCreate: () => import('./commands/volume-create.js'),
  volumeLs: () => import('./commands/volume-ls.js'),
  volumeInspect: () => import('./commands/volume-inspect.js'),
  volumeRm: () => import('./commands/volume-rm.js'),
  volumePrune: () => import('./commands/volume-prune.js'),
  networkCreate: () => import('./commands/network-create.js'),
  networkLs: () => import('./commands/network-ls.js'),
  networkInspect: () => import('./commands/network-inspect.js'),
  networkRm: () => import('./commands/network-rm.js'),
  networkPrune: () => import('./commands/network-prune.js'),
  networkConnect: () => import('./commands/network-connect.js'),
  networkDisconnect: () => import('./commands/network-disconnect.js'),
  ns: () => import('./commands/ns.js'),
} satisfies Record<string, Loader>;

export const TOP: Record<string, Loader> = {
  attach: L.attach, build: L.build, commit: L.commit, cp: L.cp, create: L.create, diff: L.diff,
  events: L.events, exec: L.exec, login: L.login, logout: L.logout, pull: L.pull, push: L.push,
  export: L.export, history: L.history, images: L.images, import: L.import, info: L.info,
  inspect: L.inspect, kill: L.kill, load: L.load, logs: L.logs, pause: L.pause, port: L.port,
  ps: L.ps, rename: L.rename, restart: L.restart, rm: L.rm, rmi: L.rmi, run: L.run, save: L.save,
  start: L.start, stats: L.stats, stop: L.stop, tag: L.tag, top: L.top, unpause: L.unpause,
  update: L.update, version: L.version, wait: L.wait, ns: L.ns,
};

/** Management commands: group -> subcommand -> loader. */
export const GROUPS: Record<string, Record<string, Loader>> = {
  container: {
    attach: L.attach, commit: L.commit, cp: L.cp, create: L.create, diff: L.diff, exec: L.exec, export: L.export,
    inspect: L.containerInspect, kill: L.kill, logs: L.logs, ls: L.ps, list: L.ps, ps: L.ps,
    pause: L.pause, port: L.port, prune: L.containerPrune, rename: L.rename, restart: L.restart,
    rm: L.rm, remove: L.rm, run: L.run, start: L.start, stats: L.stats, stop: L.stop, top: L.top,
    unpause: L.unpause, update: L.update, wait: L.wait,
  },
  image: {
    build: L.build, pull: L.pull, push: L.push, history: L.history, import: L.import, inspect: L.imageInspect, load: L.load, ls: L.images,
    list: L.images, prune: L.imagePrune, rm: L.rmi, remove: L.rmi, save: L.save, tag: L.tag,
  },
  builder: { build: L.build },
  system: { df: L.systemDf, events: L.events, info: L.info },
  volume: {
    create: L.volumeCreate, ls: L.volumeLs, list: L.volumeLs, inspect: L.volumeInspect,
    rm: L.volumeRm, remove: L.volumeRm, prune: L.volumePrune,
  },
  network: {
    create: L.networkCreate, ls: L.networkLs, list: L.networkLs, inspect: L.networkInspect, rm: L.networkRm,
    remove: L.networkRm, prune: L.networkPrune, connect: L.networkConnect, disconnect: L.networkDisconnect,
  },
};

export const GROUP_SUMMARY: Record<string, string> = {
  container: 'Manage containers',
  image: 'Manage images',
  network: 'Manage networks',
  system: 'Manage hako',
  volume: 'Manage volumes',
};
