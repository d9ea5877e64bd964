/** The daemon's structured log: one JSON object a line on stderr. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
export const LEVELS = Object.keys(rank) as Level[];

export class JsonLogger {
  constructor(
    private readonly level: Level = 'info',
    private readonly fields: Record<string, unknown> = {},
    private readonly out: (line: string) => void = (l) => process.stderr.write(l),
  ) {}

  child(fields: Record<string, unknown>): JsonLogger {
    return new JsonLogger(this.level, { ...this.fields, ...fields }, this.out);
  }

  debug(msg: string, f?: Record<string, unknown>): void {
    this.log('debug', msg, f);
  }
  info(msg: string, f?: Record<string, unknown>): void {
    this.log('info', msg, f);
  }
  warn(msg: string, f?: Record<string, unknown>): void {
    this.log('warn', msg, f);
  }
  error(msg: string, f?: Record<string, unknown>): void {
    this.log('error', msg, f);
  }

  private log(level: Level, msg: string, f?: Record<string, unknown>): void {
    if (rank[level] < rank[this.level]) return;
    this.out(JSON.stringify({ time: new Date().toISOString(), level, msg, ...this.fields, ...f }) + '\n');
  }
}
