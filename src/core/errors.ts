/**
 * The one error type of hako. Every failure that crosses a layer is an EngineError
 * with a stable `code`; the API maps codes to HTTP statuses in one place
 * (api/errors.ts) and the CLI maps them to exit statuses. Messages follow Docker's
 * wording where clients match on it ("No such container: x").
 */
export type ErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'InvalidArgument'
  | 'FailedPrecondition'
  | 'PermissionDenied'
  | 'Unavailable'
  | 'NotImplemented'
  | 'NotModified'
  | 'Internal';

export class EngineError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'EngineError';
  }
}

export const notFound = (msg: string, cause?: unknown) => new EngineError('NotFound', msg, { cause });
export const conflict = (msg: string, cause?: unknown) => new EngineError('Conflict', msg, { cause });
export const invalid = (msg: string, cause?: unknown) => new EngineError('InvalidArgument', msg, { cause });
export const alreadyExists = (msg: string, cause?: unknown) => new EngineError('AlreadyExists', msg, { cause });
export const precondition = (msg: string, cause?: unknown) => new EngineError('FailedPrecondition', msg, { cause });
export const notImplemented = (msg: string) => new EngineError('NotImplemented', msg);
export const internal = (msg: string, cause?: unknown) => new EngineError('Internal', msg, { cause });
export const unavailable = (msg: string, cause?: unknown) => new EngineError('Unavailable', msg, { cause });

export function isEngineError(e: unknown, code?: ErrorCode): e is EngineError {
  return e instanceof EngineError && (code === undefined || e.code === code);
}

/** Wraps anything thrown into an EngineError, keeping EngineErrors as they are. */
export function toEngineError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new EngineError('Internal', msg, { cause: e });
}
