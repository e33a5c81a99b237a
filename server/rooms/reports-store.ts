import type { Queryable } from '../db/sql.js';

/** SQL for content reports (migration 0011): event, room and user reports. */

export interface EventReportRow {
  id: number;
  received_ts: number;
  room_id: string;
  event_id: string;
  user_id: string;
  reason: string | null;
  score: number | null;
}

export async function insertEventReport(
  q: Queryable,
  r: {
    roomId: string;
    eventId: string;
    userId: string;
    reason: string | null;
    score: number | null;
    receivedTs: number;
  },
): Promise<number> {
  const res = await q.run(
    `INSERT INTO event_reports (received_ts, room_id, event_id, user_id, reason, score)
     VALUES (?, ?, ?, ?, ?, ?)`,
    r.receivedTs,
    r.roomId,
    r.eventId,
    r.userId,
    r.reason,
    r.score,
  );
  return res.lastInsertRowid;
}

export async function insertRoomReport(
  q: Queryable,
  r: { roomId: string; userId: string; reason: string; receivedTs: number },
): Promise<void> {
  await q.run(
    'INSERT INTO room_reports (received_ts, room_id, user_id, reason) VALUES (?, ?, ?, ?)',
    r.receivedTs,
    r.roomId,
    r.userId,
    r.reason,
  );
}

export async function insertUserReport(
  q: Queryable,
  r: { targetUserId: string; userId: string; reason: string; receivedTs: number },
): Promise<void> {
  await q.run(
    'INSERT INTO user_reports (received_ts, target_user_id, user_id, reason) VALUES (?, ?, ?, ?)',
    r.receivedTs,
    r.targetUserId,
    r.userId,
    r.reason,
  );
}

/** The filters of the admin listing: substrings of the room id and the reporter's id. */
export interface EventReportFilter {
  roomId?: string | undefined;
  userId?: string | undefined;
}

function filterSql(f: EventReportFilter): { where: string; params: string[] } {
  const conds: string[] = [];
  const params: string[] = [];
  // instr() rather than LIKE: ids hold '_' and '%' would need escaping.
  if (f.roomId !== undefined) {
    conds.push('instr(room_id, ?) > 0');
    params.push(f.roomId);
  }
  if (f.userId !== undefined) {
    conds.push('instr(user_id, ?) > 0');
    params.push(f.userId);
  }
  return { where: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}

/** A page of event reports, oldest first ('f') or newest first ('b'). */
export function listEventReports(
  q: Queryable,
  f: EventReportFilter & { offset: number; limit: number; dir: 'f' | 'b' },
): Promise<EventReportRow[]> {
  const { where, params } = filterSql(f);
  return q.all<EventReportRow>(
    `SELECT id, received_ts, room_id, event_id, user_id, reason, score FROM event_reports
     ${where} ORDER BY received_ts ${f.dir === 'f' ? 'ASC' : 'DESC'}, id ${f.dir === 'f' ? 'ASC' : 'DESC'}
     LIMIT ? OFFSET ?`,
    ...params,
    f.limit,
    f.offset,
  );
}

export async function countEventReports(q: Queryable, f: EventReportFilter): Promise<number> {
  const { where, params } = filterSql(f);
  const row = await q.get<{ n: number }>(
    `SELECT count(*) AS n FROM event_reports ${where}`,
    ...params,
  );
  return row?.n ?? 0;
}

export function getEventReport(q: Queryable, id: number): Promise<EventReportRow | undefined> {
  return q.get<EventReportRow>(
    'SELECT id, received_ts, room_id, event_id, user_id, reason, score FROM event_reports WHERE id = ?',
    id,
  );
}

/** Deletes one event report; false when there was none. */
export async function deleteEventReport(q: Queryable, id: number): Promise<boolean> {
  return (await q.run('DELETE FROM event_reports WHERE id = ?', id)).changes === 1;
}

/** Deletes the event and room reports of a room (room purge). */
export async function deleteRoomReports(q: Queryable, roomId: string): Promise<void> {
  await q.run('DELETE FROM event_reports WHERE room_id = ?', roomId);
  await q.run('DELETE FROM room_reports WHERE room_id = ?', roomId);
}
