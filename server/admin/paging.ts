import { errors } from '../core/errors.js';

/**
 * Query parameters as Synapse's admin API reads them: integers and booleans arrive as
 * strings; a bad one is 400 M_INVALID_PARAM and nothing happens.
 */

/** A non-negative integer parameter, or `fallback` when absent. */
export function intParam(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^[0-9]{1,15}$/.test(raw)) {
    throw errors.invalidParam(`Query parameter ${name} must be a non-negative integer`);
  }
  return Number(raw);
}

/** "true" / "false", or `fallback` when absent. */
export function boolParam<T extends boolean | undefined>(
  name: string,
  raw: string | undefined,
  fallback: T,
): boolean | T {
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw errors.invalidParam(`Query parameter ${name} must be true or false`);
}

/** `f` (forwards, the default) or `b` (backwards). */
export function dirParam(raw: string | undefined, fallback: 'f' | 'b' = 'f'): 'f' | 'b' {
  if (raw === undefined) return fallback;
  if (raw === 'f' || raw === 'b') return raw;
  throw errors.invalidParam('Query parameter dir must be f or b');
}

/** One of `allowed`, or `fallback` when absent. */
export function orderParam(raw: string | undefined, allowed: readonly string[], fallback: string) {
  if (raw === undefined) return fallback;
  if (allowed.includes(raw)) return raw;
  throw errors.invalidParam(`Unknown order_by ${raw}; one of ${allowed.join(', ')}`);
}

/** The offset of the next page, while there is one. */
export function nextTokenOffset(from: number, got: number, total: number): number | undefined {
  return got > 0 && from + got < total ? from + got : undefined;
}

/** The token of the next page (`next_token`: its offset as a string), while there is one. */
export function nextToken(from: number, got: number, total: number): { next_token?: string } {
  const next = nextTokenOffset(from, got, total);
  return next !== undefined ? { next_token: String(next) } : {};
}
