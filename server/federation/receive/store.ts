import type { Queryable } from '../../db/sql.js';

/**
 * SQL of what this server received from other servers (migration 0015): the answers to
 * their transactions, and the ids of the to-device messages they delivered.
 */

/** The answer given to transaction `txnId` of `origin`, when it was processed. */
export async function getInboundTxnResponse(
  q: Queryable,
  origin: string,
  txnId: string,
): Promise<string | undefined> {
  return (
    await q.get<{ response_json: string }>(
      'SELECT response_json FROM federation_inbound_txns WHERE origin = ? AND txn_id = ?',
      origin,
      txnId,
    )
  )?.response_json;
}

/** Records the answer to a processed transaction (the first answer stays). */
export async function insertInboundTxn(
  q: Queryable,
  t: { origin: string; txnId: string; responseJson: string; receivedTs: number },
): Promise<void> {
  await q.run(
    `INSERT OR IGNORE INTO federation_inbound_txns (origin, txn_id, response_json, received_ts)
     VALUES (?, ?, ?, ?)`,
    t.origin,
    t.txnId,
    t.responseJson,
    t.receivedTs,
  );
}

/** Forgets transactions and to-device message ids received before `beforeTs`. */
export async function deleteInboundBefore(q: Queryable, beforeTs: number): Promise<void> {
  await q.run('DELETE FROM federation_inbound_txns WHERE received_ts < ?', beforeTs);
  await q.run('DELETE FROM federation_inbound_to_device WHERE received_ts < ?', beforeTs);
}

/**
 * Records a to-device message id of `origin`; false when it was recorded already (the
 * message was delivered before).
 */
export async function insertInboundToDeviceId(
  q: Queryable,
  m: { origin: string; messageId: string; receivedTs: number },
): Promise<boolean> {
  const r = await q.run(
    `INSERT OR IGNORE INTO federation_inbound_to_device (origin, message_id, received_ts)
     VALUES (?, ?, ?)`,
    m.origin,
    m.messageId,
    m.receivedTs,
  );
  return r.changes > 0;
}

// --- device lists of users of other servers (migration 0017)

export interface RemoteDeviceListRow {
  stream_id: number;
  stale: number;
}

export function getRemoteDeviceList(
  q: Queryable,
  userId: string,
): Promise<RemoteDeviceListRow | undefined> {
  return q.get<RemoteDeviceListRow>(
    'SELECT stream_id, stale FROM remote_device_lists WHERE user_id = ?',
    userId,
  );
}

export async function setRemoteDeviceList(
  q: Queryable,
  a: { userId: string; streamId: number; stale: boolean; now: number },
): Promise<void> {
  await q.run(
    `INSERT INTO remote_device_lists (user_id, stream_id, stale, updated_ts) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET stream_id = excluded.stream_id,
       stale = excluded.stale, updated_ts = excluded.updated_ts`,
    a.userId,
    a.streamId,
    a.stale ? 1 : 0,
    a.now,
  );
}

export async function putRemoteDevice(
  q: Queryable,
  d: { userId: string; deviceId: string; displayName: string | null; keysJson: string | null },
): Promise<void> {
  await q.run(
    `INSERT INTO remote_devices (user_id, device_id, display_name, keys_json) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, device_id) DO UPDATE SET display_name = excluded.display_name,
       keys_json = excluded.keys_json`,
    d.userId,
    d.deviceId,
    d.displayName,
    d.keysJson,
  );
}

export async function deleteRemoteDevices(
  q: Queryable,
  userId: string,
  deviceId?: string,
): Promise<void> {
  if (deviceId === undefined) {
    await q.run('DELETE FROM remote_devices WHERE user_id = ?', userId);
  } else {
    await q.run('DELETE FROM remote_devices WHERE user_id = ? AND device_id = ?', userId, deviceId);
  }
}

export function listRemoteDevices(
  q: Queryable,
  userId: string,
): Promise<{ device_id: string; display_name: string | null; keys_json: string | null }[]> {
  return q.all(
    'SELECT device_id, display_name, keys_json FROM remote_devices WHERE user_id = ? ORDER BY device_id',
    userId,
  );
}

export async function putRemoteCrossSigningKey(
  q: Queryable,
  a: { userId: string; keyType: 'master' | 'self_signing'; keyJson: string },
): Promise<void> {
  await q.run(
    `INSERT INTO remote_cross_signing_keys (user_id, key_type, key_json) VALUES (?, ?, ?)
     ON CONFLICT (user_id, key_type) DO UPDATE SET key_json = excluded.key_json`,
    a.userId,
    a.keyType,
    a.keyJson,
  );
}

export function getRemoteCrossSigningKeys(
  q: Queryable,
  userId: string,
): Promise<{ key_type: string; key_json: string }[]> {
  return q.all(
    'SELECT key_type, key_json FROM remote_cross_signing_keys WHERE user_id = ? ORDER BY key_type',
    userId,
  );
}
