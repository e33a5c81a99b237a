import type { Queryable } from '../../db/sql.js';
import { SOFT_FAILED } from '../../events/store.js';

/** SQL for what other servers read: events with the facts serving them needs. */

/** An event as the read endpoints serve it: its row facts and its PDU JSON. */
export interface ServableEventRow {
  event_id: string;
  room_id: string;
  type: string;
  state_key: string | null;
  depth: number;
  stream_ordering: number;
  outlier: number;
  rejected_reason: string | null;
  redacted_by: string | null;
  state_group: number | null;
  json: string;
}

const COLUMNS = `e.event_id, e.room_id, e.type, e.state_key, e.depth, e.stream_ordering, e.outlier,
  e.rejected_reason, e.redacted_by, e.state_group, j.json`;

/** The stored events among `eventIds` (any order; unknown ids left out), 500 ids a query. */
export async function getServableEvents(
  q: Queryable,
  eventIds: readonly string[],
): Promise<ServableEventRow[]> {
  const out: ServableEventRow[] = [];
  for (let i = 0; i < eventIds.length; i += 500) {
    const chunk = eventIds.slice(i, i + 500);
    out.push(
      ...(await q.all<ServableEventRow>(
        `SELECT ${COLUMNS} FROM events e JOIN event_json j ON j.stream_ordering = e.stream_ordering
         WHERE e.event_id IN (${chunk.map(() => '?').join(',')})`,
        ...chunk,
      )),
    );
  }
  return out;
}

/**
 * Whether a user of `serverName` has one of `memberships` in the room's current state
 * (state keys end with `:serverName`; compared exactly, so `_` and `%` in names are safe).
 */
export async function hasMemberOfServer(
  q: Queryable,
  roomId: string,
  serverName: string,
  memberships: readonly string[],
): Promise<boolean> {
  const suffix = `:${serverName}`;
  const row = await q.get<{ one: number }>(
    `SELECT 1 AS one FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
     WHERE c.room_id = ? AND c.type = 'm.room.member'
       AND substr(c.state_key, -length(?)) = ?
       AND json_extract(j.json, '$.content.membership') IN (${memberships.map(() => '?').join(',')})
     LIMIT 1`,
    roomId,
    suffix,
    suffix,
    ...memberships,
  );
  return row !== undefined;
}

/**
 * The servable events of a room (not outliers, not rejected) at or after `ts` ('f') or at
 * or before it ('b'), nearest first.
 */
export function getEventsByTimestamp(
  q: Queryable,
  r: { roomId: string; ts: number; dir: 'b' | 'f'; limit: number },
): Promise<{ event_id: string; origin_server_ts: number }[]> {
  const order = r.dir === 'f' ? 'ASC' : 'DESC';
  return q.all(
    `SELECT e.event_id, e.origin_server_ts FROM events e
     WHERE e.room_id = ? AND e.origin_server_ts ${r.dir === 'f' ? '>=' : '<='} ?
       AND e.outlier = 0 AND (e.rejected_reason IS NULL OR e.rejected_reason = ?)
     ORDER BY e.origin_server_ts ${order}, e.stream_ordering ${order} LIMIT ?`,
    r.roomId,
    r.ts,
    SOFT_FAILED,
    r.limit,
  );
}
