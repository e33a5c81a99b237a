import type { Requester } from '../accounts/requester.js';
import { errors, MatrixError } from '../core/errors.js';
import type { Ctx } from '../context.js';
import type { ClientEvent } from '../events/client-event.js';
import type { Pdu } from '../events/event-format.js';
import { backfillRoom } from '../federation/backfill/backfill.js';
import { loadStateGroup } from '../events/state-groups.js';
import { stateKeyId } from '../events/state-map.js';
import { eventMatchesFilter, parseFilter, type RoomEventFilter } from '../sync/filter.js';
import { serveEvents, type Viewer } from './serve-events.js';
import * as store from './timeline-store.js';
import { openRoomView, type RoomView } from './visibility.js';

/**
 * Reading a room's timeline (client-server API: `GET /rooms/{roomId}/messages`,
 * `/event/{eventId}`, `/context/{eventId}`, `/timestamp_to_event`). Every event served
 * passes the history visibility rules (visibility.ts); redacted events are served redacted
 * with `unsigned.redacted_because`.
 *
 * Pagination tokens are stream positions: `s<N>` is the point just after the event at
 * stream ordering N, so paginating backwards from it returns events <= N and forwards
 * returns events > N. /sync's `s<events>_<...>` tokens are read by their first part, which
 * is the same position, so `prev_batch` / `next_batch` work as `from` and `to`.
 */

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 1000;
/** The most rows one request looks at, so a user who may see little cannot make us scan all. */
const MAX_SCAN = 5000;

// Negative positions are history fetched from other servers (events/persist-historical.ts).
const TOKEN = /^s(-?\d{1,15})(?:_\d{1,15})*$/;

/** Below every position (history from other servers takes negative ones); fits a token. */
const FIRST_POSITION = -999_999_999_999_999;

/** How long a /messages request waits for other servers' history before answering. */
const BACKFILL_WAIT_MS = 10_000;

/**
 * One bounded round of backfill (federation/backfill): true when events were added.
 * Errors are logged, never the client's: it gets what this server has.
 */
async function backfillForClient(ctx: Ctx, roomId: string, limit: number): Promise<boolean> {
  try {
    const deadline = ctx.clock.now() + BACKFILL_WAIT_MS;
    const { persisted } = await backfillRoom(ctx, roomId, Math.max(limit, 50), { deadline });
    return persisted > 0;
  } catch (err) {
    ctx.log.warn({ err, roomId }, 'backfill for /messages failed');
    return false;
  }
}

/** The position of a pagination token. Throws 400 M_INVALID_PARAM when it is not one. */
export function parseToken(raw: string, param: string): number {
  const m = TOKEN.exec(raw);
  if (!m) throw errors.invalidParam(`Invalid ${param} token`);
  return Number(m[1]);
}

/** The token of the point just after stream position `n`. */
export function makeToken(n: number): string {
  return `s${n}`;
}

/** A `limit` query parameter: an integer in 0..1000, or `fallback` when absent. */
export function parseLimit(raw: string | undefined, fallback = DEFAULT_LIMIT): number {
  if (raw === undefined) return fallback;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) > MAX_LIMIT) {
    throw errors.invalidParam(`limit must be an integer from 0 to ${MAX_LIMIT}`);
  }
  return Number(raw);
}

/**
 * The `filter` query parameter of /messages and /context: a JSON RoomEventFilter.
 * Throws 400 M_NOT_JSON when it does not parse and M_INVALID_PARAM when it is no filter.
 */
export function parseRoomEventFilter(raw: string | undefined): RoomEventFilter | null {
  if (raw === undefined || raw === '') return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new MatrixError('M_NOT_JSON', 'The filter parameter is not valid JSON', 400);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw errors.invalidParam('The filter must be a JSON RoomEventFilter object');
  }
  try {
    return parseFilter({ room: { timeline: json } }, 'query').room.timeline;
  } catch (e) {
    if (e instanceof MatrixError)
      throw errors.invalidParam(e.message.replace('room.timeline.', ''));
    throw e;
  }
}

function matches(row: store.TimelineRow, filter: RoomEventFilter | null): boolean {
  if (!filter) return true;
  const content = row.redacted_by ? {} : (JSON.parse(row.json) as Pdu).content;
  return eventMatchesFilter(
    { type: row.type, sender: row.sender, room_id: row.room_id, content },
    filter,
  );
}

interface Page {
  rows: store.TimelineRow[];
  /** The position to continue from. */
  next: number;
  /** True when no event is left between `next` and the `to` bound. */
  exhausted: boolean;
}

