import type { Ctx } from '../context.js';
import { createCache, type Cache } from '../core/cache.js';

/**
 * Which member events each device was already sent by lazy-loading /syncs (spec
 * "Lazy-loading room members": with include_redundant_members false the server may leave
 * out member events the client has been sent, and clients that ask so remember them).
 * Kept in memory as Synapse does: per (user, device), a bounded LRU of
 * (room, member) -> the member event id last sent. Losing a record (eviction, expiry,
 * restart) only means an event is sent again, which is always correct.
 */

/** Devices remembered at once (scaled by the cache factors). */
const DEVICES = 256;
/** (room, member) pairs remembered per device. */
const PER_DEVICE = 1000;
/** A device that has not synced for this long starts over (as Synapse's 30 minutes). */
const TTL_MS = 30 * 60_000;

type DeviceRecord = Cache<string, string>;

/** Per server (context), as typing.ts keeps its in-memory state: several servers per process. */
const records = new WeakMap<Ctx, Cache<string, DeviceRecord>>();

function recordsOf(ctx: Ctx): Cache<string, DeviceRecord> {
  let r = records.get(ctx);
  if (!r)
    records.set(ctx, (r = createCache(ctx.config.caches, 'lazy_loaded_members', DEVICES, TTL_MS)));
  return r;
}

export interface SyncingDevice {
  userId: string;
  deviceId: string;
}

const deviceKey = (d: SyncingDevice) => `${d.userId}\u0000${d.deviceId}`;
const memberKey = (roomId: string, userId: string) => `${roomId}\u0000${userId}`;

/** Forgets what the device was sent: its client starts over (initial sync, full_state). */
export function forgetSentMembers(ctx: Ctx, device: SyncingDevice): void {
  recordsOf(ctx).delete(deviceKey(device));
}

/** Whether member event `eventId` of `userId` in the room was the last one sent to the device. */
export function wasMemberSent(
  ctx: Ctx,
  device: SyncingDevice,
  roomId: string,
  member: { userId: string; eventId: string },
): boolean {
  return (
    recordsOf(ctx).get(deviceKey(device))?.get(memberKey(roomId, member.userId)) === member.eventId
  );
}

/** Records the member events of a room just sent to the device (in its state or timeline). */
export function noteMembersSent(
  ctx: Ctx,
  device: SyncingDevice,
  roomId: string,
  members: readonly { userId: string; eventId: string }[],
): void {
  if (!members.length) return;
  const all = recordsOf(ctx);
  let sent = all.get(deviceKey(device));
  if (!sent) {
    sent = createCache(ctx.config.caches, 'lazy_loaded_members_per_device', PER_DEVICE);
    all.set(deviceKey(device), sent);
  }
  for (const m of members) sent.set(memberKey(roomId, m.userId), m.eventId);
}
