import type { Queryable } from '../../db/sql.js';

/**
 * SQL of the outgoing federation queue (migration 0014): queued PDUs and EDUs per
 * destination, the transaction in flight towards each, and each destination's retry state.
 */

export interface DestinationRow {
  destination: string;
  failure_ts: number | null;
  retry_last_ts: number;
  retry_interval_ms: number;
  txn_seq: number;
  txn_id: string | null;
  txn_ts: number | null;
}

export interface OutboxPduRow {
  stream_ordering: number;
  event_id: string;
  room_id: string;
}

export interface OutboxEduRow {
  id: number;
  edu_type: string;
  content_json: string;
  queued_ts: number;
}

// --- queueing

/** Queues one event for each destination (a destination that has it already keeps it). */
export async function insertOutboxPdu(
  q: Queryable,
  ev: { streamOrdering: number; eventId: string; roomId: string },
  destinations: readonly string[],
  now: number,
): Promise<void> {
  for (const d of destinations) {
    await q.run(
      `INSERT OR IGNORE INTO federation_outbox_pdus
         (destination, stream_ordering, event_id, room_id, queued_ts) VALUES (?, ?, ?, ?, ?)`,
      d,
      ev.streamOrdering,
      ev.eventId,
      ev.roomId,
      now,
    );
  }
}

/**
 * Queues an EDU for one destination. With a coalesce key, it replaces a queued EDU of the
 * same type and key that no transaction holds yet (one held by a transaction is sent as it
 * is: a retried transaction must not change).
 */
export async function insertOutboxEdu(
  q: Queryable,
  e: { destination: string; eduType: string; coalesceKey: string | null; contentJson: string },
  now: number,
): Promise<void> {
  if (e.coalesceKey !== null) {
    await q.run(
      `DELETE FROM federation_outbox_edus
       WHERE destination = ? AND edu_type = ? AND coalesce_key = ? AND txn_id IS NULL`,
      e.destination,
      e.eduType,
      e.coalesceKey,
    );
  }
  await q.run(
    `INSERT INTO federation_outbox_edus (destination, edu_type, coalesce_key, content_json, queued_ts)
     VALUES (?, ?, ?, ?, ?)`,
    e.destination,
    e.eduType,
    e.coalesceKey,
    e.contentJson,
    now,
  );
}

// --- destinations and their retry state

export function getDestination(
  q: Queryable,
  destination: string,
): Promise<DestinationRow | undefined> {
  return q.get<DestinationRow>(
    'SELECT * FROM federation_destinations WHERE destination = ?',
    destination,
  );
}

export function listDestinations(q: Queryable): Promise<DestinationRow[]> {
  return q.all<DestinationRow>('SELECT * FROM federation_destinations ORDER BY destination');
}

async function ensureDestination(q: Queryable, destination: string): Promise<void> {
  await q.run(
    'INSERT OR IGNORE INTO federation_destinations (destination) VALUES (?)',
    destination,
  );
}

/** Records the destination's retry state (all zero/null: it is up). */
export async function setRetryState(
  q: Queryable,
  destination: string,
  s: { failureTs: number | null; retryLastTs: number; retryIntervalMs: number },
): Promise<void> {
  await ensureDestination(q, destination);
  await q.run(
    `UPDATE federation_destinations SET failure_ts = ?, retry_last_ts = ?, retry_interval_ms = ?
     WHERE destination = ?`,
    s.failureTs,
    s.retryLastTs,
    s.retryIntervalMs,
    destination,
  );
}

/** Takes the destination's next transaction number. */
export async function takeTxnSeq(q: Queryable, destination: string): Promise<number> {
  await ensureDestination(q, destination);
  await q.run(
    'UPDATE federation_destinations SET txn_seq = txn_seq + 1 WHERE destination = ?',
    destination,
  );
  const row = await q.get<{ txn_seq: number }>(
    'SELECT txn_seq FROM federation_destinations WHERE destination = ?',
    destination,
  );
  return row!.txn_seq;
}

/** Sets (or, with null, clears) the transaction in flight towards the destination. */
export async function setTxnInFlight(
  q: Queryable,
  destination: string,
  txn: { id: string; ts: number } | null,
): Promise<void> {
  await ensureDestination(q, destination);
  await q.run(
    'UPDATE federation_destinations SET txn_id = ?, txn_ts = ? WHERE destination = ?',
    txn?.id ?? null,
    txn?.ts ?? null,
    destination,
  );
}

