import { deactivateUser } from '../accounts/account.js';
import { assertPasswordPolicy, hashPassword } from '../accounts/password.js';
import { deleteProfileField, setProfileField } from '../accounts/profile-store.js';
import { removeOtherDevices } from '../accounts/sessions.js';
import * as accounts from '../accounts/store.js';
import { forgetTokens } from '../accounts/tokens.js';
import { createUser } from '../accounts/users.js';
import type { Ctx } from '../context.js';
import { errors, MatrixError } from '../core/errors.js';
import { isValidLocalpart, parseUserId } from '../core/ids.js';
import type { Tx } from '../db/sql.js';
import { getRoomsWithMembership } from '../events/store.js';
import { nextToken } from './paging.js';
import * as store from './users-store.js';

/** Synapse's user types; null is a regular user. */
const USER_TYPES = ['bot', 'support'];

/** A local user's id, else 400 (these endpoints manage this server's accounts only). */
export function assertLocalUser(ctx: Ctx, userId: string): void {
  const id = parseUserId(userId);
  if (!id) throw errors.invalidParam(`Invalid user id ${userId}`);
  if (id.serverName !== ctx.config.serverName) {
    throw errors.invalidParam('This endpoint can only be used with local users');
  }
}

/** The local user's row, else 404 M_NOT_FOUND (400 for another server's user). */
export async function existingUser(ctx: Ctx, userId: string): Promise<store.AdminUserRow> {
  assertLocalUser(ctx, userId);
  const row = await store.getAdminUser(ctx.db, userId);
  if (!row) throw errors.notFound('User not found');
  return row;
}

/** An account as Synapse's List Accounts answers it (creation_ts in ms). */
function listedUser(r: store.AdminUserRow): Record<string, unknown> {
  return {
    name: r.user_id,
    user_type: r.user_type,
    is_guest: r.is_guest === 1,
    admin: r.admin === 1,
    deactivated: r.deactivated === 1,
    shadow_banned: false,
    displayname: r.displayname,
    avatar_url: r.avatar_url,
    creation_ts: r.created_ts,
    last_seen_ts: r.last_seen_ts,
    locked: false,
    erased: false,
  };
}

/** GET /v2/users: a page of accounts (see USER_ORDER for the sort keys). */
export async function listUsers(
  ctx: Ctx,
  a: store.UserFilter & { from: number; limit: number; orderBy: string; dir: 'f' | 'b' },
): Promise<Record<string, unknown>> {
  const rows = await store.listUsers(ctx.db, a, a);
  const total = await store.countUsers(ctx.db, a);
  return { users: rows.map(listedUser), ...nextToken(a.from, rows.length, total), total };
}

/** GET /v2/users/{userId}: one account in detail; 404 if unknown. */
export async function getUserDetails(ctx: Ctx, userId: string): Promise<Record<string, unknown>> {
  return userDetails(await existingUser(ctx, userId));
}

function userDetails(r: store.AdminUserRow): Record<string, unknown> {
  return {
    ...listedUser(r),
    threepids: [],
    external_ids: [],
    appservice_id: null,
    consent_server_notice_sent: null,
    consent_version: null,
    consent_ts: null,
  };
}

export interface UserChanges {
  password?: string | undefined;
  logout_devices?: boolean | undefined;
  displayname?: string | null | undefined;
  avatar_url?: string | null | undefined;
  admin?: boolean | undefined;
  deactivated?: boolean | undefined;
  user_type?: string | null | undefined;
}

/** Checks every field before anything is written. */
function validateChanges(c: UserChanges): void {
  if (c.user_type != null && !USER_TYPES.includes(c.user_type)) {
    throw errors.invalidParam(`Invalid user type ${c.user_type}`);
  }
  if (c.password !== undefined && (c.password.length === 0 || c.password.length > 512)) {
    throw errors.invalidParam('Invalid password');
  }
  if (typeof c.displayname === 'string' && c.displayname.length > 256) {
    throw errors.invalidParam('displayname is too long (256 characters at most)');
  }
  if (
    typeof c.avatar_url === 'string' &&
    c.avatar_url !== '' &&
    !c.avatar_url.startsWith('mxc://')
  ) {
    throw errors.invalidParam('avatar_url must be an mxc:// URI');
  }
}

/** Writes display name and avatar (null or '' removes one). */
async function applyProfile(tx: Tx, userId: string, c: UserChanges): Promise<void> {
  for (const field of ['displayname', 'avatar_url'] as const) {
    const v = c[field];
    if (v === undefined) continue;
    if (v === null || v === '') await deleteProfileField(tx, userId, field);
    else await setProfileField(tx, userId, field, v);
  }
}

/**
 * PUT /v2/users/{userId}: creates the account (created: true) or changes it. Everything is
 * checked first, then written in one writer unit, so a refused request changes nothing.
 * A new password logs every device out unless logout_devices is false; deactivation runs
 * the account deactivation of the client API (accounts/account.ts); reactivating needs a
 * password. An admin cannot demote nor deactivate themselves.
 */
