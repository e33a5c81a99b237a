import type { Queryable, Tx } from '../db/sql.js';
import { SERVED_EVENT, SERVED_EVENT_COLUMNS, type ServedEventRow } from '../events/store.js';

/**
 * SQL for reading a room's timeline (the events and event_json tables, read-only here) and
 * for marking events redacted. Only servable events are read: never outliers, never
 * rejected events.
 */

/** An event of a room's timeline with its PDU JSON. */
export type TimelineRow = ServedEventRow;

/**
 * Servable events of a room with `after < stream_ordering <= upTo`: the newest first when
 * `dir` is 'b', the oldest first when 'f'; at most `limit`.
 */
export function getTimelineRows(
  q: Queryable,
  r: { roomId: string; after: number; upTo: number; dir: 'b' | 'f'; limit: number },
): Promise<TimelineRow[]> {
  return q.all<TimelineRow>(
    `SELECT ${SERVED_EVENT_COLUMNS} FROM events e JOIN event_json j ON j.stream_ordering = e.stream_ordering
     WHERE e.room_id = ? AND e.stream_ordering > ? AND e.stream_ordering <= ? AND ${SERVED_EVENT}
     ORDER BY e.stream_ordering ${r.dir === 'b' ? 'DESC' : 'ASC'} LIMIT ?`,
    r.roomId,
    r.after,
    r.upTo,
    r.limit,
  );
}

/** One servable event of a room, or undefined (unknown, in another room, outlier, rejected). */
export function getTimelineRow(
  q: Queryable,
  roomId: string,
  eventId: string,
): Promise<TimelineRow | undefined> {
  return q.get<TimelineRow>(
    `SELECT ${SERVED_EVENT_COLUMNS} FROM events e JOIN event_json j ON j.stream_ordering = e.stream_ordering
     WHERE e.event_id = ? AND e.room_id = ? AND ${SERVED_EVENT}`,
    eventId,
    roomId,
  );
}

/** The servable events of a room among `eventIds`, in stream order. */
export async function getTimelineRowsByIds(
  q: Queryable,
  roomId: string,
  eventIds: readonly string[],
): Promise<TimelineRow[]> {
  const out: TimelineRow[] = [];
  for (let i = 0; i < eventIds.length; i += 500) {
    const ids = eventIds.slice(i, i + 500);
    out.push(
      ...(await q.all<TimelineRow>(
        `SELECT ${SERVED_EVENT_COLUMNS} FROM events e JOIN event_json j ON j.stream_ordering = e.stream_ordering
         WHERE e.event_id IN (${ids.map(() => '?').join(',')}) AND e.room_id = ? AND ${SERVED_EVENT}`,
        ...ids,
        roomId,
      )),
    );
  }
  return out.sort((a, b) => a.stream_ordering - b.stream_ordering);
}

/** The highest stream ordering of a room's events (0 for none). */
export async function getRoomMaxStreamOrdering(q: Queryable, roomId: string): Promise<number> {
  const row = await q.get<{ m: number | null }>(
    'SELECT MAX(stream_ordering) AS m FROM events WHERE room_id = ?',
    roomId,
  );
  return row?.m ?? 0;
}

/**
 * The stream ordering of the user's latest join to the room, or null when they never
 * joined it (history visibility `shared`: "joined the room at any point after").
 */
export async function getLastJoinOrdering(
  q: Queryable,
  roomId: string,
  userId: string,
): Promise<number | null> {
  const row = await q.get<{ m: number | null }>(
    `SELECT MAX(e.stream_ordering) AS m FROM events e JOIN event_json j ON j.stream_ordering = e.stream_ordering
     WHERE e.room_id = ? AND e.type = 'm.room.member' AND e.state_key = ? AND ${SERVED_EVENT}
       AND json_extract(j.json, '$.content.membership') = 'join'`,
    roomId,
    userId,
  );
  return row?.m ?? null;
}

/**
 * Servable events of a room by origin_server_ts: from `ts` forwards ('f': ts or later,
 * oldest first) or backwards ('b': ts or earlier, newest first), skipping the first `offset`.
 */
