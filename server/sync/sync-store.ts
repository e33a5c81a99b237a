import type { Queryable } from '../db/sql.js';
import { SERVED_EVENT, SERVED_EVENT_COLUMNS, type ServedEventRow } from '../events/store.js';

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

/** Every membership event about `userId` up to `upTo`, oldest first. */
export function getMembershipEventsOfUser(
  q: Queryable,
  userId: string,
  upTo: number,
): Promise<SyncEventRow[]> {
  return q.all<SyncEventRow>(
    `SELECT ${SERVED_EVENT_COLUMNS} FROM events e JOIN event_json j ON j.event_id = e.event_id
     WHERE e.type = 'm.room.member' AND e.state_key = ? AND e.stream_ordering <= ? AND ${SERVED_EVENT}
     ORDER BY e.stream_ordering`,
    userId,
    upTo,
  );
}

/** Up to `limit` events of a room with after < position <= upTo, newest first. */
export function getRoomEventsBackwards(
  q: Queryable,
  roomId: string,
  after: number,
  upTo: number,
  limit: number,
): Promise<SyncEventRow[]> {
  return q.all<SyncEventRow>(
    `SELECT ${SERVED_EVENT_COLUMNS} FROM events e JOIN event_json j ON j.event_id = e.event_id
     WHERE e.room_id = ? AND e.stream_ordering > ? AND e.stream_ordering <= ? AND ${SERVED_EVENT}
     ORDER BY e.stream_ordering DESC LIMIT ?`,
    roomId,
    after,
    upTo,
    limit,
  );
}

/** The state group after the newest event of a room at or before `upTo`, if any. */
export async function getStateGroupAt(
  q: Queryable,
  roomId: string,
  upTo: number,
): Promise<number | undefined> {
  return (
    await q.get<{ state_group: number }>(
      `SELECT e.state_group FROM events e
       WHERE e.room_id = ? AND e.stream_ordering <= ? AND e.state_group IS NOT NULL AND ${SERVED_EVENT}
       ORDER BY e.stream_ordering DESC LIMIT 1`,
      roomId,
      upTo,
    )
  )?.state_group;
}

/** Served events by id, in stream order (missing ids are left out). */
export async function getEventRowsByIds(
  q: Queryable,
  eventIds: readonly string[],
): Promise<SyncEventRow[]> {
  const out: SyncEventRow[] = [];
  for (let i = 0; i < eventIds.length; i += 500) {
    const chunk = eventIds.slice(i, i + 500);
    out.push(
      ...(await q.all<SyncEventRow>(
        `SELECT ${SERVED_EVENT_COLUMNS} FROM events e JOIN event_json j ON j.event_id = e.event_id
         WHERE e.event_id IN (${chunk.map(() => '?').join(',')}) AND ${SERVED_EVENT}`,
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
