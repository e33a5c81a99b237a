import type { LRUCache } from 'lru-cache';
import { boundedLru } from '../core/cache.js';
import type { Ctx } from '../context.js';
import type { Pdu } from '../events/event-format.js';
import { SERVED_EVENT, SERVED_EVENT_COLUMNS } from '../events/store.js';
import { REMOTE_MEMBERSHIP_EVENT } from '../federation/membership/store.js';
import type { SyncEventRow } from './sync-store.js';
import { eventsWindow } from './wake-rooms.js';

/**
 * A user's membership events for /sync, kept in memory between the user's syncs. Every
 * pass of /sync needs all of them (the room sections are sorted by them); reading and
 * parsing them all again on each of a long-poll's wake-ups cost more than the rest of an
 * empty pass. The cache holds the events up to a position and reads only what came after.
 *
 * This is exact because the events table only grows at its end: `stream_ordering` is the
 * rowid, given at insert inside the single writer, so a commit seen by a reader never
 * lands at or below a position read before it; no row is deleted, and whether a row is
 * served (outlier, rejected) is fixed at insert. Redaction sets `redacted_by` alone, which
 * the readers of these rows (membership, position, stripped state) do not use; event_json
 * is never rewritten.
 */

export interface Membership {
  row: SyncEventRow;
  /** `content.membership` of the event ('' when absent). */
  membership: string;
}

interface Held {
  /** Every membership event of the user with stream_ordering <= upTo, oldest first. */
  upTo: number;
  events: readonly Membership[];
}

/** Users kept; a user's entry is a few rows per room they were ever in. */
const MAX_USERS = 10_000;

/** Per server (keyed by its ctx, so test servers in one process stay apart). */
const caches = new WeakMap<Ctx, LRUCache<string, Held>>();

function cacheOf(ctx: Ctx): LRUCache<string, Held> {
  let c = caches.get(ctx);
  if (!c) caches.set(ctx, (c = boundedLru<string, Held>(MAX_USERS)));
  return c;
}

/** Every served membership event about `userId` up to `upTo`, oldest first. */
export async function membershipEventsOfUser(
  ctx: Ctx,
  userId: string,
  upTo: number,
): Promise<readonly Membership[]> {
  const cache = cacheOf(ctx);
  const held = cache.get(userId);
  if (held && held.upTo === upTo) return held.events;
  if (held && held.upTo < upTo) {
    // The window's scan, shared by every long-poll woken by the same send, says whether
    // any membership event of the user landed in it; most wake-ups then read nothing.
    const window = await eventsWindow(ctx, held.upTo, upTo);
    const newer =
      window && !window.members.has(userId)
        ? []
        : await readMemberships(ctx, userId, held.upTo, upTo);
    const events = newer.length ? [...held.events, ...newer] : held.events;
    cache.set(userId, { upTo, events });
    return events;
  }
  // From position 0: history fetched from other servers (negative positions, events/
  // persist-historical.ts) lands below what was read and is no news; a first read and a
  // kept one must agree.
  const events = await readMemberships(ctx, userId, 0, upTo);
  // An older position (a pass behind a newer one) is answered but does not replace it.
  if (!held) cache.set(userId, { upTo, events });
  return events;
}

async function readMemberships(
  ctx: Ctx,
  userId: string,
  after: number,
  upTo: number,
): Promise<Membership[]> {
  // Besides served events: invites, knocks and leaves in rooms this server is not in,
  // kept as outliers (federation/membership/remote-memberships.ts).
  const rows = await ctx.db.all<SyncEventRow>(
    `SELECT ${SERVED_EVENT_COLUMNS} FROM events e JOIN event_json j ON j.stream_ordering = e.stream_ordering
     WHERE e.type = 'm.room.member' AND e.state_key = ? AND e.stream_ordering > ?
       AND e.stream_ordering <= ? AND (${SERVED_EVENT} OR ${REMOTE_MEMBERSHIP_EVENT})
     ORDER BY e.stream_ordering`,
    userId,
    after,
    upTo,
  );
  return rows.map((row) => ({
    row,
    membership: String((JSON.parse(row.json) as Pdu).content.membership ?? ''),
  }));
}
