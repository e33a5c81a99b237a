import { MatrixError } from '../core/errors.js';
import type { Ctx } from '../context.js';
import type { Pdu } from '../events/event-format.js';
import * as events from '../events/store.js';
import { openRoomView, type RoomView } from '../rooms/visibility.js';
import { eventMatchesFilter, roomIncluded, type RoomEventFilter } from '../sync/filter.js';
import type { BatchToken, SearchOrder } from './batch-token.js';
import * as store from './store.js';

/**
 * Finding what one user may be shown: the rooms and senders a search covers, and the walk
 * over the index's matches that keeps those the room's history visibility and the whole
 * RoomEventFilter allow.
 */

/** The most matches one request looks at, so a user who may see few of them cannot make us scan all. */
const MAX_SCAN = 5000;

/** A match the user may see, with the room it was read through. */
export interface Found {
  hit: store.SearchHit;
  view: RoomView;
}

/**
 * The rooms to search (joined now, narrowed by the filter and a room group's token) and
 * the senders to search (the filter's, narrowed by a sender group's token).
 */
export async function roomsAndSenders(
  ctx: Ctx,
  userId: string,
  filter: RoomEventFilter,
  token: BatchToken | null,
): Promise<{ roomIds: string[]; senders: string[] | null }> {
  const joined = await events.getRoomsWithMembership(ctx.db, userId, 'join');
  let roomIds = joined.filter((r) => roomIncluded(filter, r));
  let senders = filter.senders;
  const g = token?.group;
  if (g?.key === 'room_id') roomIds = roomIds.filter((r) => r === g.value);
  if (g?.key === 'sender') senders = (senders ?? [g.value]).filter((s) => s === g.value);
  return { roomIds, senders };
}

/**
 * Up to `limit` matches the user may see and the filter passes, in the requested order,
 * from `cursor` on; where to continue, and whether anything is left to look at.
 */
export async function findVisible(
  ctx: Ctx,
  userId: string,
  scope: store.SearchScope,
  filter: RoomEventFilter,
  a: { order: SearchOrder; cursor: number; limit: number },
): Promise<{ found: Found[]; cursor: number; exhausted: boolean }> {
  if (a.limit === 0) return { found: [], cursor: a.cursor, exhausted: true };
  const batchSize = Math.min(Math.max(a.limit * 2, 50), 500);
  const views = roomViews(ctx, userId);
  const found: Found[] = [];
  let cursor = a.cursor;
  let scanned = 0;
  const fetch = (limit: number) =>
    a.order === 'recent'
      ? store.getRecentHits(ctx.db, scope, { before: cursor, limit })
      : store.getRankedHits(ctx.db, scope, { offset: cursor, limit });
  while (found.length < a.limit && scanned < MAX_SCAN) {
    const batch = await fetch(batchSize);
    let used = 0;
    for (const hit of batch) {
      used++;
      scanned++;
      cursor = a.order === 'recent' ? hit.stream_ordering : cursor + 1;
      const view = await views(hit.room_id);
      if (view && matches(hit, filter) && (await view.canSee(hit))) found.push({ hit, view });
      if (found.length === a.limit) break;
    }
    if (used === batch.length && batch.length < batchSize) {
      return { found, cursor, exhausted: true };
    }
  }
  return { found, cursor, exhausted: (await fetch(1)).length === 0 };
}

/**
 * Opens each room once for reading by the user. A room they left since the list of joined
 * rooms was read may refuse (403): its matches are then skipped.
 */
function roomViews(ctx: Ctx, userId: string): (roomId: string) => Promise<RoomView | null> {
  const views = new Map<string, Promise<RoomView | null>>();
  return (roomId) => {
    let v = views.get(roomId);
    if (!v) {
      v = openRoomView(ctx, userId, roomId).catch((e: unknown) => {
        if (e instanceof MatrixError) return null;
        throw e;
      });
      views.set(roomId, v);
    }
    return v;
  };
}

export function contentOf(hit: store.SearchHit): Record<string, unknown> {
  return (JSON.parse(hit.json) as Pdu).content;
}

function matches(hit: store.SearchHit, filter: RoomEventFilter): boolean {
  return eventMatchesFilter(
    { type: hit.type, sender: hit.sender, room_id: hit.room_id, content: contentOf(hit) },
    filter,
  );
}
