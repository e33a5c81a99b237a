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
