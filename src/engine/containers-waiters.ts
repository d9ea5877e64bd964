/** Pending `wait` calls by container id and condition (not-running, next-exit, removed). */
export type WaitResult = { StatusCode: number; Error: { Message: string } | null };

export class Waiters {
  private readonly byId = new Map<string, { cond: string; resolve: (r: WaitResult) => void }[]>();

  add(id: string, cond: string): Promise<WaitResult> {
    return new Promise((resolve) => {
      const ws = this.byId.get(id) ?? [];
      ws.push({ cond, resolve });
      this.byId.set(id, ws);
    });
  }

  /** Resolves the waiters of `id` whose condition is one of `conds`. */
  resolve(id: string, code: number, conds: string[], err: string | null = null): void {
    const ws = this.byId.get(id) ?? [];
    const keep = ws.filter((w) => !conds.includes(w.cond));
    for (const w of ws) if (conds.includes(w.cond)) w.resolve({ StatusCode: code, Error: err ? { Message: err } : null });
    if (keep.length) this.byId.set(id, keep); else this.byId.delete(id);
  }
}
