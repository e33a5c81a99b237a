import type { Queryable } from '../db/sql.js';

/**
 * SQL for to-device messages (migration 0008): the per-device inbox, its stream position
 * (kept in `to_device_stream` because delivered rows are deleted) and send transaction ids.
 */

export interface InboxRow {
  stream_id: number;
  sender: string;
  type: string;
  content_json: string;
}

/** The newest position of the to-device stream. */
export async function getToDeviceStreamId(q: Queryable): Promise<number> {
  return (
    (await q.get<{ position: number }>('SELECT position FROM to_device_stream'))?.position ?? 0
  );
}

/** Takes `count` positions of the stream; returns the first (call inside a writer unit). */
export async function allocateToDeviceStreamIds(q: Queryable, count: number): Promise<number> {
  const first = (await getToDeviceStreamId(q)) + 1;
  await q.run('UPDATE to_device_stream SET position = position + ?', count);
  return first;
}

/** Puts one message in a device's inbox at `streamId`. */
export async function insertInboxMessage(
  q: Queryable,
  m: {
    streamId: number;
    userId: string;
    deviceId: string;
    sender: string;
    type: string;
    contentJson: string;
  },
): Promise<void> {
  await q.run(
    `INSERT INTO device_inbox (stream_id, user_id, device_id, sender, type, content_json)
     VALUES (?, ?, ?, ?, ?, ?)`,
    m.streamId,
    m.userId,
    m.deviceId,
    m.sender,
    m.type,
    m.contentJson,
  );
}

/** Up to `limit` messages of a device's inbox with after < stream_id <= upTo, oldest first. */
export function getInboxMessages(
  q: Queryable,
  a: { userId: string; deviceId: string; after: number; upTo: number; limit: number },
): Promise<InboxRow[]> {
  return q.all<InboxRow>(
    `SELECT stream_id, sender, type, content_json FROM device_inbox
     WHERE user_id = ? AND device_id = ? AND stream_id > ? AND stream_id <= ?
     ORDER BY stream_id LIMIT ?`,
    a.userId,
    a.deviceId,
    a.after,
    a.upTo,
    a.limit,
  );
}

/** Whether a device's inbox holds any message at or before `upTo`. */
export async function hasInboxMessagesUpTo(
  q: Queryable,
  userId: string,
  deviceId: string,
  upTo: number,
): Promise<boolean> {
  return !!(await q.get(
    'SELECT 1 FROM device_inbox WHERE user_id = ? AND device_id = ? AND stream_id <= ? LIMIT 1',
    userId,
    deviceId,
    upTo,
  ));
}

/** Deletes the messages of a device's inbox at or before `upTo` (delivered ones). */
export async function deleteInboxMessagesUpTo(
  q: Queryable,
  userId: string,
  deviceId: string,
  upTo: number,
): Promise<void> {
  await q.run(
    'DELETE FROM device_inbox WHERE user_id = ? AND device_id = ? AND stream_id <= ?',
    userId,
    deviceId,
    upTo,
  );
}

/**
 * Records a send transaction; false when the same (user, device, type, txn id) was seen
 * already (a retry).
 */
export async function insertTxn(
  q: Queryable,
  t: { userId: string; deviceId: string; eventType: string; txnId: string; createdTs: number },
): Promise<boolean> {
  const r = await q.run(
    `INSERT OR IGNORE INTO to_device_txns (user_id, device_id, event_type, txn_id, created_ts)
     VALUES (?, ?, ?, ?, ?)`,
    t.userId,
    t.deviceId,
    t.eventType,
    t.txnId,
    t.createdTs,
  );
  return r.changes > 0;
}

/** Forgets a device's send transactions recorded before `beforeTs`. */
export async function deleteTxnsBefore(
  q: Queryable,
  userId: string,
  deviceId: string,
  beforeTs: number,
): Promise<void> {
  await q.run(
    'DELETE FROM to_device_txns WHERE user_id = ? AND device_id = ? AND created_ts < ?',
    userId,
    deviceId,
    beforeTs,
  );
}

/** Deletes the whole inbox of each of a user's devices in `deviceIds`. */
export async function deleteInboxesOfDevices(
  q: Queryable,
  userId: string,
  deviceIds: readonly string[],
): Promise<void> {
  for (const id of deviceIds) {
    await q.run('DELETE FROM device_inbox WHERE user_id = ? AND device_id = ?', userId, id);
  }
}

/** Deletes the inboxes of every device of a user but `keep` (null: all of them). */
export async function deleteInboxesOfUserExcept(
  q: Queryable,
  userId: string,
  keep: string | null,
): Promise<void> {
  await q.run('DELETE FROM device_inbox WHERE user_id = ? AND device_id IS NOT ?', userId, keep);
}
