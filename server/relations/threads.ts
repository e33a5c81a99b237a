import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';
import { errors, MatrixError } from '../core/errors.js';
import type { ClientEvent } from '../events/client-event.js';
import type { ServedEventRow } from '../events/store.js';
import { serveEvents } from '../rooms/serve-events.js';
import { getRoomMaxStreamOrdering, getTimelineRowsByIds } from '../rooms/timeline-store.js';
import { makeToken, parseToken } from '../rooms/timeline.js';
import { openRoomView } from '../rooms/visibility.js';
import { collectVisible } from './paging.js';
import * as store from './store.js';

/**
 * GET /rooms/{roomId}/threads (threads_list.yaml): the room's thread roots, the most
 * recently active thread first, each with its m.thread aggregation. The token `s<N>`
 * continues with the threads whose latest event is at a stream position <= N (a thread
 * that gets a new event meanwhile moves to the front, as in Synapse).
 */

export interface ThreadsPage {
  chunk: ClientEvent[];
  next_batch?: string;
}

/**
 * The threads of a room whose root the requester may see; with include=participated only
 * those they started or sent an event in. Throws 403 M_FORBIDDEN for an unknown room and
 * one they may not read, 400 M_INVALID_PARAM for a bad token.
 */
export async function listThreads(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; include: 'all' | 'participated'; from?: string | undefined; limit: number },
): Promise<ThreadsPage> {
  const from = a.from !== undefined ? parseToken(a.from, 'from') : undefined;
  const view = await openRoomView(ctx, requester.userId, a.roomId).catch((e: unknown) => {
    // threads_list.yaml answers 403 for a room that does not exist, too.
    throw e instanceof MatrixError && e.errcode === 'M_NOT_FOUND'
      ? errors.forbidden(`You are not in room ${a.roomId}`)
      : e;
  });
  const page = await collectVisible<{ latest: number; root: ServedEventRow | undefined }>({
    start: from ?? (await getRoomMaxStreamOrdering(ctx.db, view.roomId)),
    limit: a.limit,
    fetch: async (cursor, n) => {
      const threads = await store.getThreads(ctx.db, {
        roomId: view.roomId,
        upTo: cursor,
        limit: n,
        participant: a.include === 'participated' ? requester.userId : undefined,
      });
      const roots = await getTimelineRowsByIds(
        ctx.db,
        view.roomId,
        threads.map((t) => t.root_id),
      );
      const byId = new Map(roots.map((r) => [r.event_id, r]));
      return threads.map((t) => ({ latest: t.latest, root: byId.get(t.root_id) }));
    },
    cursorAfter: (t) => t.latest - 1,
    keep: async (t) => t.root !== undefined && (await view.canSee(t.root)),
  });
  const out: ThreadsPage = {
    chunk: await serveEvents(
      ctx,
      view.version,
      page.items.map((t) => t.root!),
      { userId: requester.userId, canSee: view.canSee },
    ),
  };
  if (page.next !== null) out.next_batch = makeToken(page.next);
  return out;
}
