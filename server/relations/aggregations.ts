import type { Ctx } from '../context.js';
import { pduOf } from '../events/event-cache.js';
import type { ServedEventRow } from '../events/store.js';
import { relationOf } from './relates-to.js';
import * as store from './store.js';

/**
 * Bundled aggregations (client-server API "Aggregations of child events"): what the server
 * summarises of an event's children in `unsigned.m.relations` wherever it serves the event.
 * This module finds them for a whole page of events at once (a fixed number of queries
 * however long the page: /sync and /messages serve many events); serving them as client
 * events is serve-events.ts's part.
 *
 * - m.thread (module "Threading"): count, latest event, current_user_participated;
 * - m.replace ("Event replacements"): the most recent valid edit, by origin_server_ts then
 *   event_id; none for a redacted original;
 * - m.reference ("Reference relations"): the referencing event ids;
 * - m.annotation is not aggregated ("Server-side aggregation of m.annotation relationships").
 *
 * State events get none ("State events do not currently receive bundled aggregations"), and
 * neither do edits and annotations, which "may not have any other event related to" them
 * (as Synapse). Only an event that is no relation itself can be a thread root.
 */

/** Who the events are served to: `current_user_participated` and visibility depend on it. */
export interface Viewer {
  userId: string;
  canSee(row: ServedEventRow): Promise<boolean>;
}

/** The children found for one event, not yet served. */
export interface Bundle {
  thread?: { latest: ServedEventRow; count: number; participated: boolean };
  replace?: ServedEventRow;
  references?: string[];
}

/** The bundles of the events of `rows` that have any, by event id. */
export async function loadBundles(
  ctx: Ctx,
  rows: readonly ServedEventRow[],
  viewer: Viewer,
): Promise<Map<string, Bundle>> {
  const out = new Map<string, Bundle>();
  const possible = rows.filter((row) => row.state_key === null);
  if (!possible.length) return out;
  // One look at the parents index first: most pages have no event with any child, and the
  // three queries per room below are then not needed (nor for the events without one).
  const parents = await store.getParentsWithChildren(
    ctx.db,
    possible.map((r) => r.event_id),
  );
  if (!parents.size) return out;
  const byRoom = new Map<string, Candidates>();
  for (const row of possible) {
    if (!parents.has(row.event_id)) continue;
    // Parsed through the shared cache: the page's events were mostly parsed already.
    const own = row.redacted_by ? null : relationOf(pduOf(ctx, row.event_id, row.json).content);
    if (own?.relType === 'm.replace' || own?.relType === 'm.annotation') continue;
    let c = byRoom.get(row.room_id);
    if (!c) byRoom.set(row.room_id, (c = { all: [], roots: new Map(), editable: [] }));
    c.all.push(row.event_id);
    if (!own) c.roots.set(row.event_id, row.sender);
    if (!row.redacted_by) c.editable.push(row.event_id);
  }
  const bundle = (id: string): Bundle => {
    let b = out.get(id);
    if (!b) out.set(id, (b = {}));
    return b;
  };
  for (const [roomId, c] of byRoom) {
    await addThreads(ctx, roomId, c.roots, viewer, bundle);
    await addReplacements(ctx, roomId, c.editable, viewer, bundle);
    for (const ref of await store.getReferences(ctx.db, roomId, c.all)) {
      (bundle(ref.parent_id).references ??= []).push(ref.event_id);
    }
  }
  return out;
}

interface Candidates {
  /** Events that may have any aggregation. */
  all: string[];
  /** Possible thread roots: event id -> sender. */
  roots: Map<string, string>;
  /** Events whose edits count: not redacted. */
  editable: string[];
}

async function addThreads(
  ctx: Ctx,
  roomId: string,
  roots: Map<string, string>,
  viewer: Viewer,
  bundle: (id: string) => Bundle,
): Promise<void> {
  if (!roots.size) return;
  const summaries = await store.getThreadSummaries(
    ctx.db,
    roomId,
    [...roots.keys()],
    viewer.userId,
  );
  if (!summaries.length) return;
  const latest = new Map(
    (
      await store.getRowsByOrdering(
        ctx.db,
        roomId,
        summaries.map((s) => s.latest),
      )
    ).map((r) => [r.stream_ordering, r]),
  );
  for (const s of summaries) {
    const row = latest.get(s.latest);
    // A thread whose latest event the viewer may not see is not summarised to them.
    if (!row || !(await viewer.canSee(row))) continue;
    bundle(s.root_id).thread = {
      latest: row,
      count: s.count,
      participated: s.participated === 1 || roots.get(s.root_id) === viewer.userId,
    };
  }
}

async function addReplacements(
  ctx: Ctx,
  roomId: string,
  editable: string[],
  viewer: Viewer,
  bundle: (id: string) => Bundle,
): Promise<void> {
  if (!editable.length) return;
  for (const edit of await store.getReplacements(ctx.db, roomId, editable)) {
    if (!(await viewer.canSee(edit))) continue;
    const b = bundle(edit.parent_id);
    if (!b.replace || isMoreRecent(edit, b.replace)) b.replace = edit;
  }
}

/** "Most recent" as the spec defines it for edits: origin_server_ts, then the larger event_id. */
function isMoreRecent(a: ServedEventRow, b: ServedEventRow): boolean {
  if (a.origin_server_ts !== b.origin_server_ts) return a.origin_server_ts > b.origin_server_ts;
  return a.event_id > b.event_id;
}
