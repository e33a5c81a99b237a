import type { Ctx } from '../../context.js';
import { referencedEventIds, type EventJson, type Pdu } from '../../events/event-format.js';
import { isServable, openRoomForServer } from '../reads/room-access.js';
import { getServableEvents, type ServableEventRow } from '../reads/store.js';

/**
 * POST /_matrix/federation/v1/get_missing_events/{roomId} for another server (server-server
 * "Backfilling and retrieving missing events"; backfill.yaml): a breadth-first walk of the
 * `prev_events` of `latest_events`, skipping `earliest_events`, stopping at `limit` events
 * and at events below `min_depth`.
 */

/** The most events one answer holds, whatever is asked (Synapse caps at 20 too). */
export const MAX_MISSING_EVENTS = 20;
export const DEFAULT_MISSING_EVENTS = 10;
/** Events walked at most per request: rejected events are walked through without counting. */
const MAX_WALKED = 1000;

export interface MissingEventsQuery {
  earliestEvents: string[];
  latestEvents: string[];
  limit?: number | undefined;
  minDepth?: number | undefined;
}

/**
 * The events `origin` asks for, oldest first (by depth, then as stored). The latest events
 * themselves are not sent. Rejected events and outliers are walked through but never
 * sent; soft-failed ones are (spec "Soft failure": returned when later events reference
 * them). Events the origin may not see, and redacted ones, come redacted
 * (federation/server-visibility.ts).
 * @throws MatrixError 404 M_NOT_FOUND for an unknown room; 403 M_FORBIDDEN when the ACL
 *   denies the origin, or it has no joined member and the room is not world_readable.
 */
export async function getMissingEvents(
  ctx: Ctx,
  origin: string,
  roomId: string,
  q: MissingEventsQuery,
): Promise<{ events: EventJson[] }> {
  const view = await openRoomForServer(ctx, roomId, origin);
  const limit = Math.max(0, Math.min(q.limit ?? DEFAULT_MISSING_EVENTS, MAX_MISSING_EVENTS));
  const minDepth = q.minDepth ?? 0;
  const seen = new Set(q.earliestEvents);
  const inRoom = async (ids: string[]) =>
    (await getServableEvents(ctx.db, ids)).filter(
      (r) => r.room_id === roomId && r.outlier === 0 && r.depth >= minDepth,
    );
  let front = await inRoom(q.latestEvents.filter((id) => !seen.has(id)));
  for (const r of front) seen.add(r.event_id);
  const found: ServableEventRow[] = [];
  let walked = 0;
  while (front.length && found.length < limit && walked < MAX_WALKED) {
    const prevs: string[] = [];
    for (const r of front) {
      for (const id of referencedEventIds((JSON.parse(r.json) as Pdu).prev_events)) {
        if (seen.has(id)) continue;
        seen.add(id);
        prevs.push(id);
      }
    }
    walked += prevs.length;
    front = await inRoom(prevs);
    for (const r of front) {
      if (found.length < limit && isServable(r)) found.push(r);
    }
  }
  found.sort((a, b) => a.depth - b.depth || a.stream_ordering - b.stream_ordering);
  const out: EventJson[] = [];
  for (const r of found) out.push(await view.serve(r));
  return { events: out };
}
