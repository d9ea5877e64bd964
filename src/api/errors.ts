import type { ServerResponse } from 'node:http';
import { type ErrorCode, toEngineError } from '../core/errors.js';

/** The one place where EngineError codes become HTTP statuses (as dockerd's errdefs do). */
const statusByCode: Record<ErrorCode, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  InvalidArgument: 400,
  FailedPrecondition: 409,
  PermissionDenied: 403,
  Unavailable: 503,
  NotImplemented: 501,
  NotModified: 304,
  Internal: 500,
};

export function statusFor(code: ErrorCode): number {
  return statusByCode[code] ?? 500;
}

/** Writes `{"message": ...}` with the status for the error's code; a 304 carries no body. */
export function sendError(res: ServerResponse, e: unknown): void {
  const err = toEngineError(e);
  const status = statusFor(err.code);
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  if (status === 304) {
    res.writeHead(304);
    res.end();
    return;
  }
  const body = JSON.stringify({ message: err.message }) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
