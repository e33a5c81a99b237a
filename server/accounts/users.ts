import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import { errors, MatrixError } from '../core/errors.js';
import { forgetTokens } from './tokens.js';
import { setProfileField } from './profile-store.js';
import * as store from './store.js';

/**
 * Creates an account inside `tx`, with its display name defaulting to the localpart as
 * Synapse does. Throws M_USER_IN_USE if the id was taken meanwhile.
 */
export async function createUser(
  ctx: Ctx,
  tx: Tx,
  u: {
    userId: string;
    passwordHash: string | null;
    admin?: boolean;
    isGuest?: boolean;
    userType?: string | null;
    displayName?: string | null;
  },
): Promise<void> {
  if (await store.getUser(tx, u.userId))
    throw new MatrixError('M_USER_IN_USE', 'User ID already taken', 400);
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

/** Whether a local account of that id exists (deactivated ones too: their ids stay taken). */
export async function userExists(ctx: Ctx, userId: string): Promise<boolean> {
  return (await store.getUser(ctx.db, userId)) !== undefined;
}

/** How many active server admins this server has (none: the setup wizard runs). */
export async function countServerAdmins(ctx: Ctx): Promise<number> {
  return store.countAdmins(ctx.db);
}

/** Whether a local user is a server admin; 404 for unknown users. */
export async function isServerAdmin(ctx: Ctx, userId: string): Promise<boolean> {
  const user = await store.getUser(ctx.db, userId);
  if (!user) throw errors.notFound('User not found');
  return user.admin === 1;
}

/**
 * Makes a local user a server admin or not. Cached requesters of that user are dropped so
 * the change holds from the next request on. An admin cannot demote themselves (Synapse's
 * rule), so a server never loses its last admin by accident.
 */
export async function setServerAdmin(
  ctx: Ctx,
  actingUserId: string,
  userId: string,
  admin: boolean,
): Promise<void> {
  if (!admin && actingUserId === userId) throw errors.badJson('You may not demote yourself');
  await ctx.writer.transaction('set_server_admin', async (tx) => {
    if (!(await store.getUser(tx, userId))) throw errors.notFound('User not found');
    await store.setAdmin(tx, userId, admin);
    const hashes = await store.listAccessTokenHashes(tx, userId);
    tx.afterCommit(() => forgetTokens(ctx, hashes));
  });
}