/**
 * Up to `limit` visible events matching `filter`, from position `from` towards `to`
 * (dir 'b': events in (to, from], newest first; 'f': events in (from, to], oldest first).
 */
export async function paginate(
  ctx: Ctx,
  view: RoomView,
  a: { from: number; to: number; dir: 'b' | 'f'; limit: number; filter: RoomEventFilter | null },
): Promise<Page> {
  const batchSize = Math.min(Math.max(a.limit * 2, 50), MAX_LIMIT);
  const out: store.TimelineRow[] = [];
  let cursor = a.from;
  let scanned = 0;
  const range = (limit: number) =>
    store.getTimelineRows(ctx.db, {
      roomId: view.roomId,
      after: a.dir === 'b' ? a.to : cursor,
      upTo: a.dir === 'b' ? cursor : a.to,
      dir: a.dir,
      limit,
    });
  while (out.length < a.limit && scanned < MAX_SCAN) {
    const batch = await range(batchSize);
    let used = 0;
    for (const row of batch) {
      used++;
      scanned++;
      cursor = a.dir === 'b' ? row.stream_ordering - 1 : row.stream_ordering;
      if ((await view.canSee(row)) && matches(row, a.filter)) out.push(row);
      if (out.length === a.limit) break;
    }
    if (batch.length < batchSize && used === batch.length) {
      return { rows: out, next: cursor, exhausted: true };
    }
    if (used < batch.length) return { rows: out, next: cursor, exhausted: false };
  }
  return { rows: out, next: cursor, exhausted: (await range(1)).length === 0 };
}

/**
 * GET /rooms/{roomId}/messages. Throws 404 for an unknown room, 403 when the user may not
 * read it, 400 M_INVALID_PARAM for a bad token. `end` is left out when nothing is left.
 */
export async function getMessages(
  ctx: Ctx,
  requester: Requester,
  a: {
    roomId: string;
    from?: string | undefined;
    to?: string | undefined;
    dir: 'b' | 'f';
    limit: number;
    filter: RoomEventFilter | null;
  },
): Promise<{ chunk: ClientEvent[]; start: string; end?: string; state?: ClientEvent[] }> {
  const from = a.from !== undefined ? parseToken(a.from, 'from') : undefined;
  const to = a.to !== undefined ? parseToken(a.to, 'to') : undefined;
  const view = await openRoomView(ctx, requester.userId, a.roomId);
  const start =
    from ??
    (a.dir === 'b' ? await store.getRoomMaxStreamOrdering(ctx.db, a.roomId) : FIRST_POSITION);
  const read = () =>
    paginate(ctx, view, {
      from: start,
      to: to ?? (a.dir === 'b' ? FIRST_POSITION : Number.MAX_SAFE_INTEGER),
      dir: a.dir,
      limit: a.limit,
      filter: a.filter,
    });
  let page = await read();
  // A short page back to the start of what this server has: older history may be on the
  // room's other servers (none for a room created here: no request is made then). When
  // some came, more may follow: the answer keeps an `end` for the client to ask again.
  let backfilled = false;
  if (a.dir === 'b' && to === undefined && page.rows.length < a.limit && page.exhausted) {
    backfilled = await backfillForClient(ctx, a.roomId, a.limit);
    if (backfilled) page = await read();
  }
  const chunk = await serveEvents(ctx, view.version, page.rows, viewer(requester, view));
  const out: { chunk: ClientEvent[]; start: string; end?: string; state?: ClientEvent[] } = {
    chunk,
    start: a.from ?? makeToken(start),
  };
  if (!page.exhausted || backfilled) out.end = makeToken(page.next);
  if (a.filter?.lazyLoadMembers) {
    const first = page.rows[0];
    out.state = first
      ? await memberState(
          ctx,
          view,
          first.state_group,
          page.rows.map((r) => r.sender),
        )
      : [];
  }
  return out;
}

/** The m.room.member events of `senders` in the state of group `group`, served. */
async function memberState(
  ctx: Ctx,
  view: RoomView,
  group: number | null,
  senders: string[],
): Promise<ClientEvent[]> {
  if (group === null) return [];
  const state = await loadStateGroup(ctx, group);
  const ids = [...new Set(senders)].flatMap((s) => {
    const id = state.get(stateKeyId('m.room.member', s));
    return id ? [id] : [];
  });
  return serveEvents(ctx, view.version, await store.getTimelineRowsByIds(ctx.db, view.roomId, ids));
}

/** Who events are served to, for their bundled aggregations (serve-events.ts). */
function viewer(requester: Requester, view: RoomView): Viewer {
  return { userId: requester.userId, canSee: view.canSee };
}

