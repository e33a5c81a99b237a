import type { Queryable } from '../db/sql.js';

/**
 * SQL for account data (global and per room) and read receipts (migration 0004). Each
 * table is a stream: every change takes `max(stream_id) + 1`, allocated inside the writer
 * unit that makes it (the single writer runs units one at a time, so positions are dense
 * and ordered). A replaced row takes a new position, so the maximum never goes back.
 */

/** The room id of global account data. */
export const GLOBAL = '';

export interface AccountDataRow {
  room_id: string;
  type: string;
  content_json: string;
  stream_id: number;
}

export interface ReceiptRow {
  room_id: string;
  receipt_type: string;
  user_id: string;
  thread_id: string;
  event_id: string;
  ts: number;
  stream_id: number;
}

// --- account data

/** The newest position of the account data stream (0 when empty). */
export async function getAccountDataStreamId(q: Queryable): Promise<number> {
  const r = await q.get<{ id: number | null }>('SELECT max(stream_id) AS id FROM account_data');
  return r?.id ?? 0;
}

/** One account data entry's content JSON (`roomId` '' for global), if set. */
export async function getAccountData(
  q: Queryable,
  userId: string,
  roomId: string,
  type: string,
): Promise<string | undefined> {
  const r = await q.get<{ content_json: string }>(
    'SELECT content_json FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?',
    userId,
    roomId,
    type,
  );
  return r?.content_json;
}

/** Sets an account data entry at the next stream position; returns that position. */
export async function setAccountData(
  q: Queryable,
  a: { userId: string; roomId: string; type: string; contentJson: string },
): Promise<number> {
  const streamId = (await getAccountDataStreamId(q)) + 1;
  await q.run(
    `INSERT INTO account_data (user_id, room_id, type, content_json, stream_id)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (user_id, room_id, type)
     DO UPDATE SET content_json = excluded.content_json, stream_id = excluded.stream_id`,
    a.userId,
    a.roomId,
    a.type,
    a.contentJson,
    streamId,
  );
  return streamId;
}

/** A user's account data changed in (since, upTo], global and per room. */
export function getAccountDataChanges(
  q: Queryable,
  userId: string,
  since: number,
  upTo: number,
): Promise<AccountDataRow[]> {
  return q.all<AccountDataRow>(
    `SELECT room_id, type, content_json, stream_id FROM account_data
     WHERE user_id = ? AND stream_id > ? AND stream_id <= ? ORDER BY stream_id`,
    userId,
    since,
    upTo,
  );
}

// --- receipts

/** The newest position of the receipts stream (0 when empty). */
export async function getReceiptStreamId(q: Queryable): Promise<number> {
  const r = await q.get<{ id: number | null }>('SELECT max(stream_id) AS id FROM receipts');
  return r?.id ?? 0;
}

/** The receipt a user has of one type in one thread ('' = unthreaded) of a room, if any. */
export function getReceipt(
  q: Queryable,
  k: { roomId: string; receiptType: string; userId: string; threadId: string },
): Promise<ReceiptRow | undefined> {
  return q.get<ReceiptRow>(
    `SELECT * FROM receipts
     WHERE room_id = ? AND receipt_type = ? AND user_id = ? AND thread_id = ?`,
    k.roomId,
    k.receiptType,
    k.userId,
    k.threadId,
  );
}

/** Sets (replaces) a receipt at the next stream position; returns that position. */
export async function setReceipt(
  q: Queryable,
  r: {
    roomId: string;
    receiptType: string;
    userId: string;
    threadId: string;
    eventId: string;
    ts: number;
  },
): Promise<number> {
  const streamId = (await getReceiptStreamId(q)) + 1;
  await q.run(
    `INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, ts, stream_id)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (room_id, receipt_type, user_id, thread_id)
     DO UPDATE SET event_id = excluded.event_id, ts = excluded.ts, stream_id = excluded.stream_id`,
    r.roomId,
    r.receiptType,
    r.userId,
    r.threadId,
    r.eventId,
    r.ts,
    streamId,
  );
  return streamId;
}

/** The receipts of one room changed in (since, upTo]. */
export function getReceiptChanges(
  q: Queryable,
  roomId: string,
  since: number,
  upTo: number,
): Promise<ReceiptRow[]> {
  return q.all<ReceiptRow>(
    `SELECT * FROM receipts WHERE room_id = ? AND stream_id > ? AND stream_id <= ?
     ORDER BY stream_id`,
    roomId,
    since,
    upTo,
  );
}

/**
 * Where a user's read receipts (`m.read` and `m.read.private`) point in each of `roomIds`:
 * the stream position of each receipt's event, by room and receipt thread, the later of
 * the two types. One query for many rooms (the unread counts of a /sync), 500 rooms a
 * query; receipts whose event is not stored are left out.
 */
export async function getReadReceiptPositions(
  q: Queryable,
  userId: string,
  roomIds: readonly string[],
): Promise<{ room_id: string; thread_id: string; position: number }[]> {
  const out: { room_id: string; thread_id: string; position: number }[] = [];
  for (let i = 0; i < roomIds.length; i += 500) {
    const chunk = roomIds.slice(i, i + 500);
    out.push(
      ...(await q.all<{ room_id: string; thread_id: string; position: number }>(
        `SELECT r.room_id, r.thread_id, max(e.stream_ordering) AS position
         FROM receipts r JOIN events e ON e.event_id = r.event_id
         WHERE r.room_id IN (${chunk.map(() => '?').join(',')})
           AND r.receipt_type IN ('m.read', 'm.read.private') AND r.user_id = ?
         GROUP BY r.room_id, r.thread_id`,
        ...chunk,
        userId,
      )),
    );
  }
  return out;
}

/**
 * Deletes a room's account data and receipts (room purge). Each stream keeps its newest
 * position (a placeholder row of no user and no room holds it when the room had the
 * newest), so clients synced past it miss nothing that comes after.
 */
export async function deleteRoomUserData(q: Queryable, roomId: string): Promise<void> {
  const accountData = await getAccountDataStreamId(q);
  const receipts = await getReceiptStreamId(q);
  await q.run('DELETE FROM account_data WHERE room_id = ?', roomId);
  await q.run('DELETE FROM receipts WHERE room_id = ?', roomId);
  if ((await getAccountDataStreamId(q)) < accountData) {
    await q.run(
      `INSERT INTO account_data (user_id, room_id, type, content_json, stream_id)
       VALUES ('', '', 'org.hearth.stream_hold', '{}', ?)
       ON CONFLICT (user_id, room_id, type) DO UPDATE SET stream_id = excluded.stream_id`,
      accountData,
    );
  }
  if ((await getReceiptStreamId(q)) < receipts) {
    await q.run(
      `INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, ts, stream_id)
       VALUES ('', 'org.hearth.stream_hold', '', '', '', 0, ?)
       ON CONFLICT (room_id, receipt_type, user_id, thread_id) DO UPDATE SET stream_id = excluded.stream_id`,
      receipts,
    );
  }
}
