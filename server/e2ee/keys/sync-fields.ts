import type { Ctx } from '../../context.js';
import { positionAtCommit } from '../../sync/stream-positions.js';
import { deviceListDelta, type DeviceListDelta } from './device-list-delta.js';
import { keyCountsOf } from './key-counts.js';
import * as store from './store.js';

/**
 * What end-to-end encryption adds to a /sync response (client-server API, "End-to-End
 * Encryption", "Extensions to /sync"):
 * - device_lists (incremental syncs only, as the spec says): device-list-delta.ts;
 * - device_one_time_keys_count: the syncing device's unclaimed one-time keys by algorithm,
 *   with signed_curve25519 always listed (0 when none), as Synapse does (clients read
 *   that count to decide how many keys to upload, and "absent" is not "none left");
 * - device_unused_fallback_key_types: always present (the spec marks it required; its
 *   presence tells clients the server supports fallback keys).
 * The device's key counts come from memory (key-counts.ts), the stream position is read
 * once per commit (sync/stream-positions.ts); the window's reads only when something moved
 * (see the delta).
 */

export interface E2eeSyncFields {
  device_lists?: DeviceListDelta;
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}

/** The newest position of the device-list stream, read once per commit. */
export function deviceListPosition(ctx: Ctx): Promise<number> {
  return positionAtCommit(ctx, 'device_lists', () => store.getDeviceListStreamId(ctx.db));
}

/**
 * The e2ee fields of a /sync pass for `deviceId` of `userId`, and the device-list position
 * the pass's token takes. `since` is null on an initial sync.
 */
export async function e2eeSyncFields(
  ctx: Ctx,
  a: {
    userId: string;
    deviceId: string;
    since: { events: number; deviceLists: number } | null;
    eventsUpTo: number;
    joinedNow: ReadonlySet<string>;
    joinedAtSince: ReadonlySet<string>;
  },
): Promise<{ streamId: number; fields: E2eeSyncFields }> {
  const upTo = await deviceListPosition(ctx);
  const counts = await keyCountsOf(ctx, a.userId, a.deviceId);
  const fields: E2eeSyncFields = {
    device_one_time_keys_count: { signed_curve25519: 0, ...counts.oneTimeKeys },
    device_unused_fallback_key_types: [...counts.unusedFallbackTypes],
  };
  if (a.since) {
    fields.device_lists = await deviceListDelta(ctx, {
      userId: a.userId,
      joinedNow: a.joinedNow,
      joinedAtSince: a.joinedAtSince,
      events: { after: a.since.events, upTo: a.eventsUpTo },
      // A token from before a restore may be past the stream's end: nothing is new to it.
      deviceLists: { after: a.since.deviceLists, upTo: Math.max(upTo, a.since.deviceLists) },
    });
  }
  // The token never goes backwards, even for a token past the stream's end.
  return { streamId: Math.max(upTo, a.since?.deviceLists ?? 0), fields };
}