/** A visible event of the room; 404 M_NOT_FOUND when unknown or not visible to the user. */
async function visibleRow(ctx: Ctx, view: RoomView, eventId: string): Promise<store.TimelineRow> {
  const row = await store.getTimelineRow(ctx.db, view.roomId, eventId);
  if (!row || !(await view.canSee(row))) throw errors.notFound('Event not found');
  return row;
}

/**
 * The room as `userId` may read it and one event of it they may see. 404 M_NOT_FOUND for
 * an unknown room or event and for one the user may not see (as Synapse: no difference
 * is revealed).
 */
export async function openVisibleEvent(
  ctx: Ctx,
  userId: string,
  a: { roomId: string; eventId: string },
): Promise<{ view: RoomView; row: store.TimelineRow }> {
  let view: RoomView;
  try {
    view = await openRoomView(ctx, userId, a.roomId);
  } catch (e) {
    if (e instanceof MatrixError && e.errcode === 'M_FORBIDDEN')
      throw errors.notFound('Event not found');
    throw e;
  }
  return { view, row: await visibleRow(ctx, view, a.eventId) };
}

/** GET /rooms/{roomId}/event/{eventId}: 404 M_NOT_FOUND as openVisibleEvent. */
export async function getRoomEvent(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; eventId: string },
): Promise<ClientEvent> {
  const { view, row } = await openVisibleEvent(ctx, requester.userId, a);
  return (await serveEvents(ctx, view.version, [row], viewer(requester, view)))[0]!;
}

export interface EventContext {
  start: string;
  end: string;
  events_before: ClientEvent[];
  event: ClientEvent;
  events_after: ClientEvent[];
  state: ClientEvent[];
}

/**
 * GET /rooms/{roomId}/context/{eventId}: `limit` split between the events before (half,
 * rounded down) and after; the filter applies to those and to `state`, the state at the
 * last event returned (with lazy_load_members only the senders' member events).
 */
export async function getEventContext(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; eventId: string; limit: number; filter: RoomEventFilter | null },
): Promise<EventContext> {
  const view = await openRoomView(ctx, requester.userId, a.roomId);
  const row = await visibleRow(ctx, view, a.eventId);
  const beforeLimit = Math.floor(a.limit / 2);
  const before = await paginate(ctx, view, {
    from: row.stream_ordering - 1,
    to: FIRST_POSITION,
    dir: 'b',
    limit: beforeLimit,
    filter: a.filter,
  });
  const after = await paginate(ctx, view, {
    from: row.stream_ordering,
    to: Number.MAX_SAFE_INTEGER,
    dir: 'f',
    limit: a.limit - beforeLimit,
    filter: a.filter,
  });
  const last = after.rows.at(-1) ?? row;
  let state: ClientEvent[];
  if (a.filter?.lazyLoadMembers) {
    const senders = [...before.rows, row, ...after.rows].map((r) => r.sender);
    state = await memberState(ctx, view, last.state_group, senders);
  } else {
    const map =
      last.state_group === null
        ? new Map<string, string>()
        : await loadStateGroup(ctx, last.state_group);
    const rows = await store.getTimelineRowsByIds(ctx.db, view.roomId, [...map.values()]);
    state = await serveEvents(
      ctx,
      view.version,
      rows.filter((r) => matches(r, a.filter)),
    );
  }
  return {
    start: makeToken(before.next),
    end: makeToken(after.next),
    events_before: await serveEvents(ctx, view.version, before.rows, viewer(requester, view)),
    event: (await serveEvents(ctx, view.version, [row], viewer(requester, view)))[0]!,
    events_after: await serveEvents(ctx, view.version, after.rows, viewer(requester, view)),
    state,
  };
}

/**
 * GET /rooms/{roomId}/timestamp_to_event: the visible event closest to `ts` in direction
 * `dir` (f: at or after, b: at or before). 404 M_NOT_FOUND when there is none.
 */
export async function timestampToEvent(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; ts: number; dir: 'b' | 'f' },
): Promise<{ event_id: string; origin_server_ts: number }> {
  const view = await openRoomView(ctx, requester.userId, a.roomId);
  const batch = 100;
  for (let offset = 0; offset < MAX_SCAN; offset += batch) {
    const rows = await store.getRowsByTimestamp(ctx.db, { ...a, offset, limit: batch });
    for (const row of rows) {
      if (await view.canSee(row)) {
        return { event_id: row.event_id, origin_server_ts: row.origin_server_ts };
      }
    }
    if (rows.length < batch) break;
  }
  const way = a.dir === 'f' ? 'forward' : 'backward';
  throw errors.notFound(`Unable to find event from ${a.ts} in ${way} direction`);
}