export function getRowsByTimestamp(
  q: Queryable,
  r: { roomId: string; ts: number; dir: 'b' | 'f'; offset: number; limit: number },
): Promise<TimelineRow[]> {
  const order = r.dir === 'f' ? 'ASC' : 'DESC';
  return q.all<TimelineRow>(
    `SELECT ${SERVED_EVENT_COLUMNS} FROM events e JOIN event_json j ON j.stream_ordering = e.stream_ordering
     WHERE e.room_id = ? AND e.origin_server_ts ${r.dir === 'f' ? '>=' : '<='} ? AND ${SERVED_EVENT}
     ORDER BY e.origin_server_ts ${order}, e.stream_ordering ${order} LIMIT ? OFFSET ?`,
    r.roomId,
    r.ts,
    r.limit,
    r.offset,
  );
}

/** The state group of an event (the state after it), or null. */
export async function getEventStateGroup(q: Queryable, eventId: string): Promise<number | null> {
  const row = await q.get<{ state_group: number | null }>(
    'SELECT state_group FROM events WHERE event_id = ?',
    eventId,
  );
  return row?.state_group ?? null;
}

/** The state groups of those of `eventIds` that have one, by event id (any event, as above). */
export async function getEventStateGroups(
  q: Queryable,
  eventIds: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < eventIds.length; i += 500) {
    const ids = eventIds.slice(i, i + 500);
    const rows = await q.all<{ event_id: string; state_group: number | null }>(
      `SELECT event_id, state_group FROM events WHERE event_id IN (${ids.map(() => '?').join(',')})`,
      ...ids,
    );
    for (const r of rows) if (r.state_group !== null) out.set(r.event_id, r.state_group);
  }
  return out;
}

/** The servable events among `eventIds` (of any room), by event id. */
export async function getServedRowsByIds(
  q: Queryable,
  eventIds: readonly string[],
): Promise<Map<string, TimelineRow>> {
  const out = new Map<string, TimelineRow>();
  for (let i = 0; i < eventIds.length; i += 500) {
    const ids = eventIds.slice(i, i + 500);
    const rows = await q.all<TimelineRow>(
      `SELECT ${SERVED_EVENT_COLUMNS} FROM events e JOIN event_json j ON j.stream_ordering = e.stream_ordering
       WHERE e.event_id IN (${ids.map(() => '?').join(',')}) AND ${SERVED_EVENT}`,
      ...ids,
    );
    for (const r of rows) out.set(r.event_id, r);
  }
  return out;
}

/**
 * Redactions: how many were marked (each counts twice: when marked, and again once its
 * commit is done), and how many are marked but not yet committed. `events.redacted_by` is
 * the only column of a served event's row that ever changes (markRedacted below is its only
 * writer), so a copy of the rest may be kept as long as the redaction state has not moved
 * since it was read (sync/event-cache.ts). While a redaction is in flight, nothing read is
 * trusted: it may be from before the commit. Process-wide, over every context: a redaction
 * elsewhere only costs a re-read. A unit rolled back after marking leaves `inFlight` up, and
 * copies are then never trusted again (slower, never wrong).
 */
const redactions = { epoch: 0, inFlight: 0 };

/** The redaction state now: copies read at an `epoch` are good while it is unchanged. */
export function redactionState(): { epoch: number; settled: boolean } {
  return { epoch: redactions.epoch, settled: redactions.inFlight === 0 };
}

/** Marks an event redacted by `redactionId`; the first redaction that applies stays. */
export async function markRedacted(tx: Tx, eventId: string, redactionId: string): Promise<void> {
  redactions.epoch++;
  redactions.inFlight++;
  tx.afterCommit(() => {
    redactions.epoch++;
    redactions.inFlight--;
  });
  await tx.run(
    'UPDATE events SET redacted_by = ? WHERE event_id = ? AND redacted_by IS NULL',
    redactionId,
    eventId,
  );
}
