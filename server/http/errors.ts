import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../core/logger.js';
import { HttpError, MatrixError } from '../core/errors.js';

/** Maps any error thrown while handling a request to a Matrix error answer. */
export function toHttpError(
  err: FastifyError | Error,
  log: Logger,
  request: FastifyRequest,
): HttpError {
  if (err instanceof HttpError) return err;
  const fe = err as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new MatrixError('M_TOO_LARGE', 'Request body too large', 413);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MatrixError('M_UNKNOWN', 'Invalid Content-Length', 400);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new MatrixError('M_NOT_JSON', 'Unsupported content type', 400);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new MatrixError('M_UNKNOWN', fe.message, fe.statusCode);
  }
  log.error({ err, method: request.method, path: request.routeOptions.url }, 'request failed');
  return new MatrixError('M_UNKNOWN', 'Internal server error', 500);
}

export function sendHttpError(reply: FastifyReply, e: HttpError): FastifyReply {
  return reply.code(e.status).headers(e.headers).send(e.body);
}