// --- transactions

/** Gives the oldest `limit` PDUs no transaction holds to transaction `txnId`; returns how many. */
export async function assignPdus(
  q: Queryable,
  destination: string,
  txnId: string,
  limit: number,
): Promise<number> {
  const r = await q.run(
    `UPDATE federation_outbox_pdus SET txn_id = ? WHERE rowid IN (
       SELECT rowid FROM federation_outbox_pdus WHERE destination = ? AND txn_id IS NULL
       ORDER BY stream_ordering LIMIT ?)`,
    txnId,
    destination,
    limit,
  );
  return r.changes;
}

/** Gives the oldest `limit` EDUs no transaction holds to transaction `txnId`; returns how many. */
export async function assignEdus(
  q: Queryable,
  destination: string,
  txnId: string,
  limit: number,
): Promise<number> {
  const r = await q.run(
    `UPDATE federation_outbox_edus SET txn_id = ? WHERE id IN (
       SELECT id FROM federation_outbox_edus WHERE destination = ? AND txn_id IS NULL
       ORDER BY id LIMIT ?)`,
    txnId,
    destination,
    limit,
  );
  return r.changes;
}

export function getTxnPdus(
  q: Queryable,
  destination: string,
  txnId: string,
): Promise<OutboxPduRow[]> {
  return q.all<OutboxPduRow>(
    `SELECT stream_ordering, event_id, room_id FROM federation_outbox_pdus
     WHERE destination = ? AND txn_id = ? ORDER BY stream_ordering`,
    destination,
    txnId,
  );
}

export function getTxnEdus(
  q: Queryable,
  destination: string,
  txnId: string,
): Promise<OutboxEduRow[]> {
  return q.all<OutboxEduRow>(
    `SELECT id, edu_type, content_json, queued_ts FROM federation_outbox_edus
     WHERE destination = ? AND txn_id = ? ORDER BY id`,
    destination,
    txnId,
  );
}

/** Deletes what transaction `txnId` held (after a 200, or when it can never be delivered). */
export async function deleteTxnItems(
  q: Queryable,
  destination: string,
  txnId: string,
): Promise<void> {
  await q.run(
    'DELETE FROM federation_outbox_pdus WHERE destination = ? AND txn_id = ?',
    destination,
    txnId,
  );
  await q.run(
    'DELETE FROM federation_outbox_edus WHERE destination = ? AND txn_id = ?',
    destination,
    txnId,
  );
}

// --- queue sizes and catch-up

/** How many PDUs are queued for the destination that no transaction holds yet. */
export async function countWaitingPdus(q: Queryable, destination: string): Promise<number> {
  const row = await q.get<{ n: number }>(
    'SELECT count(*) AS n FROM federation_outbox_pdus WHERE destination = ? AND txn_id IS NULL',
    destination,
  );
  return row?.n ?? 0;
}

/**
 * Drops every waiting PDU of the destination but the newest of each room (catch-up after a
 * long outage: the other side fetches the gap itself). Returns how many were dropped.
 */
export async function keepNewestPduPerRoom(q: Queryable, destination: string): Promise<number> {
  const r = await q.run(
    `DELETE FROM federation_outbox_pdus
     WHERE destination = ? AND txn_id IS NULL AND stream_ordering < (
       SELECT max(p.stream_ordering) FROM federation_outbox_pdus p
       WHERE p.destination = federation_outbox_pdus.destination
         AND p.room_id = federation_outbox_pdus.room_id AND p.txn_id IS NULL)`,
    destination,
  );
  return r.changes;
}

/** Drops waiting EDUs of a type queued before `before` (stale typing notifications). */
export async function deleteWaitingEdusBefore(
  q: Queryable,
  destination: string,
  eduType: string,
  before: number,
): Promise<number> {
  const r = await q.run(
    `DELETE FROM federation_outbox_edus
     WHERE destination = ? AND edu_type = ? AND txn_id IS NULL AND queued_ts < ?`,
    destination,
    eduType,
    before,
  );
  return r.changes;
}

/** Destinations with anything queued. */
export async function listDestinationsWithQueue(q: Queryable): Promise<string[]> {
  const rows = await q.all<{ destination: string }>(
    `SELECT destination FROM federation_outbox_pdus
     UNION SELECT destination FROM federation_outbox_edus ORDER BY destination`,
  );
  return rows.map((r) => r.destination);
}

