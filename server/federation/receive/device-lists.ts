import type { Ctx } from '../../context.js';
import { isObject } from '../../core/is-object.js';
import { isValidUserOf } from '../../core/ids.js';
import { getRoomsWithMembership } from '../../events/store.js';
import * as store from './store.js';

/**
 * Device lists and cross-signing keys of users of other servers (server-server "Device
 * Management": m.device_list_update, GET /user/devices; "End-to-End Encryption":
 * m.signing_key_update), kept for users who share a room with this server (migration 0017).
 * An update whose prev_id names updates this server never saw — or the first update of a
 * user it holds nothing for — makes it read the whole list again from the user's server
 * (GET /user/devices); when that fails, the list is marked stale, to be read again before
 * it is used. Updates of one user are applied one at a time, in the order they came.
 */

/** Whether the user is joined to a room this server holds (only those are kept). */
async function sharesRoom(ctx: Ctx, userId: string): Promise<boolean> {
  return (await getRoomsWithMembership(ctx.db, userId, 'join')).length > 0;
}

/** Runs `fn` after every earlier call for the same user (the room queue, keyed apart). */
function inUserOrder<T>(ctx: Ctx, userId: string, fn: () => Promise<T>): Promise<T> {
  return ctx.roomQueue.run(`device-list ${userId}`, fn);
}

/** m.device_list_update from `origin`; ignores malformed updates and other servers' users. */
export async function receiveDeviceListUpdate(
  ctx: Ctx,
  origin: string,
  c: Record<string, unknown>,
): Promise<void> {
  const { user_id: userId, device_id: deviceId, stream_id: streamId } = c;
  const prevIds = c.prev_id ?? [];
  if (
    !isValidUserOf(userId, origin) ||
    typeof deviceId !== 'string' ||
    deviceId === '' ||
    !Number.isSafeInteger(streamId) ||
    !Array.isArray(prevIds) ||
    !prevIds.every((p) => Number.isSafeInteger(p)) ||
    (c.keys !== undefined && !isObject(c.keys)) ||
    (c.deleted !== undefined && typeof c.deleted !== 'boolean')
  ) {
    ctx.log.info({ origin }, 'ignored a malformed m.device_list_update');
    return;
  }
  if (!(await sharesRoom(ctx, userId))) return;
  await inUserOrder(ctx, userId, async () => {
    const held = await store.getRemoteDeviceList(ctx.db, userId);
    const stream = streamId as number;
    if (held && !held.stale && stream <= held.stream_id) return; // seen already
    const follows =
      held !== undefined && !held.stale && (prevIds as number[]).every((p) => p <= held.stream_id);
    if (!follows) {
      await resyncDeviceList(ctx, origin, userId, stream);
      return;
    }
    const name = c.device_display_name;
    await ctx.writer.transaction('remote_device_list_update', async (tx) => {
      if (c.deleted === true) await store.deleteRemoteDevices(tx, userId, deviceId);
      else {
        await store.putRemoteDevice(tx, {
          userId,
          deviceId,
          displayName: typeof name === 'string' ? name : null,
          keysJson: isObject(c.keys) ? JSON.stringify(c.keys) : null,
        });
      }
      await store.setRemoteDeviceList(tx, {
        userId,
        streamId: stream,
        stale: false,
        now: ctx.clock.now(),
      });
    });
  });
}

/**
 * Reads the user's whole device list (and cross-signing keys) from their server and
 * replaces what is held; on failure marks the list stale at `atLeast`.
 */
async function resyncDeviceList(
  ctx: Ctx,
  origin: string,
  userId: string,
  atLeast: number,
): Promise<void> {
  let body: unknown;
  try {
    const res = await ctx.federation.request(origin, {
      method: 'GET',
      path: `/_matrix/federation/v1/user/devices/${encodeURIComponent(userId)}`,
      timeoutMs: 30_000,
    });
    body = res.status === 200 ? res.body : undefined;
  } catch (err) {
    ctx.log.info({ err, origin, userId }, 'could not read a device list to resync it');
  }
  const devices = isObject(body) && Array.isArray(body.devices) ? body.devices : null;
  const streamId =
    isObject(body) && Number.isSafeInteger(body.stream_id) ? (body.stream_id as number) : null;
  const now = ctx.clock.now();
  if (!isObject(body) || body.user_id !== userId || !devices || streamId === null) {
    await ctx.writer.transaction('remote_device_list_stale', (tx) =>
      store.setRemoteDeviceList(tx, { userId, streamId: atLeast, stale: true, now }),
    );
    return;
  }
  await ctx.writer.transaction('remote_device_list_resync', async (tx) => {
    await store.deleteRemoteDevices(tx, userId);
    for (const d of devices) {
      if (!isObject(d) || typeof d.device_id !== 'string' || d.device_id === '') continue;
      await store.putRemoteDevice(tx, {
        userId,
        deviceId: d.device_id,
        displayName: typeof d.device_display_name === 'string' ? d.device_display_name : null,
        keysJson: isObject(d.keys) ? JSON.stringify(d.keys) : null,
      });
    }
    for (const keyType of ['master', 'self_signing'] as const) {
      const key = body[`${keyType}_key`];
      if (isObject(key) && key.user_id === userId) {
        await store.putRemoteCrossSigningKey(tx, { userId, keyType, keyJson: JSON.stringify(key) });
      }
    }
    // Its server's stream may be behind the update that made us ask (a resync answer
    // from before it): the update's position is the one to compare the next with.
    await store.setRemoteDeviceList(tx, {
      userId,
      streamId: Math.max(streamId, atLeast),
      stale: false,
      now,
    });
  });
}

/** m.signing_key_update from `origin`: a user's new master and/or self-signing key. */
export async function receiveSigningKeyUpdate(
  ctx: Ctx,
  origin: string,
  c: Record<string, unknown>,
): Promise<void> {
  const userId = c.user_id;
  const keys = (['master', 'self_signing'] as const).flatMap((keyType) => {
    const key = c[`${keyType}_key`];
    return isObject(key) && key.user_id === userId && isObject(key.keys) ? [{ keyType, key }] : [];
  });
  if (!isValidUserOf(userId, origin) || !keys.length) {
    ctx.log.info({ origin }, 'ignored a malformed m.signing_key_update');
    return;
  }
  if (!(await sharesRoom(ctx, userId))) return;
  await inUserOrder(ctx, userId, () =>
    ctx.writer.transaction('remote_signing_key_update', async (tx) => {
      for (const { keyType, key } of keys) {
        await store.putRemoteCrossSigningKey(tx, { userId, keyType, keyJson: JSON.stringify(key) });
      }
    }),
  );
}
