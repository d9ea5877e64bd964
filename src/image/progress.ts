import type { ProgressMessage } from './types.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** docker's units.HumanSize: decimal units, 4 significant digits ("1.235MB"). */
export function humanSize(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${UNITS[i]}`;
}

/** docker's JSONProgress bar: "[=====>      ] 1.2MB/3.4MB". */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  const pct = Math.min(50, Math.floor((current / total) * 100 / 2));
  const bar = `[${'='.repeat(pct)}>${' '.repeat(50 - pct)}] `;
  return bar + `${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** Throttled "Loading layer" style reporter for one id. */
export function byteReporter(emit: (m: ProgressMessage) => void, status: string, id: string, total: number): (n: number) => void {
  let last = -1;
  let lastT = 0;
  return (n: number) => {
    const now = Date.now();
    if (n !== total && n - last < 512 * 1024 && now - lastT < 100) return;
    last = n;
    lastT = now;
    emit({ status, progressDetail: { current: n, total }, progress: progressBar(n, total), id });
  };
}
