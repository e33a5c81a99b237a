import { OptionalKind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { MatrixError } from '../core/errors.js';

export type HttpPart = 'body' | 'query' | 'params';

/** Checks one part of a request; returns the Matrix error to answer with, or null. */
export type Validator = (data: unknown) => MatrixError | null;

/**
 * Request validation with TypeBox's compiler. Each route's checker is compiled on its first
 * request rather than at start (start-up time is a target), and a failure becomes the
 * Matrix error a client expects:
 * - no body where one is required, or a body that is not an object: M_NOT_JSON;
 * - a missing field: M_MISSING_PARAM;
 * - a wrong body field: M_BAD_JSON; a wrong query or path parameter: M_INVALID_PARAM.
 * Types are never coerced: "5" where an integer is expected is an error.
 */
export function compileValidator(schema: TSchema, part: HttpPart): Validator {
  let check: TypeCheck<TSchema> | null = null;
  return (data) => {
    check ??= TypeCompiler.Compile(schema);
    if (check.Check(data)) return null;
    return toMatrixError(check.Errors(data).First(), part, data);
  };
}

/** True when a body schema was declared `Type.Optional(...)`: an empty body then counts as {}. */
export function isOptionalSchema(schema: TSchema): boolean {
  return schema[OptionalKind] === 'Optional';
}

function toMatrixError(e: ValueError | undefined, part: HttpPart, data: unknown): MatrixError {
  const isBody = part === 'body';
  if (isBody && (typeof data !== 'object' || data === null || Array.isArray(data))) {
    return new MatrixError('M_NOT_JSON', 'Content not JSON: expected a JSON object', 400);
  }
  const code = isBody ? 'M_BAD_JSON' : 'M_INVALID_PARAM';
  if (!e) return new MatrixError(code, `Invalid ${part}`, 400);
  const field = e.path.replace(/^\//, '').replace(/\//g, '.');
  if (e.type === ValueErrorType.ObjectRequiredProperty) {
    return new MatrixError('M_MISSING_PARAM', `Missing parameter: ${field}`, 400);
  }
  return new MatrixError(code, `Invalid ${field || part}: ${e.message.toLowerCase()}`, 400);
}
