import { randomString } from '../core/clock.js';
import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import { markDeviceListChanged } from '../e2ee/device-lists.js';
import { removeDeviceKeys } from '../e2ee/keys/device-removal.js';
import { deleteInboxesExcept, deleteInboxesOf } from '../to-device/device-removal.js';
import * as store from './store.js';
import { forgetTokens, issueTokens, type IssuedTokens } from './tokens.js';

export interface Session extends IssuedTokens {
  userId: string;
  deviceId: string;
}

/**
 * Starts a logged-in session inside `tx`: the device (new, or the existing one with that
 * id) and its tokens. Device ids are 10 random upper-case letters, as Synapse makes them.
 */
export async function startSession(
  ctx: Ctx,
  tx: Tx,
  args: {
    userId: string;
    deviceId?: string | undefined;
    displayName?: string | undefined;
    refreshable: boolean;
  },
): Promise<Session> {
  const deviceId = args.deviceId ?? randomString(ctx.random, 10, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  const before =
    args.deviceId !== undefined ? await store.getDevice(tx, args.userId, deviceId) : undefined;
  await store.upsertDevice(tx, {
    userId: args.userId,
    deviceId,
    displayName: args.displayName ?? null,
    createdTs: ctx.clock.now(),
  });
  // A new device, or a new name for one, is a device-list change: users sharing a room and
  // other servers hear of it at once (as from Synapse), not only once it uploads keys.
  const renamed = args.displayName !== undefined && before?.display_name !== args.displayName;
  if (!before || renamed) await markDeviceListChanged(ctx, tx, args.userId, [deviceId]);
  const tokens = await issueTokens(ctx, tx, {
    userId: args.userId,
    deviceId,
    refreshable: args.refreshable,
  });
  return { userId: args.userId, deviceId, ...tokens };
}

/** The login/register response body for a session (spec field names). */
export function sessionResponse(ctx: Ctx, s: Session): Record<string, unknown> {
  return {
    user_id: s.userId,
    access_token: s.accessToken,
    device_id: s.deviceId,
    home_server: ctx.config.serverName,
    ...(s.refreshToken ? { refresh_token: s.refreshToken } : {}),
    ...(s.expiresInMs ? { expires_in_ms: s.expiresInMs } : {}),
  };
}

/**
 * Deletes devices (their tokens, to-device inboxes, e2ee keys) inside `tx`; caches drop them
 * after commit. The device list changes for those that existed.
 */
export async function removeDevices(
  ctx: Ctx,
  tx: Tx,
  userId: string,
  deviceIds: string[],
): Promise<void> {
  const hashes = await store.listAccessTokenHashesOfDevices(tx, userId, deviceIds);
  const existing = new Set((await store.listDevices(tx, userId)).map((d) => d.device_id));
  await store.deleteDevices(tx, userId, deviceIds);
  await deleteInboxesOf(tx, userId, deviceIds);
  await removeDeviceKeys(
    ctx,
    tx,
    userId,
    deviceIds.filter((id) => existing.has(id)),
  );
  tx.afterCommit(() => forgetTokens(ctx, hashes));
}

/** Deletes every device of a user but `keep` (null: all of them), inside `tx`. */
export async function removeOtherDevices(
  ctx: Ctx,
  tx: Tx,
  userId: string,
  keep: string | null,
): Promise<void> {
  const hashes = await store.listAccessTokenHashes(tx, userId);
  const removed = (await store.listDevices(tx, userId))
    .map((d) => d.device_id)
    .filter((id) => id !== keep);
  await store.deleteAllDevicesExcept(tx, userId, keep);
  await deleteInboxesExcept(tx, userId, keep);
  await removeDeviceKeys(ctx, tx, userId, removed);
  const kept = keep
    ? new Set(await store.listAccessTokenHashesOfDevices(tx, userId, [keep]))
    : new Set();
  tx.afterCommit(() =>
    forgetTokens(
      ctx,
      hashes.filter((h) => !kept.has(h)),
    ),
  );
}
