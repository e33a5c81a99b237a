import type { Ctx } from '../../context.js';
import { eventsWindow, knownEventsWindow } from '../../sync/wake-rooms.js';
import * as store from './store.js';
import { getUsersJoinedToAny } from '../../rooms/store.js';

/**
 * Which users' device lists a user must look at again, and which they may stop tracking,
 * between two sync tokens (client-server API, "End-to-End Encryption": "Tracking the device
 * list for a user", the /sync extension and GET /keys/changes):
 * - changed: users sharing a joined room with the user (the user included) whose devices or
 *   keys changed in the window of the device-list stream; every member of a room the user
 *   joined in the window; users who joined, in the window, a room the user stayed in. (The
 *   spec allows naming a user who already shared another room, "for the sake of simpler
 *   logic"; Synapse does the same.)
 * - left: users who shared a room the user left, or who left a room the user stayed in, and
 *   share no joined room with the user now.
 * Membership is joins only, read from the rooms' current state, as Synapse reads it.
 *
 * Cost when nothing happened (a long-poll's pass): no query at all. The device-list window
 * is a range of its primary key; the membership window is skipped when the events window's
 * summary (sync/wake-rooms.ts, shared with /sync) has no member event of the user's rooms.
 */

export interface DeviceListDelta {
  changed: string[];
  left: string[];
}

export interface DeviceListWindow {
  userId: string;
  /** Rooms the user is joined to at the end of the window. */
  joinedNow: ReadonlySet<string>;
  /** Rooms the user was joined to at its start. */
  joinedAtSince: ReadonlySet<string>;
  /** Positions of the events stream: (after, upTo]. */
  events: { after: number; upTo: number };
  /** Positions of the device-list stream: (after, upTo]. */
  deviceLists: { after: number; upTo: number };
}

/** The delta of a window that names nobody; shared, so never modified. */
export const NOBODY: DeviceListDelta = Object.freeze({
  changed: Object.freeze([]) as unknown as string[],
  left: Object.freeze([]) as unknown as string[],
});

/** The changed and left users of a window (see above). */
export async function deviceListDelta(ctx: Ctx, w: DeviceListWindow): Promise<DeviceListDelta> {
  const { userId } = w;
  if (await nothingMoved(ctx, w)) return NOBODY;
  const nowRooms = [...w.joinedNow];
  const changed = new Set<string>();
  const leftCandidates = new Set<string>();
  let selfChanged = false;

  if (w.deviceLists.upTo > w.deviceLists.after) {
    const users = await store.getDeviceListChangesBetween(
      ctx.db,
      w.deviceLists.after,
      w.deviceLists.upTo,
    );
    const others = users.filter((u) => u !== userId);
    selfChanged = others.length !== users.length;
    for (const u of await getUsersJoinedToAny(ctx.db, others, nowRooms)) changed.add(u);
  }

  const newlyJoined = nowRooms.filter((r) => !w.joinedAtSince.has(r));
  const newlyLeft = [...w.joinedAtSince].filter((r) => !w.joinedNow.has(r));
  for (const u of await store.getJoinedMembersOfRooms(ctx.db, newlyJoined)) changed.add(u);
  for (const u of await store.getJoinedMembersOfRooms(ctx.db, newlyLeft)) leftCandidates.add(u);

  // Others' joins and leaves in the rooms the user stayed in.
  const stayed = nowRooms.filter((r) => w.joinedAtSince.has(r));
  const window = await eventsWindow(ctx, w.events.after, w.events.upTo);
  const toRead =
    window === null
      ? stayed
      : window.members.size === 0
        ? []
        : stayed.filter((r) => window.rooms.has(r));
  const latest = new Map<string, string | null>();
  const rows = await store.getMembershipChangesInRooms(
    ctx.db,
    toRead,
    w.events.after,
    w.events.upTo,
  );
  // Oldest first: the last event of a (room, user) is their membership at the window's end.
  for (const r of rows) latest.set(`${r.room_id}\u0000${r.user_id}`, r.membership);
  for (const [key, membership] of latest) {
    const user = key.slice(key.indexOf('\u0000') + 1);
    if (membership === 'join') changed.add(user);
    else leftCandidates.add(user);
  }

  // The user is named for their own devices' changes, not for their own memberships.
  changed.delete(userId);
  if (selfChanged) changed.add(userId);
  leftCandidates.delete(userId);
  const candidates = [...leftCandidates].filter((u) => !changed.has(u));
  const stillShared = await getUsersJoinedToAny(ctx.db, candidates, nowRooms);
  return {
    changed: [...changed].sort(),
    left: candidates.filter((u) => !stillShared.has(u)).sort(),
  };
}

/**
 * Whether the window is certain to name nobody: no device-list change, the same joined
 * rooms at both ends, and no member event in the events window (its scan is shared with
 * /sync). Each part of deviceListDelta then reads nothing and adds nobody; answering at
 * once spares a woken long-poll its empty reads and their allocations.
 */
async function nothingMoved(ctx: Ctx, w: DeviceListWindow): Promise<boolean> {
  if (!sameRoomsAndKeys(w)) return false;
  const window = await eventsWindow(ctx, w.events.after, w.events.upTo);
  return window !== null && window.members.size === 0;
}

/**
 * nothingMoved from memory alone: true only when it is certain (the events window is
 * kept, wake-rooms.ts). A woken long-poll's pass asks this first, and skips the delta's
 * awaits when it holds.
 */
export function certainlyNobody(ctx: Ctx, w: DeviceListWindow): boolean {
  if (!sameRoomsAndKeys(w)) return false;
  const window = knownEventsWindow(ctx, w.events.after, w.events.upTo);
  return window !== undefined && window !== null && window.members.size === 0;
}

/** No device-list change in the window, and the same joined rooms at both ends. */
function sameRoomsAndKeys(w: DeviceListWindow): boolean {
  if (w.deviceLists.upTo > w.deviceLists.after) return false;
  if (w.joinedNow.size !== w.joinedAtSince.size) return false;
  for (const r of w.joinedNow) if (!w.joinedAtSince.has(r)) return false;
  return true;
}
