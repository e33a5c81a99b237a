import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import { MatrixError } from '../core/errors.js';
import { setProfileField } from './profile-store.js';
import * as store from './store.js';

/**
 * Creates an account inside `tx`, with its display name defaulting to the localpart as
 * Synapse does. Throws M_USER_IN_USE if the id was taken meanwhile.
 */
export async function createUser(
  ctx: Ctx,
  tx: Tx,
  u: { userId: string; passwordHash: string | null; admin?: boolean; isGuest?: boolean; userType?: string | null; displayName?: string | null },
): Promise<void> {
  if (await store.getUser(tx, u.userId)) throw new MatrixError('M_USER_IN_USE', 'User ID already taken', 400);
  await store.insertUser(tx, {
    userId: u.userId,
    passwordHash: u.passwordHash,
    createdTs: ctx.clock.now(),
    admin: u.admin ?? false,
    isGuest: u.isGuest ?? false,
    userType: u.userType ?? null,
  });
  if (u.displayName) await setProfileField(tx, u.userId, 'displayname', u.displayName);
}
