import { MatrixError } from '../core/errors.js';
import { isValidLocalpart, makeUserId, MAX_USER_ID_LENGTH, parseUserId } from '../core/ids.js';
import type { Ctx } from '../context.js';
import * as store from './store.js';

/**
 * Resolves the user named by a login or UIA body: `identifier: {type: "m.id.user", user}`
 * or the deprecated top-level `user`, as a localpart or a full user id of this server.
 * Returns the stored user id (matching case-insensitively), or null.
 */
export async function resolveLoginUser(
  ctx: Ctx,
  body: Record<string, unknown>,
): Promise<string | null> {
  const id = body.identifier;
  let user: unknown = body.user;
  if (typeof id === 'object' && id !== null) {
    const ident = id as Record<string, unknown>;
    if (ident.type !== 'm.id.user') return null;
    user = ident.user;
  }
  if (typeof user !== 'string' || !user) return null;
  let userId = user;
  if (user.startsWith('@')) {
    const parsed = parseUserId(user);
    if (!parsed || parsed.serverName !== ctx.config.serverName) return null;
  } else {
    userId = makeUserId(user, ctx.config.serverName);
  }
  return (await store.findUserIdCaseInsensitive(ctx.db, userId)) ?? null;
}

function invalid(msg: string): MatrixError {
  return new MatrixError('M_INVALID_USERNAME', msg, 400);
}

/**
 * Checks a requested localpart against the rules for new accounts and throws
 * M_INVALID_USERNAME or M_USER_IN_USE (a deactivated account's name stays taken).
 */
export async function assertUsernameAvailable(ctx: Ctx, localpart: string): Promise<string> {
  if (!localpart) throw invalid('User ID cannot be empty');
  if (!isValidLocalpart(localpart)) {
    throw invalid("User ID can only contain characters a-z, 0-9, or '=_-./+'");
  }
  if (localpart.startsWith('_')) throw invalid('User ID may not begin with _');
  if (/^\d+$/.test(localpart)) throw invalid('Numeric user IDs are reserved for guest users');
  const userId = makeUserId(localpart, ctx.config.serverName);
  if (Buffer.byteLength(userId) > MAX_USER_ID_LENGTH) {
    throw invalid(`User ID may not be longer than ${MAX_USER_ID_LENGTH} characters`);
  }
  if (await store.getUser(ctx.db, userId))
    throw new MatrixError('M_USER_IN_USE', 'User ID already taken', 400);
  return userId;
}
