import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';
import type { ClientEvent } from '../events/client-event.js';
import * as events from '../events/store.js';
import { serveEvents, type Viewer } from '../rooms/serve-events.js';
import * as timeline from '../rooms/timeline-store.js';
import type { RoomView } from '../rooms/visibility.js';
import { eventLimit, parseFilter } from '../sync/filter.js';
import {
  decodeBatchToken,
  encodeBatchToken,
  type BatchToken,
  type GroupKey,
  type SearchOrder,
} from './batch-token.js';
import { contentOf, findVisible, roomsAndSenders, type Found } from './find.js';
import { guestForbidden } from './guests.js';
import { findHighlights, parseSearchTerm } from './query.js';
import { resultContext, type ResultContext } from './result-context.js';
import type { RoomEventsCriteria } from './schema.js';
import { searchableText, typesForKeys } from './searchable.js';
import * as store from './store.js';
import { flushSearchIndex } from './index-queue.js';

/**
 * Server-side search, category `room_events` (client-server API "Server Side Search").
 * - Rooms searched: those the user is joined to now, as Synapse (the spec's prose also
 *   names rooms they left); the filter's `rooms` / `not_rooms` narrow them.
 * - Every result passes the room's history visibility for the user and the whole
 *   RoomEventFilter; redacted events are never found.
 * - `count` is the number of matches in those rooms and keys (and senders), before history
 *   visibility and the rest of the filter: the spec allows an estimate.
 * - Both orderings page with `next_batch`; groups carry a `next_batch` of their own with
 *   `recent` ordering (a stream position works within any group; a rank offset does not).
 */

const DEFAULT_LIMIT = 10;
/** The most results one page returns, whatever the filter's limit. */
const MAX_LIMIT = 100;
const DEFAULT_CONTEXT = 5;
/** The most context events before, and after, each result. */
const MAX_CONTEXT = 100;

interface SearchGroup {
  results: string[];
  order: number;
  next_batch?: string;
}

export interface RoomEventsResult {
  results: { rank: number; result: ClientEvent; context?: ResultContext }[];
  count: number;
  highlights: string[];
  next_batch?: string;
  groups?: Partial<Record<GroupKey, Record<string, SearchGroup>>>;
  state?: Record<string, ClientEvent[]>;
}

/**
 * POST /search, `room_events`. Throws 400 M_INVALID_PARAM for a `next_batch` that is not
 * one of ours or belongs to the other ordering, and 403 M_GUEST_ACCESS_FORBIDDEN for a
 * guest (search is not among the endpoints the spec's guest access module opens).
 */
