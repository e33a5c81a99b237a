import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import { getRoomsWithMembership } from '../events/store.js';
import { announceDeviceListChange } from './federation/announce.js';
import * as store from './keys/store.js';

/**
 * The device-list stream (docs/e2ee.md): one position per change of a user's devices or
 * keys, read by /sync (device_lists, keys/sync-fields.ts) and GET /keys/changes. The
 * device_lists part of a sync token is a position of this stream.
 */

/**
 * Records that a local user's device list or keys changed, inside the writer unit that made
 * the change: the user appears in device_lists.changed of /sync and /keys/changes for everyone
 * who shares a room with them (and for themselves), and other servers sharing a room get an
 * m.device_list_update EDU per device in `deviceIds` once the unit commits (an empty list: only
 * the local stream, e.g. for a new cross-signing key, which goes out as m.signing_key_update).
 */
export async function markDeviceListChanged(
  ctx: Ctx,
  tx: Tx,
  userId: string,
  deviceIds: readonly string[],
): Promise<void> {
  await appendChange(ctx, tx, userId);
  if (deviceIds.length) await announceDeviceListChange(ctx, tx, userId, deviceIds);
}

/**
 * Records that a remote user's device list changed (an m.device_list_update or
 * m.signing_key_update was applied, or a resync read it): local users sharing a room with them
 * see them in device_lists.changed. Called inside the writer unit that applied it.
 */
export async function markRemoteDeviceListChanged(ctx: Ctx, tx: Tx, userId: string): Promise<void> {
  await appendChange(ctx, tx, userId);
}

/**
 * Appends the change, and once it commits wakes the long-polls that may show it: the user's
 * own, and those listening on the rooms the user is joined to (a /sync long-poll listens on
 * its user's rooms: sync/sync.ts).
 */
async function appendChange(ctx: Ctx, tx: Tx, userId: string): Promise<void> {
  await store.insertDeviceListChange(tx, userId);
  const rooms = await getRoomsWithMembership(tx, userId, 'join');
  tx.afterCommit(() => ctx.notifier.notify([userId, ...rooms]));
}
