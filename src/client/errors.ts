import { EngineError, type ErrorCode } from '../core/errors.js';

const byStatus: Record<number, ErrorCode> = {
  304: 'NotModified',
  400: 'InvalidArgument',
  403: 'PermissionDenied',
  404: 'NotFound',
  409: 'Conflict',
  412: 'FailedPrecondition',
  501: 'NotImplemented',
  503: 'Unavailable',
};

/** An error response from the daemon: its `{"message"}` and HTTP status. */
export class ApiError extends EngineError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(byStatus[status] ?? 'Internal', message);
    this.status = status;
    this.name = 'ApiError';
  }
}

/** Nothing answers at the daemon address (no socket, refused, ...). */
export class ConnectError extends EngineError {
  readonly host: string;
  readonly errno: string;
  constructor(host: string, cause: NodeJS.ErrnoException) {
    super('Unavailable', `Cannot connect to the hako daemon at ${host}. Is the hako daemon running?`, { cause });
    this.host = host;
    this.errno = cause.code ?? '';
    this.name = 'ConnectError';
  }
}

export function isConnectErrno(e: unknown): e is NodeJS.ErrnoException {
  const c = (e as NodeJS.ErrnoException | undefined)?.code;
  return c === 'ENOENT' || c === 'ECONNREFUSED' || c === 'EACCES' || c === 'ECONNRESET' || c === 'EHOSTUNREACH';
}
