import type { Ctx } from '../../context.js';
import { positionAtCommit } from '../../sync/stream-positions.js';
import {
  certainlyNobody,
  deviceListDelta,
  NOBODY,
  type DeviceListDelta,
} from './device-list-delta.js';
import { keyCountsOf, knownKeyCounts, type KeyCounts } from './key-counts.js';
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

/**
 * The key counts as /sync sends them, made once per KeyCounts (key-counts.ts makes a new
 * one whenever the device's keys change) and shared by the answers: never modified.
 */
function countFields(counts: KeyCounts): {
  oneTimeKeysCount: Record<string, number>;
  fallbackTypes: string[];
} {
  let made = madeFields.get(counts);
  if (!made) {
    made = Object.freeze({
      oneTimeKeysCount: Object.freeze({ signed_curve25519: 0, ...counts.oneTimeKeys }),
      fallbackTypes: Object.freeze([...counts.unusedFallbackTypes]) as unknown as string[],
    });
    madeFields.set(counts, made);
  }
  return made;
}

const madeFields = new WeakMap<
  KeyCounts,
  { oneTimeKeysCount: Record<string, number>; fallbackTypes: string[] }
>();

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
  const { oneTimeKeysCount, fallbackTypes } = countFields(
    knownKeyCounts(ctx, a.userId, a.deviceId) ?? (await keyCountsOf(ctx, a.userId, a.deviceId)),
  );
  const fields: E2eeSyncFields = {
    device_one_time_keys_count: oneTimeKeysCount,
    device_unused_fallback_key_types: fallbackTypes,
  };
  if (a.since) {
    const w = {
      userId: a.userId,
      joinedNow: a.joinedNow,
      joinedAtSince: a.joinedAtSince,
      events: { after: a.since.events, upTo: a.eventsUpTo },
      // A token from before a restore may be past the stream's end: nothing is new to it.
      deviceLists: { after: a.since.deviceLists, upTo: Math.max(upTo, a.since.deviceLists) },
    };
    fields.device_lists = certainlyNobody(ctx, w) ? NOBODY : await deviceListDelta(ctx, w);
  }
  // The token never goes backwards, even for a token past the stream's end.
  return { streamId: Math.max(upTo, a.since?.deviceLists ?? 0), fields };
}
