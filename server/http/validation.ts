import { OptionalKind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { FastifySchemaCompiler } from 'fastify';
import { MatrixError } from '../core/errors.js';

/**
 * Request validation with TypeBox's compiler instead of fastify's default ajv: each route's
 * checker is compiled on its first request rather than at start (start-up time is a feature
 * here), and a failure becomes the Matrix error a client expects:
 * - no body where one is required: M_NOT_JSON;
 * - a missing field: M_MISSING_PARAM;
 * - a wrong body field: M_BAD_JSON; a wrong query or path parameter: M_INVALID_PARAM.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  let check: TypeCheck<TSchema> | null = null;
  const optional = schema[OptionalKind] === 'Optional';
  return (data: unknown) => {
    if (data === null && httpPart === 'body') {
      return optional
        ? true
        : { error: new MatrixError('M_NOT_JSON', 'Content not JSON: expected a JSON object', 400) };
    }
    check ??= TypeCompiler.Compile(schema);
    if (check.Check(data)) return true;
    const first = check.Errors(data).First();
    return { error: toMatrixError(first, httpPart ?? 'body', data) };
  };
};

function toMatrixError(e: ValueError | undefined, part: string, data: unknown): MatrixError {
  const isBody = part === 'body';
  if (!e) return new MatrixError(isBody ? 'M_BAD_JSON' : 'M_INVALID_PARAM', `Invalid ${part}`, 400);
  const field = e.path.replace(/^\//, '').replace(/\//g, '.');
  if (isBody && !field && (typeof data !== 'object' || data === null || Array.isArray(data))) {
    return new MatrixError('M_NOT_JSON', 'Content not JSON: expected a JSON object', 400);
  }
  if (e.type === ValueErrorType.ObjectRequiredProperty) {
    return new MatrixError('M_MISSING_PARAM', `Missing parameter: ${field}`, 400);
  }
  const where = field || (isBody ? 'body' : part);
  return new MatrixError(
    isBody ? 'M_BAD_JSON' : 'M_INVALID_PARAM',
    `Invalid ${where}: ${e.message.toLowerCase()}`,
    400,
  );
}
