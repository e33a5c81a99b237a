import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';
import type { ClientEvent } from '../events/client-event.js';
import { serveEvents } from '../rooms/serve-events.js';
import { getRoomMaxStreamOrdering } from '../rooms/timeline-store.js';
import { makeToken, openVisibleEvent, parseToken } from '../rooms/timeline.js';
import { collectVisible } from './paging.js';
import * as store from './store.js';

/**
 * GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] (relations.yaml): the
 * children of an event, newest first by default. Tokens are the timeline's stream tokens
 * (`s<N>`, rooms/timeline.ts), so /messages `start` and /sync `next_batch` tokens work as
 * `from`, as the spec allows: backwards from `s<N>` returns children at positions <= N,
 * forwards those > N.
 */

/** How many levels of relations `recurse=true` follows (the spec asks for at least 3). */
export const RECURSION_DEPTH = 3;

export interface RelationsPage {
  chunk: ClientEvent[];
  next_batch?: string;
  prev_batch?: string;
  recursion_depth?: number;
}

/**
 * The children of `eventId` the requester may see. Throws 404 M_NOT_FOUND when the room or
 * the parent is unknown or invisible to them, 400 M_INVALID_PARAM for a bad token.
 */
export async function getRelations(
  ctx: Ctx,
  requester: Requester,
  a: {
    roomId: string;
    eventId: string;
    relType?: string | undefined;
    eventType?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
    dir: 'b' | 'f';
    limit: number;
    /** undefined when the client did not send `recurse` (then no recursion_depth). */
    recurse?: boolean | undefined;
  },
): Promise<RelationsPage> {
  const from = a.from !== undefined ? parseToken(a.from, 'from') : undefined;
  const to = a.to !== undefined ? parseToken(a.to, 'to') : undefined;
  const { view, row: parent } = await openVisibleEvent(ctx, requester.userId, a);
  const depth = a.recurse ? RECURSION_DEPTH : 1;
  const back = a.dir === 'b';
  const bound = to ?? (back ? 0 : Number.MAX_SAFE_INTEGER);
  const page = await collectVisible({
    start: from ?? (back ? await getRoomMaxStreamOrdering(ctx.db, view.roomId) : 0),
    limit: a.limit,
    fetch: (cursor, n) =>
      store.getChildren(ctx.db, {
        roomId: view.roomId,
        parentId: parent.event_id,
        depth,
        relType: a.relType,
        eventType: a.eventType,
        after: back ? bound : cursor,
        upTo: back ? cursor : bound,
        dir: a.dir,
        limit: n,
      }),
    cursorAfter: (row) => (back ? row.stream_ordering - 1 : row.stream_ordering),
    keep: (row) => view.canSee(row),
  });
  const out: RelationsPage = {
    chunk: await serveEvents(ctx, view.version, page.items, {
      userId: requester.userId,
      canSee: view.canSee,
    }),
  };
  if (page.next !== null) out.next_batch = makeToken(page.next);
  if (a.from !== undefined) out.prev_batch = a.from;
  if (a.recurse !== undefined) out.recursion_depth = depth;
  return out;
}
