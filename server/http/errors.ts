import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../core/logger.js';
import { HttpError, MatrixError } from '../core/errors.js';

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turns a schema validation failure into the Matrix error a client expects. */
function validationError(err: FastifyError): MatrixError {
  const issue = err.validation?.[0] as ValidationIssue | undefined;
  const part = err.validationContext ?? 'body';
  if (!issue) return new MatrixError('M_BAD_JSON', err.message, 400);
  const field = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (part === 'body' && !field && issue.keyword === 'type') {
    return new MatrixError('M_NOT_JSON', 'Content not JSON: expected a JSON object', 400);
  }
  if (issue.keyword === 'required') {
    const missing = String(issue.params.missingProperty);
    return new MatrixError('M_MISSING_PARAM', `Missing parameter: ${field ? `${field}.` : ''}${missing}`, 400);
  }
  const where = field || (part === 'body' ? 'the body' : part);
  const msg = `${where} ${issue.message ?? 'is invalid'}`;
  return new MatrixError(part === 'body' ? 'M_BAD_JSON' : 'M_INVALID_PARAM', msg, 400);
}

/** Maps any error thrown while handling a request to a Matrix error answer. */
export function toHttpError(err: FastifyError | Error, log: Logger, request: FastifyRequest): HttpError {
  if (err instanceof HttpError) return err;
  const fe = err as FastifyError;
  if (fe.validation) return validationError(fe);
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