// --- who shares rooms with us (current state; a user id's server follows its first ':')

const MEMBER_SERVER = "substr(c.state_key, instr(c.state_key, ':') + 1)";

/** The servers, other than `ourServer`, with a joined member in the room's current state. */
export async function listRemoteJoinedServers(
  q: Queryable,
  roomId: string,
  ourServer: string,
): Promise<string[]> {
  // The server test comes before the JSON one, so rooms of local users only read no JSON.
  const rows = await q.all<{ server: string }>(
    `SELECT DISTINCT ${MEMBER_SERVER} AS server
     FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
     WHERE c.room_id = ? AND c.type = 'm.room.member' AND ${MEMBER_SERVER} != ?
       AND json_extract(j.json, '$.content.membership') = 'join'
     ORDER BY server`,
    roomId,
    ourServer,
  );
  return rows.map((r) => r.server);
}

/** The servers, other than `ourServer`, joined to a room that one of our users is joined to. */
export async function listServersSharingRooms(q: Queryable, ourServer: string): Promise<string[]> {
  const rows = await q.all<{ server: string }>(
    `WITH joined AS (
       SELECT c.room_id, ${MEMBER_SERVER} AS server
       FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
       WHERE c.type = 'm.room.member' AND json_extract(j.json, '$.content.membership') = 'join')
     SELECT DISTINCT server FROM joined
     WHERE server != ? AND room_id IN (SELECT room_id FROM joined WHERE server = ?)
     ORDER BY server`,
    ourServer,
    ourServer,
  );
  return rows.map((r) => r.server);
}

/** The servers, other than `ourServer`, joined to a room that `userId` is joined to. */
export async function listServersSharingRoomsWithUser(
  q: Queryable,
  userId: string,
  ourServer: string,
): Promise<string[]> {
  const rows = await q.all<{ server: string }>(
    `SELECT DISTINCT ${MEMBER_SERVER} AS server
     FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
     WHERE c.type = 'm.room.member' AND ${MEMBER_SERVER} != ?
       AND json_extract(j.json, '$.content.membership') = 'join'
       AND c.room_id IN (
         SELECT m.room_id FROM current_state m JOIN event_json_by_id mj ON mj.event_id = m.event_id
         WHERE m.type = 'm.room.member' AND m.state_key = ?
           AND json_extract(mj.json, '$.content.membership') = 'join')
     ORDER BY server`,
    ourServer,
    userId,
  );
  return rows.map((r) => r.server);
}

/**
 * Deletes a room's events waiting to be sent (room purge: their JSON is gone). Those in a
 * transaction in flight go too; the retried transaction then carries the rest.
 */
export async function deleteRoomOutboxPdus(q: Queryable, roomId: string): Promise<void> {
  await q.run('DELETE FROM federation_outbox_pdus WHERE room_id = ?', roomId);
}

/** Every known destination's retry state, paged and sorted (admin API). */
export function listDestinationsPage(
  q: Queryable,
  p: { search?: string | undefined; orderBy: string; dir: 'f' | 'b'; from: number; limit: number },
): Promise<DestinationRow[]> {
  const cols: Record<string, string> = {
    destination: 'destination',
    retry_last_ts: 'retry_last_ts',
    retry_interval: 'retry_interval_ms',
    failure_ts: 'failure_ts',
    last_successful_stream_ordering: 'destination',
  };
  const dir = p.dir === 'b' ? 'DESC' : 'ASC';
  return q.all<DestinationRow>(
    `SELECT * FROM federation_destinations WHERE destination LIKE ? ESCAPE '\\'
     ORDER BY ${cols[p.orderBy] ?? 'destination'} ${dir}, destination ${dir} LIMIT ? OFFSET ?`,
    likeContains(p.search),
    p.limit,
    p.from,
  );
}

export async function countDestinations(q: Queryable, search?: string): Promise<number> {
  const row = await q.get<{ n: number }>(
    `SELECT count(*) AS n FROM federation_destinations WHERE destination LIKE ? ESCAPE '\\'`,
    likeContains(search),
  );
  return row?.n ?? 0;
}

function likeContains(s: string | undefined): string {
  return `%${(s ?? '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