export async function upsertUser(
  ctx: Ctx,
  actingUserId: string,
  userId: string,
  c: UserChanges,
): Promise<{ created: boolean; user: Record<string, unknown> }> {
  assertLocalUser(ctx, userId);
  validateChanges(c);
  if (c.password !== undefined) assertPasswordPolicy(ctx, c.password);
  const existing = await store.getAdminUser(ctx.db, userId);
  if (!existing && !isValidLocalpart(parseUserId(userId)!.localpart)) {
    throw new MatrixError('M_INVALID_USERNAME', 'Invalid user id for a new account', 400);
  }
  if (userId === actingUserId && (c.admin === false || c.deactivated === true)) {
    throw errors.invalidParam('You may not demote or deactivate yourself');
  }
  const reactivate = existing?.deactivated === 1 && c.deactivated === false;
  if (reactivate && c.password === undefined && ctx.config.passwordEnabled) {
    throw errors.invalidParam('Must provide a password to re-activate an account');
  }
  // A deactivated account keeps no password (accounts/account.ts): none is set with it.
  const deactivating = c.deactivated === true && existing?.deactivated !== 1;
  const hash =
    c.password !== undefined && !(existing && deactivating)
      ? await hashPassword(ctx, c.password)
      : undefined;
  const write = async (tx: Tx) => {
    if (!existing) {
      await createUser(ctx, tx, {
        userId,
        passwordHash: hash ?? null,
        admin: c.admin ?? false,
        userType: c.user_type ?? null,
      });
    } else {
      if (hash !== undefined) await accounts.setPasswordHash(tx, userId, hash);
      if (hash !== undefined && c.logout_devices !== false && !reactivate) {
        await removeOtherDevices(ctx, tx, userId, null);
      }
      if (reactivate) await store.markReactivated(tx, userId);
      if (c.admin !== undefined) await accounts.setAdmin(tx, userId, c.admin);
      if (c.user_type !== undefined) await store.setUserType(tx, userId, c.user_type);
      // Cached requesters carry the admin flag: drop them so it holds from the next request.
      const hashes = await accounts.listAccessTokenHashes(tx, userId);
      tx.afterCommit(() => forgetTokens(ctx, hashes));
    }
    await applyProfile(tx, userId, c);
  };
  if (existing && deactivating) {
    // One writer unit: the client API's deactivation, and the other changes beside it.
    await deactivateUser(ctx, userId, false, write);
  } else {
    await ctx.writer.transaction(existing ? 'admin_modify_user' : 'admin_create_user', write);
    if (deactivating) await deactivateUser(ctx, userId, false);
  }
  ctx.log.info({ userId, by: actingUserId, created: !existing }, 'account changed by an admin');
  return { created: !existing, user: await getUserDetails(ctx, userId) };
}

/**
 * POST /v1/reset_password/{userId}: sets a new password; every device is logged out unless
 * logout_devices is false.
 */
export async function resetPassword(
  ctx: Ctx,
  userId: string,
  a: { newPassword: string; logoutDevices: boolean },
): Promise<void> {
  const user = await existingUser(ctx, userId);
  if (user.deactivated === 1) throw errors.invalidParam('The account is deactivated');
  validateChanges({ password: a.newPassword });
  assertPasswordPolicy(ctx, a.newPassword);
  const hash = await hashPassword(ctx, a.newPassword);
  await ctx.writer.transaction('admin_reset_password', async (tx) => {
    await accounts.setPasswordHash(tx, userId, hash);
    if (a.logoutDevices) await removeOtherDevices(ctx, tx, userId, null);
  });
  ctx.log.info({ userId }, 'password reset by an admin');
}

/** POST /v1/deactivate/{userId}: the client API's account deactivation, done by an admin. */
export async function deactivateByAdmin(
  ctx: Ctx,
  actingUserId: string,
  userId: string,
  erase: boolean,
): Promise<void> {
  await existingUser(ctx, userId);
  if (userId === actingUserId) throw errors.invalidParam('You may not deactivate yourself');
  await deactivateUser(ctx, userId, erase);
}

/** GET /v1/whois/{userId}: the user's devices with their last connection. */
export async function whois(ctx: Ctx, userId: string): Promise<Record<string, unknown>> {
  await existingUser(ctx, userId);
  const devices: Record<string, unknown> = {};
  for (const d of await accounts.listDevices(ctx.db, userId)) {
    const connections = d.last_seen_ts
      ? [{ ip: d.last_seen_ip, last_seen: d.last_seen_ts, user_agent: d.last_seen_user_agent }]
      : [];
    devices[d.device_id] = { sessions: [{ connections }] };
  }
  return { user_id: userId, devices };
}

/** GET /v2/users/{userId}/devices */
export async function listUserDevices(ctx: Ctx, userId: string): Promise<Record<string, unknown>> {
  await existingUser(ctx, userId);
  const devices = (await accounts.listDevices(ctx.db, userId)).map((d) => ({
    device_id: d.device_id,
    display_name: d.display_name,
    last_seen_ip: d.last_seen_ip,
    last_seen_ts: d.last_seen_ts,
    last_seen_user_agent: d.last_seen_user_agent,
    user_id: d.user_id,
  }));
  return { devices, total: devices.length };
}

/** GET /v1/users/{userId}/joined_rooms */
export async function listJoinedRooms(ctx: Ctx, userId: string): Promise<Record<string, unknown>> {
  await existingUser(ctx, userId);
  const rooms = await getRoomsWithMembership(ctx.db, userId, 'join');
  return { joined_rooms: rooms, total: rooms.length };
}
