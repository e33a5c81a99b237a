import type { Queryable } from '../db/sql.js';

/**
 * SQL for push actions (migration 0007): one row per event that notifies a local user,
 * the source of /sync's unread notification counts.
 */

export interface PushActionRow {
  userId: string;
  threadId: string;
  actionsJson: string;
  highlight: boolean;
}

/**
 * One row per statement: a prepared single-row INSERT run per row costs SQLite about half
 * of what the same rows cost as multi-row INSERTs of 100 (measured with better-sqlite3:
 * 500 rows in about 3 ms against 6 ms; a multi-row VALUES list is compiled into a
 * co-routine that copies each row), and the statement text is one constant, so the
 * statement cache finds it without hashing a long string per call.
 */
const INSERT_PUSH_ACTION = `INSERT OR REPLACE INTO event_push_actions
  (user_id, room_id, thread_id, stream_ordering, event_id, actions_json, highlight)
  VALUES (?, ?, ?, ?, ?, ?, ?)`;

/** Records the users an event notifies (the hook runs for every event, inside the writer). */
export async function insertPushActions(
  q: Queryable,
  ev: { roomId: string; streamOrdering: number; eventId: string },
  rows: readonly PushActionRow[],
): Promise<void> {
  for (const r of rows) {
    await q.run(
      INSERT_PUSH_ACTION,
      r.userId,
      ev.roomId,
      r.threadId,
      ev.streamOrdering,
      ev.eventId,
      r.actionsJson,
      r.highlight ? 1 : 0,
    );
  }
}

/** Forgets a user's push actions in one thread of a room before a stream position. */
export async function deletePushActionsBefore(
  q: Queryable,
  a: { userId: string; roomId: string; threadId: string; streamOrdering: number },
): Promise<void> {
  await q.run(
    `DELETE FROM event_push_actions
     WHERE user_id = ? AND room_id = ? AND thread_id = ? AND stream_ordering < ?`,
    a.userId,
    a.roomId,
    a.threadId,
    a.streamOrdering,
  );
}

export interface ThreadCountRow {
  thread_id: string;
  notifications: number;
  highlights: number;
  /** The newest stream position counted (unread-cache.ts keeps counting from there). */
  last: number;
}

/** A user's push actions in a room after a stream position, counted per thread. */
export function countPushActionsAfter(
  q: Queryable,
  a: { userId: string; roomId: string; after: number },
): Promise<ThreadCountRow[]> {
  return q.all<ThreadCountRow>(
    `SELECT thread_id, count(*) AS notifications, sum(highlight) AS highlights,
       max(stream_ordering) AS last
     FROM event_push_actions
     WHERE user_id = ? AND room_id = ? AND stream_ordering > ?
     GROUP BY thread_id`,
    a.userId,
    a.roomId,
    a.after,
  );
}

/** A user's push actions in one thread of a room after a stream position, counted. */
export async function countThreadPushActionsAfter(
  q: Queryable,
  a: { userId: string; roomId: string; threadId: string; after: number },
): Promise<{ notifications: number; highlights: number }> {
  const r = await q.get<{ notifications: number; highlights: number | null }>(
    `SELECT count(*) AS notifications, sum(highlight) AS highlights
     FROM event_push_actions
     WHERE user_id = ? AND room_id = ? AND thread_id = ? AND stream_ordering > ?`,
    a.userId,
    a.roomId,
    a.threadId,
    a.after,
  );
  return { notifications: r?.notifications ?? 0, highlights: r?.highlights ?? 0 };
}

/** Deletes an event's push actions, for every user it notified. */
export async function deletePushActionsOfEvent(
  q: Queryable,
  roomId: string,
  eventId: string,
): Promise<void> {
  await q.run('DELETE FROM event_push_actions WHERE room_id = ? AND event_id = ?', roomId, eventId);
}

/** Deletes every push action of a room (room purge). */
export async function deleteRoomPushActions(q: Queryable, roomId: string): Promise<void> {
  await q.run('DELETE FROM event_push_actions WHERE room_id = ?', roomId);
}
