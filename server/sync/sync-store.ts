import type { Queryable } from '../db/sql.js';
import { SERVED_EVENT, type ServedEventRow } from '../events/store.js';

/**
 * The reads /sync makes of the events tables (the row shape and the served-event condition
 * come from server/events/store.ts, the owner of those tables); only served
 * events count (no outliers, no rejected events).
 */

export type SyncEventRow = ServedEventRow;

/** The position of the newest event: the events part of the next sync token. */
export async function getMaxStreamOrdering(q: Queryable): Promise<number> {
  return (
    (await q.get<{ pos: number | null }>('SELECT MAX(stream_ordering) AS pos FROM events'))?.pos ??
    0
  );
}

/**
 * Up to `limit` served events of a room with after < position <= upTo, newest first: their
 * positions, state groups and redactions (the rest is in the PDU: events/event-cache.ts).
 */
export function getRoomPositionsBackwards(
  q: Queryable,
  roomId: string,
  r: { after: number; upTo: number; limit: number },
): Promise<ServedPosition[]> {
  return q.all<ServedPosition>(
    `SELECT e.stream_ordering, e.event_id, e.state_group, e.redacted_by FROM events e
     WHERE e.room_id = ? AND e.stream_ordering > ? AND e.stream_ordering <= ? AND ${SERVED_EVENT}
     ORDER BY e.stream_ordering DESC LIMIT ?`,
    roomId,
    r.after,
    r.upTo,
    r.limit,
  );
}

/**
 * The position of a room's newest event (served or not) at or before `upTo`, if any. Only
 * positive positions: /sync never reads history fetched from other servers (negative
 * positions, events/persist-historical.ts), so answers kept by sync-rooms.ts stay right
 * when such history is added below them.
 */
export async function getRoomNewestPosition(
  q: Queryable,
  roomId: string,
  upTo: number,
): Promise<number | undefined> {
  return (
    (
      await q.get<{ pos: number | null }>(
        'SELECT MAX(stream_ordering) AS pos FROM events WHERE room_id = ? AND stream_ordering > 0 AND stream_ordering <= ?',
        roomId,
        upTo,
      )
    )?.pos ?? undefined
  );
}

/**
 * The state group after the newest event of a room at or before `upTo`, if any. Before the
 * room's first served event: the group that event's group builds on, the state before it
 * (none for a create event; for a room joined through another server, the state the join
 * was made on: events/persist-join.ts). Positive positions only, as above: history fetched
 * later from other servers must not change the answer for a position.
 */
export async function getStateGroupAt(
  q: Queryable,
  roomId: string,
  upTo: number,
): Promise<number | undefined> {
  const at = (
    await q.get<{ state_group: number }>(
      `SELECT e.state_group FROM events e
       WHERE e.room_id = ? AND e.stream_ordering > 0 AND e.stream_ordering <= ?
         AND e.state_group IS NOT NULL AND ${SERVED_EVENT}
       ORDER BY e.stream_ordering DESC LIMIT 1`,
      roomId,
      upTo,
    )
  )?.state_group;
  if (at !== undefined) return at;
  return (
    (
      await q.get<{ prev_group: number | null }>(
        `SELECT g.prev_group FROM events e JOIN state_groups g ON g.id = e.state_group
         WHERE e.room_id = ? AND e.stream_ordering > 0 AND e.state_group IS NOT NULL
           AND ${SERVED_EVENT}
         ORDER BY e.stream_ordering LIMIT 1`,
        roomId,
      )
    )?.prev_group ?? undefined
  );
}

/** Where a served event is, the state after it, and whether it was redacted. */
export interface ServedPosition {
  stream_ordering: number;
  event_id: string;
  state_group: number | null;
  redacted_by: string | null;
}

/**
 * The served events among `eventIds`, in stream order (missing ids are left out): only
 * what may change or is not in the PDU, without the join to event_json. An initial sync
 * reads thousands of state events; their PDUs are mostly cached (events/event-cache.ts).
 * The ids are those of a room state, which may name outliers (the state a room was joined
 * with through another server, events/persist-join.ts): they are served as state.
 */
export async function getServedPositions(
  q: Queryable,
  eventIds: readonly string[],
): Promise<ServedPosition[]> {
  const out: ServedPosition[] = [];
  for (let i = 0; i < eventIds.length; i += 500) {
    const chunk = eventIds.slice(i, i + 500);
    out.push(
      ...(await q.all<ServedPosition>(
        `SELECT e.stream_ordering, e.event_id, e.state_group, e.redacted_by FROM events e
         WHERE e.event_id IN (${chunk.map(() => '?').join(',')})
           AND (${SERVED_EVENT} OR (e.outlier = 1 AND e.rejected_reason IS NULL))`,
        ...chunk,
      )),
    );
  }
  return out.sort((a, b) => a.stream_ordering - b.stream_ordering);
}

/** The client transaction ids of those of `eventIds` that this user's device sent. */
export async function getTxnIdsOfDevice(
  q: Queryable,
  userId: string,
  deviceId: string,
  eventIds: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!eventIds.length) return out;
  const rows = await q.all<{ event_id: string; txn_id: string }>(
    `SELECT event_id, txn_id FROM event_txn_ids
     WHERE user_id = ? AND device_id = ? AND event_id IN (${eventIds.map(() => '?').join(',')})`,
    userId,
    deviceId,
    ...eventIds,
  );
  for (const r of rows) out.set(r.event_id, r.txn_id);
  return out;
}
