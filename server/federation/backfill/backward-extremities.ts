import type { Ctx } from '../../context.js';
import { referencedEventIds, type Pdu } from '../../events/event-format.js';
import { getEventJsonMany, getEventRow, getRoomOldestEvents } from '../../events/store.js';

/**
 * Where a room's stored history stops (Synapse's "backward extremities"): the prev events
 * of its oldest timeline events that this server does not have. Outliers (the state a
 * room was joined with) are stored but are no timeline: the walk goes on through their
 * prev events, so history behind them is found too. A room created here has none: its
 * events all lead back to its create event.
 *
 * Only the start of the stored timeline counts: a gap in the middle (an event of a
 * transaction persisted on a fetched state, receive/fetch-missing.ts) is not filled from
 * here, as the history fetched goes below every stored event.
 */

/** The oldest timeline events looked at. */
const OLDEST_EVENTS = 50;
/** Events deeper than the shallowest of them by more than this are past a gap, not at the start. */
const DEPTH_SLACK = 5;
/** Outliers walked through at most (their chains are short: the state events of the start). */
const MAX_OUTLIER_STEPS = 200;

/** The ids of missing events right before the room's stored history (empty: nothing is missing). */
export async function backwardExtremities(ctx: Ctx, roomId: string): Promise<string[]> {
  const oldest = await getRoomOldestEvents(ctx.db, roomId, OLDEST_EVENTS);
  if (!oldest.length) return [];
  // The timeline starts at the room's create event (every room created here, and one
  // whose history was fetched to its start): nothing is missing before it.
  if ((JSON.parse(oldest[0]!.json) as Pdu).type === 'm.room.create') return [];
  const minDepth = Math.min(...oldest.map((e) => e.depth));
  let frontier = oldest
    .filter((e) => e.depth <= minDepth + DEPTH_SLACK)
    .flatMap((e) => referencedEventIds((JSON.parse(e.json) as Pdu).prev_events));
  const seen = new Set<string>();
  const missing: string[] = [];
  let steps = 0;
  while (frontier.length && steps < MAX_OUTLIER_STEPS) {
    const next: string[] = [];
    const ids = [...new Set(frontier)].filter((id) => !seen.has(id));
    for (const id of ids) seen.add(id);
    const outliers: string[] = [];
    for (const id of ids) {
      const row = await getEventRow(ctx.db, id);
      if (!row) missing.push(id);
      else if (row.outlier) outliers.push(id);
    }
    steps += outliers.length;
    const json = await getEventJsonMany(ctx.db, outliers);
    for (const j of json.values())
      next.push(...referencedEventIds((JSON.parse(j) as Pdu).prev_events));
    frontier = next;
  }
  return missing.sort();
}
