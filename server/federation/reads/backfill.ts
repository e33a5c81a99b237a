import type { Ctx } from '../../context.js';
import { referencedEventIds, type EventJson, type Pdu } from '../../events/event-format.js';
import { isServable, openRoomForServer, pduTransaction } from './room-access.js';
import { getServableEvents, type ServableEventRow } from './store.js';

/**
 * GET /backfill/{roomId}?v=&limit= (spec "Backfilling and retrieving missing events",
 * backfill.yaml): the given events and those before them, walking prev_events. Newest
 * first: the deepest event not yet taken (ties: the later stored), as Synapse's walk,
 * so a limit cuts off the oldest. Ids of `v` not in the room are ignored; events a
 * server may not see come redacted (server-visibility.ts).
 */

/** The most events one answer holds, whatever `limit` asks. */
export const MAX_BACKFILL = 100;

export async function backfillForServer(
  ctx: Ctx,
  origin: string,
  a: { roomId: string; from: readonly string[]; limit: number },
) {
  const view = await openRoomForServer(ctx, a.roomId, origin);
  const limit = Math.min(Math.max(a.limit, 0), MAX_BACKFILL);
  const seen = new Set<string>();
  const candidates = new Map<string, ServableEventRow>();
  const consider = async (ids: readonly string[]) => {
    const fresh = ids.filter((id) => !seen.has(id));
    for (const id of fresh) seen.add(id);
    for (const row of await getServableEvents(ctx.db, fresh)) {
      if (row.room_id === a.roomId && isServable(row)) candidates.set(row.event_id, row);
    }
  };
  await consider(a.from);
  const taken: ServableEventRow[] = [];
  while (taken.length < limit && candidates.size) {
    let next: ServableEventRow | undefined;
    for (const row of candidates.values()) {
      if (
        !next ||
        row.depth > next.depth ||
        (row.depth === next.depth && row.stream_ordering > next.stream_ordering)
      ) {
        next = row;
      }
    }
    candidates.delete(next!.event_id);
    taken.push(next!);
    await consider(referencedEventIds((JSON.parse(next!.json) as Pdu).prev_events));
  }
  const pdus: EventJson[] = [];
  for (const row of taken) pdus.push(await view.serve(row));
  return pduTransaction(ctx, pdus);
}
