/**
 * Shapes the image layer shares with engine/ without importing it (layers:
 * image/ may not import engine/). ProgressMessage is structurally the same as
 * engine/types.ts's, so a ProgressFn passes straight through.
 */
export interface ProgressMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
}
export type ProgressFn = (m: ProgressMessage) => void;