export async function searchRoomEvents(
  ctx: Ctx,
  requester: Requester,
  criteria: RoomEventsCriteria,
  nextBatch: string | undefined,
): Promise<RoomEventsResult> {
  if (requester.isGuest) throw guestForbidden();
  const order: SearchOrder = criteria.order_by ?? 'rank';
  const token = nextBatch !== undefined ? decodeBatchToken(nextBatch, order) : null;
  const filter = parseFilter({ room: { timeline: criteria.filter ?? {} } }).room.timeline;
  const query = parseSearchTerm(criteria.search_term);
  const limit = eventLimit(filter, DEFAULT_LIMIT, MAX_LIMIT);
  if (query.match === null) return { results: [], count: 0, highlights: [] };
  // Text queued for the index (index-queue.ts) goes in first: a search sees every event
  // committed before it.
  await flushSearchIndex(ctx);
  const scope: store.SearchScope = {
    match: query.match,
    ...(await roomsAndSenders(ctx, requester.userId, filter, token)),
    types: typesForKeys(criteria.keys),
    notSenders: filter.notSenders,
    upTo: token?.upTo ?? (await store.getMaxSearchPosition(ctx.db)),
  };
  if (!scope.roomIds.length) return { results: [], count: 0, highlights: [] };

  const page = await findVisible(ctx, requester.userId, scope, filter, {
    order,
    cursor: token?.cursor ?? (order === 'recent' ? scope.upTo + 1 : 0),
    limit,
  });
  const next = (group: BatchToken['group']) =>
    encodeBatchToken({ order, upTo: scope.upTo, cursor: page.cursor, group });
  const viewers = new Map<string, Viewer>();
  const viewerOf = (view: RoomView): Viewer => {
    let v = viewers.get(view.roomId);
    if (!v) viewers.set(view.roomId, (v = { userId: requester.userId, canSee: view.canSee }));
    return v;
  };
  const served = await serveFound(ctx, page.found, viewerOf);
  const contextOpts = criteria.event_context && {
    beforeLimit: Math.min(criteria.event_context.before_limit ?? DEFAULT_CONTEXT, MAX_CONTEXT),
    afterLimit: Math.min(criteria.event_context.after_limit ?? DEFAULT_CONTEXT, MAX_CONTEXT),
    includeProfile: criteria.event_context.include_profile ?? false,
  };
  const results: RoomEventsResult['results'] = [];
  for (const { hit, view } of page.found) {
    results.push({
      rank: hit.relevance,
      result: served.get(hit.event_id)!,
      ...(contextOpts
        ? { context: await resultContext(ctx, view, viewerOf(view), hit, contextOpts) }
        : {}),
    });
  }
  const out: RoomEventsResult = {
    results,
    count: await store.countHits(ctx.db, scope),
    highlights: findHighlights(
      query.terms,
      page.found.map(({ hit }) => searchableText(hit.type, contentOf(hit)) ?? ''),
    ),
  };
  if (!page.exhausted) out.next_batch = next(token?.group ?? null);
  const groupKeys = new Set((criteria.groupings?.group_by ?? []).map((g) => g.key));
  if (groupKeys.size) {
    out.groups = {};
    for (const key of groupKeys) {
      out.groups[key] = groupResults(page.found, key, (value) =>
        order === 'recent' && !page.exhausted ? next({ key, value }) : undefined,
      );
    }
  }
  if (criteria.include_state) out.state = await currentStates(ctx, page.found, viewerOf);
  return out;
}

/** The found events as clients see them, by event id (served room by room). */
async function serveFound(
  ctx: Ctx,
  found: readonly Found[],
  viewerOf: (view: RoomView) => Viewer,
): Promise<Map<string, ClientEvent>> {
  const byRoom = new Map<string, Found[]>();
  for (const f of found) {
    const list = byRoom.get(f.view.roomId);
    if (list) list.push(f);
    else byRoom.set(f.view.roomId, [f]);
  }
  const out = new Map<string, ClientEvent>();
  for (const list of byRoom.values()) {
    const view = list[0]!.view;
    const rows = list.map((f) => f.hit);
    for (const ev of await serveEvents(ctx, view.version, rows, viewerOf(view))) {
      out.set(ev.event_id, ev);
    }
  }
  return out;
}

/**
 * The results partitioned by `key`; a group's `order` is the position (from 1) of its
 * first result in `results`, so groups sort as their best results do.
 */
function groupResults(
  found: readonly Found[],
  key: GroupKey,
  nextBatch: (value: string) => string | undefined,
): Record<string, SearchGroup> {
  const groups: Record<string, SearchGroup> = {};
  found.forEach(({ hit }, i) => {
    const value = key === 'room_id' ? hit.room_id : hit.sender;
    const group = (groups[value] ??= { results: [], order: i + 1 });
    group.results.push(hit.event_id);
  });
  for (const [value, group] of Object.entries(groups)) {
    const token = nextBatch(value);
    if (token !== undefined) group.next_batch = token;
  }
  return groups;
}

/** The current state of each room with results (`include_state`). */
async function currentStates(
  ctx: Ctx,
  found: readonly Found[],
  viewerOf: (view: RoomView) => Viewer,
): Promise<Record<string, ClientEvent[]>> {
  const views = new Map(found.map((f) => [f.view.roomId, f.view]));
  const out: Record<string, ClientEvent[]> = {};
  for (const [roomId, view] of views) {
    const ids = (await events.getCurrentState(ctx.db, roomId)).map((r) => r.event_id);
    const rows = await timeline.getTimelineRowsByIds(ctx.db, roomId, ids);
    out[roomId] = await serveEvents(ctx, view.version, rows, viewerOf(view));
  }
  return out;
}
