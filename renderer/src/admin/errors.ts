import { MatrixApiError } from '../shared/api';

/**
 * A sentence for an error from the admin API, as an admin should read it: the server's
 * own message where it gave one, and plain words for the usual HTTP failures.
 */
export function errorText(e: unknown): string {
  if (e instanceof MatrixApiError) {
    if (e.errcode === 'M_UNRECOGNIZED' || (e.status === 404 && e.errcode === 'M_UNKNOWN')) {
      return 'This server does not offer this admin feature.';
    }
    if (e.errcode === 'M_FORBIDDEN') return `Not allowed: ${e.message}`;
    if (e.errcode === 'M_LIMIT_EXCEEDED') return 'Too many requests. Wait a moment and try again.';
    return e.message;
  }
  if (e instanceof TypeError) return 'Could not reach the server. Check that it is running.';
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The server does not have this endpoint (older or partial admin API). */
export function isUnsupported(e: unknown): boolean {
  return e instanceof MatrixApiError && e.errcode === 'M_UNRECOGNIZED';
}

export function isNotFound(e: unknown): boolean {
  return e instanceof MatrixApiError && e.status === 404 && e.errcode === 'M_NOT_FOUND';
}
