/**
 * An error that is also a complete HTTP answer: status, JSON body and headers. The HTTP
 * layer sends it as it is. User-Interactive Auth's 401 challenges are of this kind.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.error === 'string' ? body.error : `HTTP ${status}`);
    this.name = 'HttpError';
  }
}

/**
 * The one error type for Matrix errors. The HTTP layer turns it into
 * `{ errcode, error, ...extra }` with the given status; domain code throws it on every
 * path a client or another server can reach, never a bare Error.
 */
export class MatrixError extends HttpError {
  constructor(
    readonly errcode: string,
    message: string,
    status = 400,
    /** Extra top-level fields of the error body (retry_after_ms, soft_logout, ...). */
    extra: Record<string, unknown> = {},
    /** Extra response headers (Retry-After, ...). */
    headers: Record<string, string> = {},
  ) {
    super(status, { errcode, error: message, ...extra }, headers);
    this.name = 'MatrixError';
  }
}

/** Shorthands for the errors that recur across domains. */
export const errors = {
  forbidden: (msg: string) => new MatrixError('M_FORBIDDEN', msg, 403),
  notFound: (msg: string) => new MatrixError('M_NOT_FOUND', msg, 404),
  badJson: (msg: string) => new MatrixError('M_BAD_JSON', msg, 400),
  missingParam: (msg: string) => new MatrixError('M_MISSING_PARAM', msg, 400),
  invalidParam: (msg: string) => new MatrixError('M_INVALID_PARAM', msg, 400),
  unrecognized: (msg = 'Unrecognized request') => new MatrixError('M_UNRECOGNIZED', msg, 404),
  unknown: (msg: string, status = 400) => new MatrixError('M_UNKNOWN', msg, status),
  tooLarge: (msg: string) => new MatrixError('M_TOO_LARGE', msg, 413),
  limitExceeded: (retryAfterMs: number) =>
    new MatrixError(
      'M_LIMIT_EXCEEDED',
      'Too many requests',
      429,
      { retry_after_ms: retryAfterMs },
      { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
    ),
};
