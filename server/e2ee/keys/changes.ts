import type { Requester } from '../../accounts/requester.js';
import type { Ctx } from '../../context.js';
import { parseStreamToken } from '../../sync/token.js';
import { membershipEventsOfUser } from '../../sync/wake-memberships.js';
import { deviceListDelta, type DeviceListDelta } from './device-list-delta.js';

/**
 * GET /keys/changes?from=&to= (keys.yaml): the users whose device lists the requester should
 * look at again between two /sync tokens, and those they no longer share a room with: the
 * same answer as /sync's device_lists over that window (device-list-delta.ts).
 * @throws MatrixError 400 M_INVALID_PARAM when a token is not a sync token of this server.
 */
export async function keysChanges(
  ctx: Ctx,
  requester: Requester,
  a: { from: string; to: string },
): Promise<DeviceListDelta> {
  const from = parseStreamToken(a.from, 'from');
  const to = parseStreamToken(a.to, 'to');
  const joinedNow = new Set<string>();
  const joinedAtFrom = new Set<string>();
  const latestNow = new Map<string, string>();
  const latestAtFrom = new Map<string, string>();
  // Oldest first: the last event per room is the membership at that position.
  for (const m of await membershipEventsOfUser(ctx, requester.userId, to.events)) {
    latestNow.set(m.row.room_id, m.membership);
    if (m.row.stream_ordering <= from.events) latestAtFrom.set(m.row.room_id, m.membership);
  }
  for (const [roomId, membership] of latestNow) if (membership === 'join') joinedNow.add(roomId);
  for (const [roomId, membership] of latestAtFrom) {
    if (membership === 'join') joinedAtFrom.add(roomId);
  }
  return deviceListDelta(ctx, {
    userId: requester.userId,
    joinedNow,
    joinedAtSince: joinedAtFrom,
    events: { after: from.events, upTo: Math.max(from.events, to.events) },
    deviceLists: { after: from.device_lists, upTo: Math.max(from.device_lists, to.device_lists) },
  });
}
