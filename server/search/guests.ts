import { MatrixError } from '../core/errors.js';

/**
 * Guests may use only the endpoints the spec's "Guest Access" module lists; search and the
 * user directory are not among them.
 */
export function guestForbidden(): MatrixError {
  return new MatrixError('M_GUEST_ACCESS_FORBIDDEN', 'Guest access is not allowed here', 403);
}
