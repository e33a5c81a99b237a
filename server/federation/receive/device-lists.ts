import type { Ctx } from '../../context.js';
import { isObject } from '../../core/is-object.js';
import { isValidUserOf } from '../../core/ids.js';
import { markRemoteDeviceListChanged } from '../../e2ee/device-lists.js';
import { sharesRoomWithLocalUser } from '../../e2ee/federation/sharing.js';
import type { Tx } from '../../db/sql.js';
import * as store from './store.js';

/**
 * Device lists and cross-signing keys of users of other servers (server-server "Device
 * Management": m.device_list_update, GET /user/devices; "End-to-End Encryption":
 * m.signing_key_update), kept for users who share a room with a user of this server
 * (migration 0017; e2ee/federation/sharing.ts).
 * An update whose prev_id names updates this server never saw — or the first update of a
 * user it holds nothing for — makes it read the whole list again from the user's server
 * (GET /user/devices); when that fails, the list is marked stale, to be read again before
 * it is used. Updates of one user are applied one at a time, in the order they came.
 */

/** Whether the user shares a room with a user of this server (only those lists are kept). */
function sharesRoom(ctx: Ctx, userId: string): Promise<boolean> {
  return sharesRoomWithLocalUser(ctx, ctx.db, userId);
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
      await markRemoteDeviceListChanged(ctx, tx, userId);
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
    // The list changed in ways not known here: local users are told, and their clients'
    // next /keys/query asks the user's server (a stale list is never answered from here).
    await ctx.writer.transaction('remote_device_list_stale', async (tx) => {
      await store.setRemoteDeviceList(tx, { userId, streamId: atLeast, stale: true, now });
      await markRemoteDeviceListChanged(ctx, tx, userId);
    });
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
    await markRemoteDeviceListChanged(ctx, tx, userId);
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
      await markRemoteDeviceListChanged(ctx, tx, userId);
    }),
  );
}

/** A remote user's device list as held here (devices with their keys as their server sent them). */
export interface HeldDeviceList {
  devices: { deviceId: string; displayName: string | null; keys: unknown }[];
  masterKey: unknown;
  selfSigningKey: unknown;
}

/**
 * The device list held for a user of another server, when it is kept up to date: the user
 * shares a room here (their server sends updates) and no gap is waiting for a resync. Null
 * otherwise: the user's server is to be asked (end-to-end encryption's remote key queries).
 */
export async function heldDeviceList(ctx: Ctx, userId: string): Promise<HeldDeviceList | null> {
  const held = await store.getRemoteDeviceList(ctx.db, userId);
  if (!held || held.stale || !(await sharesRoom(ctx, userId))) return null;
  const devices = await store.listRemoteDevices(ctx.db, userId);
  const crossSigning = new Map(
    (await store.getRemoteCrossSigningKeys(ctx.db, userId)).map((k) => [
      k.key_type,
      JSON.parse(k.key_json) as unknown,
    ]),
  );
  return {
    devices: devices.map((d) => ({
      deviceId: d.device_id,
      displayName: d.display_name,
      keys: d.keys_json !== null ? (JSON.parse(d.keys_json) as unknown) : null,
    })),
    masterKey: crossSigning.get('master'),
    selfSigningKey: crossSigning.get('self_signing'),
  };
}

/**
 * Keeps whole device lists read with /user/keys/query (which has no stream id) for users who
 * share a room here and whose list is not held, or held stale. A list held up to date is
 * left alone (the updates keep it). A new one starts at stream id 0, so the user's next
 * update, which names an earlier one, makes this server read the list again with its
 * stream id (GET /user/devices); a stale one keeps its id and is fresh again.
 */
export async function keepQueriedDeviceLists(
  ctx: Ctx,
  lists: readonly ({ userId: string } & HeldDeviceList)[],
): Promise<void> {
  const sharing: ({ userId: string } & HeldDeviceList)[] = [];
  for (const l of lists) if (await sharesRoom(ctx, l.userId)) sharing.push(l);
  if (!sharing.length) return;
  await ctx.writer.transaction('remote_device_list_queried', async (tx) => {
    for (const l of sharing) {
      const held = await store.getRemoteDeviceList(tx, l.userId);
      if (held && !held.stale) continue;
      await store.deleteRemoteDevices(tx, l.userId);
      for (const d of l.devices) {
        await store.putRemoteDevice(tx, {
          userId: l.userId,
          deviceId: d.deviceId,
          displayName: d.displayName,
          keysJson: d.keys !== null ? JSON.stringify(d.keys) : null,
        });
      }
      for (const [keyType, key] of [
        ['master', l.masterKey],
        ['self_signing', l.selfSigningKey],
      ] as const) {
        if (isObject(key)) {
          await store.putRemoteCrossSigningKey(tx, {
            userId: l.userId,
            keyType,
            keyJson: JSON.stringify(key),
          });
        }
      }
      await store.setRemoteDeviceList(tx, {
        userId: l.userId,
        streamId: held?.stream_id ?? 0,
        stale: false,
        now: ctx.clock.now(),
      });
    }
  });
}

/**
 * Marks the list held for a user of another server stale once they share no room here (their
 * server then stops sending updates, so the list would silently grow old): if they share one
 * again, the list is read afresh before it answers a query. Runs in the writer unit `tx` of
 * the membership event that ended the last shared room.
 */
export async function untrackDeviceListWithoutSharedRoom(
  ctx: Ctx,
  tx: Tx,
  userId: string,
): Promise<void> {
  if (await sharesRoomWithLocalUser(ctx, tx, userId)) return;
  const held = await store.getRemoteDeviceList(tx, userId);
  if (!held || held.stale) return;
  await store.setRemoteDeviceList(tx, {
    userId,
    streamId: held.stream_id,
    stale: true,
    now: ctx.clock.now(),
  });
}
