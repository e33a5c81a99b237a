import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import { errors } from '../core/errors.js';
import { deleteBackupsOfUser } from '../e2ee/backup/deactivation.js';
import { assertPasswordPolicy, hashPassword } from './password.js';
import { deleteProfile } from './profile-store.js';
import type { Requester } from './requester.js';
import { removeDevices, removeOtherDevices } from './sessions.js';
import * as store from './store.js';
import { finishUia, requireUia, STAGE } from './uia.js';

/** POST /logout: the device of this token goes, and with it every token of that device. */
export async function logout(ctx: Ctx, requester: Requester): Promise<void> {
  await ctx.writer.transaction('logout', (tx) =>
    removeDevices(ctx, tx, requester.userId, [requester.deviceId]),
  );
}

/** POST /logout/all: every device and token of the user. */
export async function logoutAll(ctx: Ctx, requester: Requester): Promise<void> {
  await ctx.writer.transaction('logout_all', (tx) =>
    removeOtherDevices(ctx, tx, requester.userId, null),
  );
}

/** The UIA flows for operations on one's own account. */
function accountFlows(): string[][] {
  return [[STAGE.password]];
}

/** Runs UIA for an operation on the requester's own account (see uia.ts). */
export function requireOwnAccountUia(
  ctx: Ctx,
  requester: Requester,
  auth: unknown,
  uri: string,
  method: string,
) {
  if (requester.isGuest) throw errors.forbidden('Guest accounts cannot do this');
  return requireUia(ctx, { auth, uri, method, flows: accountFlows(), userId: requester.userId });
}

/**
 * POST /account/password. After UIA, sets the new hash; unless the client says
 * logout_devices: false, every other device of the user is logged out.
 */
export async function changePassword(
  ctx: Ctx,
  requester: Requester,
  args: { newPassword: string; logoutDevices: boolean; auth: unknown },
): Promise<void> {
  if (!ctx.config.passwordEnabled) throw errors.forbidden('Password changes are disabled');
  assertPasswordPolicy(ctx, args.newPassword);
  const uia = await requireOwnAccountUia(ctx, requester, args.auth, '/account/password', 'POST');
  const hash = await hashPassword(ctx, args.newPassword);
  await ctx.writer.transaction('change_password', async (tx) => {
    await store.setPasswordHash(tx, requester.userId, hash);
    if (args.logoutDevices) await removeOtherDevices(ctx, tx, requester.userId, requester.deviceId);
    await finishUia(tx, uia);
  });
  ctx.log.info({ userId: requester.userId }, 'password changed');
}

/**
 * POST /account/deactivate. The account can no longer log in and its name is never given
 * out again (the row stays). All devices and tokens go; with `erase`, the profile too.
 */
export async function deactivateAccount(
  ctx: Ctx,
  requester: Requester,
  args: { auth: unknown; erase: boolean },
): Promise<void> {
  const uia = await requireOwnAccountUia(ctx, requester, args.auth, '/account/deactivate', 'POST');
  await deactivateUser(ctx, requester.userId, args.erase, async (tx) => finishUia(tx, uia));
}

/** Deactivates a user (also used by the admin API). */
export async function deactivateUser(
  ctx: Ctx,
  userId: string,
  erase: boolean,
  also?: (tx: Tx) => Promise<void>,
): Promise<void> {
  await ctx.writer.transaction('deactivate_account', async (tx) => {
    await removeOtherDevices(ctx, tx, userId, null);
    await store.markDeactivated(tx, userId);
    await deleteBackupsOfUser(tx, userId);
    if (erase) await deleteProfile(tx, userId);
    await also?.(tx);
  });
  ctx.log.info({ userId, erase }, 'account deactivated');
}
