import type { Logger } from '../core/logger.js';
import { HttpError, MatrixError } from '../core/errors.js';

/** Maps any error thrown while handling a request to the Matrix error to answer with. */
export function toHttpError(
  err: unknown,
  log: Logger,
  where: { method: string; path: string },
): HttpError {
  if (err instanceof HttpError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return new MatrixError('M_UNKNOWN', 'The request was cut off', 400);
  }
  log.error({ err, ...where }, 'request failed');
  return new MatrixError('M_UNKNOWN', 'Internal server error', 500);
}
