import { referencedEventIds, type Pdu } from './event-format.js';
import type { Queryable } from '../db/sql.js';

/** SQL for rooms, events, the DAG, auth chains, forward extremities and current state. */

export interface RoomRow {
  room_id: string;
  room_version: string;
  creator: string | null;
  is_public: number;
  created_ts: number;
}

export interface EventRow {
  stream_ordering: number;
  event_id: string;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  depth: number;
  origin_server_ts: number;
  outlier: number;
  rejected_reason: string | null;
  redacted_by: string | null;
  state_group: number | null;
}

// --- served events: what the client API reads (never outliers, never rejected events)

/** An event row with its PDU JSON, as the timeline and /sync read them. */
export interface ServedEventRow {
  stream_ordering: number;
  event_id: string;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  origin_server_ts: number;
  state_group: number | null;
  redacted_by: string | null;
  json: string;
}

/**
 * What `rejected_reason` holds for a soft-failed event (server/events/persist-remote.ts):
 * like a rejected event it is never served, but it keeps its state and is not rejected for
 * state resolution or as an auth event.
 */
export const SOFT_FAILED = 'soft_failed';

/** Whether a stored `rejected_reason` means the event was rejected (not soft-failed). */
export function isRejectedReason(reason: string | null): boolean {
  return reason !== null && reason !== SOFT_FAILED;
}

/** The SQL condition (on `events e`) for events a client may be served. */
export const SERVED_EVENT = 'e.outlier = 0 AND e.rejected_reason IS NULL';
/** The columns of a ServedEventRow, from `events e JOIN event_json j`. */
export const SERVED_EVENT_COLUMNS = `e.stream_ordering, e.event_id, e.room_id, e.type, e.state_key, e.sender,
  e.origin_server_ts, e.state_group, e.redacted_by, j.json`;

// --- rooms

export async function insertRoom(
  q: Queryable,
  r: { roomId: string; version: string; creator: string | null; createdTs: number },
): Promise<void> {
  await q.run(
    'INSERT INTO rooms (room_id, room_version, creator, created_ts) VALUES (?, ?, ?, ?)',
    r.roomId,
    r.version,
    r.creator,
    r.createdTs,
  );
}

export function getRoom(q: Queryable, roomId: string): Promise<RoomRow | undefined> {
  return q.get<RoomRow>('SELECT * FROM rooms WHERE room_id = ?', roomId);
}

// --- events

/**
 * Inserts a PDU's row and JSON (insertEvent with the columns the PDU itself gives); returns
 * its stream ordering. `outlier` defaults to false.
 */
export function insertPdu(
  q: Queryable,
  e: {
    eventId: string;
    roomId: string;
    pdu: Pdu;
    outlier?: boolean;
    rejectedReason: string | null;
    stateGroup: number | null;
    streamOrdering?: number;
    txn?: EventTxn | undefined;
    /** `JSON.stringify(pdu)` when the caller has it already (events/build.ts). */
    json?: string | undefined;
  },
): Promise<number> {
  return insertEvent(q, {
    eventId: e.eventId,
    roomId: e.roomId,
    type: e.pdu.type,
    stateKey: e.pdu.state_key ?? null,
    sender: e.pdu.sender,
    depth: e.pdu.depth,
    originServerTs: e.pdu.origin_server_ts,
    outlier: e.outlier ?? false,
    rejectedReason: e.rejectedReason,
    stateGroup: e.stateGroup,
    json: e.json ?? JSON.stringify(e.pdu),
    ...(e.streamOrdering !== undefined ? { streamOrdering: e.streamOrdering } : {}),
    txn: e.txn,
  });
}

/**
 * The client transaction an event was sent with (its sender is the user). Kept on the
 * event's own row (migration 0028) so that /sync's event -> transaction id lookup needs
 * no index of its own, which would cost each send a page at a random place in its commit.
 */
export interface EventTxn {
  deviceId: string;
  txnId: string;
}

/** Inserts an event's row and JSON; returns its stream ordering (allocated here, late). */
export async function insertEvent(
  q: Queryable,
  e: {
    eventId: string;
    roomId: string;
    type: string;
    stateKey: string | null;
    sender: string;
    depth: number;
    originServerTs: number;
    outlier: boolean;
    rejectedReason: string | null;
    stateGroup: number | null;
    json: string;
    /**
     * An explicit position, for history from other servers (events/persist-historical.ts):
     * negative, below every stored event. Left out, the next position is allocated.
     */
    streamOrdering?: number;
    txn?: EventTxn | undefined;
  },
): Promise<number> {
  const r = await q.run(
    `INSERT INTO events (stream_ordering, event_id, room_id, type, state_key, sender, depth,
       origin_server_ts, outlier, rejected_reason, state_group, txn_device_id, txn_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    e.streamOrdering ?? null,
    e.eventId,
    e.roomId,
    e.type,
    e.stateKey,
    e.sender,
    e.depth,
    e.originServerTs,
    e.outlier ? 1 : 0,
    e.rejectedReason,
    e.stateGroup,
    e.txn?.deviceId ?? null,
    e.txn?.txnId ?? null,
  );
  // Keyed by the event's position (migration 0030): appended, with no index of its own.
  await q.run(
    'INSERT INTO event_json (stream_ordering, json) VALUES (?, ?)',
    r.lastInsertRowid,
    e.json,
  );
  return r.lastInsertRowid;
}

/** The lowest stream position of any event (0 for none); history goes below it. */
export async function getMinStreamOrdering(q: Queryable): Promise<number> {
  return (
    (await q.get<{ m: number | null }>('SELECT MIN(stream_ordering) AS m FROM events'))?.m ?? 0
  );
}

/**
 * The `limit` first timeline events of a room in stream order (not outliers nor rejected
 * events), with their JSON: where the room's stored history begins.
 */
export function getRoomOldestEvents(
  q: Queryable,
  roomId: string,
  limit: number,
): Promise<{ event_id: string; depth: number; json: string }[]> {
  return q.all(
    `SELECT e.event_id, e.depth, j.json FROM events e JOIN event_json j ON j.stream_ordering = e.stream_ordering
     WHERE e.room_id = ? AND e.outlier = 0
       AND (e.rejected_reason IS NULL OR e.rejected_reason = '${SOFT_FAILED}')
     ORDER BY e.stream_ordering LIMIT ?`,
    roomId,
    limit,
  );
}

export function getEventRow(q: Queryable, eventId: string): Promise<EventRow | undefined> {
  return q.get<EventRow>('SELECT * FROM events WHERE event_id = ?', eventId);
}

/** The JSON of events by id (any order; missing ids are left out), 500 ids a query. */
export async function getEventJsonMany(
  q: Queryable,
  eventIds: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < eventIds.length; i += 500) {
    const chunk = eventIds.slice(i, i + 500);
    const rows = await q.all<{ event_id: string; json: string }>(
      `SELECT event_id, json FROM event_json_by_id WHERE event_id IN (${chunk.map(() => '?').join(',')})`,
      ...chunk,
    );
    for (const r of rows) out.set(r.event_id, r.json);
  }
  return out;
}

export async function getEventJson(q: Queryable, eventId: string): Promise<string | undefined> {
  return (
    await q.get<{ json: string }>('SELECT json FROM event_json_by_id WHERE event_id = ?', eventId)
  )?.json;
}

/**
 * Records a state event's auth events and its whole auth chain: the chain of each auth
 * event (already stored) plus the auth events themselves. Only state events are ever auth
 * events, so nothing is recorded for any other event: its auth events are in its JSON
 * (`auth_events`, which every caller passes here and redaction keeps), and its chain is
 * read through them (getAuthChain; state resolution's fetch reads the JSON of events
 * without event_auth rows). Recording a message's three or four auth rows, keyed by its
 * random event id, cost each send about two WAL pages in its commit. Databases written
 * before still hold such rows for messages; the readers take either.
 */
export async function insertAuthChain(
  q: Queryable,
  eventId: string,
  authEventIds: string[],
  isState: boolean,
): Promise<void> {
  if (!isState || !authEventIds.length) return;
  // One statement for the event's few auth rows (a message's three or four): it runs for
  // every event, inside the writer.
  const rows: string[] = [];
  for (const a of authEventIds) rows.push(eventId, a);
  await q.run(
    `INSERT OR IGNORE INTO event_auth (event_id, auth_event_id)
     VALUES ${authEventIds.map(() => '(?, ?)').join(', ')}`,
    ...rows,
  );
  for (const a of authEventIds) {
    await q.run(
      'INSERT OR IGNORE INTO event_auth_chain (event_id, chain_event_id) VALUES (?, ?)',
      eventId,
      a,
    );
    await q.run(
      `INSERT OR IGNORE INTO event_auth_chain (event_id, chain_event_id)
       SELECT ?, chain_event_id FROM event_auth_chain WHERE event_id = ?`,
      eventId,
      a,
    );
  }
}

/** An event's auth chain: its auth events and their chains (sorted ids). */
export async function getAuthChain(q: Queryable, eventId: string): Promise<string[]> {
  const rows = await q.all<{ id: string }>(
    `SELECT auth_event_id AS id FROM event_auth WHERE event_id = ?
     UNION
     SELECT c.chain_event_id FROM event_auth a
       JOIN event_auth_chain c ON c.event_id = a.auth_event_id
     WHERE a.event_id = ?
     ORDER BY id`,
    eventId,
    eventId,
  );
  if (rows.length) return rows.map((r) => r.id);
  // No rows: an event that is not a state event (insertAuthChain records none for it) or
  // has no auth events. Its auth events are in its JSON; their chains are recorded.
  const json = await getEventJson(q, eventId);
  if (json === undefined) return [];
  const authIds = referencedEventIds((JSON.parse(json) as Pdu).auth_events);
  if (!authIds.length) return [];
  const chain = await q.all<{ id: string }>(
    `SELECT chain_event_id AS id FROM event_auth_chain
     WHERE event_id IN (${authIds.map(() => '?').join(', ')})`,
    ...authIds,
  );
  // Sorted as the query above sorts (BINARY collation; event ids are ASCII).
  return [...new Set([...authIds, ...chain.map((r) => r.id)])].sort();
}

/**
 * The depth of the room's first stored event (0 for none): the lowest depth this server
 * knows of the room, as its events are stored after their prev events. Federation asks
 * other servers for missing events above it (get_missing_events `min_depth`).
 */
export async function getRoomMinDepth(q: Queryable, roomId: string): Promise<number> {
  const r = await q.get<{ depth: number }>(
    'SELECT depth FROM events WHERE room_id = ? AND outlier = 0 ORDER BY stream_ordering LIMIT 1',
    roomId,
  );
  return r?.depth ?? 0;
}

// --- forward extremities

export async function getForwardExtremities(q: Queryable, roomId: string): Promise<string[]> {
  const rows = await q.all<{ event_id: string }>(
    'SELECT event_id FROM room_forward_extremities WHERE room_id = ? ORDER BY event_id',
    roomId,
  );
  return rows.map((r) => r.event_id);
}

/** The new event becomes an extremity; the events it points to stop being ones. */
export async function advanceForwardExtremities(
  q: Queryable,
  roomId: string,
  eventId: string,
  prevEventIds: string[],
): Promise<void> {
  for (const prev of prevEventIds) {
    await q.run(
      'DELETE FROM room_forward_extremities WHERE room_id = ? AND event_id = ?',
      roomId,
      prev,
    );
  }
  await q.run(
    'INSERT OR IGNORE INTO room_forward_extremities (room_id, event_id) VALUES (?, ?)',
    roomId,
    eventId,
  );
}

// --- current state

export async function getCurrentState(
  q: Queryable,
  roomId: string,
): Promise<{ type: string; state_key: string; event_id: string }[]> {
  return q.all('SELECT type, state_key, event_id FROM current_state WHERE room_id = ?', roomId);
}

export async function setCurrentStateEntry(
  q: Queryable,
  roomId: string,
  type: string,
  stateKey: string,
  eventId: string | null,
): Promise<void> {
  if (eventId === null) {
    await q.run(
      'DELETE FROM current_state WHERE room_id = ? AND type = ? AND state_key = ?',
      roomId,
      type,
      stateKey,
    );
    return;
  }
  await q.run(
    `INSERT INTO current_state (room_id, type, state_key, event_id) VALUES (?, ?, ?, ?)
     ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id`,
    roomId,
    type,
    stateKey,
    eventId,
  );
}

// --- client transaction ids (send idempotency per device: events/client-txns.ts)
//
// client_txns (migration 0029) is appended in arrival order and has no index: the lookup
// is in memory. The reverse direction (event -> txn id, for /sync) is on the event's row
// (EventTxn).

/** Appends a send's transaction id; returns its row's id. */
export async function insertClientTxn(
  q: Queryable,
  t: {
    userId: string;
    deviceId: string;
    scope: string;
    txnId: string;
    eventId: string;
    createdTs: number;
  },
): Promise<number> {
  const r = await q.run(
    `INSERT INTO client_txns (user_id, device_id, scope, txn_id, event_id, created_ts)
     VALUES (?, ?, ?, ?, ?, ?)`,
    t.userId,
    t.deviceId,
    t.scope,
    t.txnId,
    t.eventId,
    t.createdTs,
  );
  return r.lastInsertRowid;
}

export interface ClientTxnRow {
  id: number;
  user_id: string;
  device_id: string;
  scope: string;
  txn_id: string;
  event_id: string;
  created_ts: number;
}

export function getClientTxn(q: Queryable, id: number): Promise<ClientTxnRow | undefined> {
  return q.get<ClientTxnRow>(
    'SELECT id, user_id, device_id, scope, txn_id, event_id, created_ts FROM client_txns WHERE id = ?',
    id,
  );
}

/** The newest `limit` transaction ids recorded after `afterTs`, newest first. */
export function listClientTxnsAfter(
  q: Queryable,
  afterTs: number,
  limit: number,
): Promise<ClientTxnRow[]> {
  return q.all<ClientTxnRow>(
    `SELECT id, user_id, device_id, scope, txn_id, event_id, created_ts FROM client_txns
     WHERE created_ts > ? ORDER BY id DESC LIMIT ?`,
    afterTs,
    limit,
  );
}

/**
 * Deletes the rows before the first one recorded after `upToTs` (all of them if there is
 * none): a range at the head of the table, found by reading only that range.
 */
export async function deleteClientTxnsUpTo(q: Queryable, upToTs: number): Promise<void> {
  await q.run(
    `DELETE FROM client_txns WHERE id < coalesce(
       (SELECT id FROM client_txns WHERE created_ts > ? ORDER BY id LIMIT 1),
       (SELECT max(id) + 1 FROM client_txns))`,
    upToTs,
  );
}

/** Deletes the transaction ids of a room's events; returns the ids of the rows deleted. */
export async function deleteRoomClientTxns(q: Queryable, roomId: string): Promise<Set<number>> {
  const rows = await q.all<{ id: number }>(
    `DELETE FROM client_txns WHERE event_id IN (SELECT event_id FROM events WHERE room_id = ?)
     RETURNING id`,
    roomId,
  );
  return new Set(rows.map((r) => r.id));
}

/** The JSON of every event of a room's current state, in one query. */
export function getCurrentStateJson(
  q: Queryable,
  roomId: string,
): Promise<{ event_id: string; json: string }[]> {
  return q.all<{ event_id: string; json: string }>(
    `SELECT c.event_id, j.json FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
     WHERE c.room_id = ? ORDER BY c.type, c.state_key`,
    roomId,
  );
}

/** The JSON of one current state event, if set. */
export async function getCurrentStateEventJson(
  q: Queryable,
  roomId: string,
  type: string,
  stateKey: string,
): Promise<{ event_id: string; json: string } | undefined> {
  return q.get<{ event_id: string; json: string }>(
    `SELECT c.event_id, j.json FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
     WHERE c.room_id = ? AND c.type = ? AND c.state_key = ?`,
    roomId,
    type,
    stateKey,
  );
}

/** Rooms whose current state has `userId` with `membership`. */
export async function getRoomsWithMembership(
  q: Queryable,
  userId: string,
  membership: string,
): Promise<string[]> {
  const rows = await q.all<{ room_id: string }>(
    `SELECT c.room_id FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
     WHERE c.type = 'm.room.member' AND c.state_key = ? AND json_extract(j.json, '$.content.membership') = ?
     ORDER BY c.room_id`,
    userId,
    membership,
  );
  return rows.map((r) => r.room_id);
}

// --- purge (the admin API's room deletion)

/**
 * Deletes every row of a room's events, DAG, auth chains, state groups, current state,
 * forward extremities and the room itself (the search index rows go with the events, by
 * migration 0010/0023's triggers; the client transaction ids go first, by
 * deleteRoomClientTxns); returns the state group ids deleted, for caches to drop.
 */
export async function deleteRoomEvents(q: Queryable, roomId: string): Promise<number[]> {
  const inRoom = 'SELECT event_id FROM events WHERE room_id = ?';
  await q.run(
    'DELETE FROM event_json WHERE stream_ordering IN (SELECT stream_ordering FROM events WHERE room_id = ?)',
    roomId,
  );
  for (const table of ['event_auth', 'event_auth_chain']) {
    await q.run(`DELETE FROM ${table} WHERE event_id IN (${inRoom})`, roomId);
  }
  const groups = (
    await q.all<{ id: number }>('SELECT id FROM state_groups WHERE room_id = ?', roomId)
  ).map((g) => g.id);
  await q.run(
    'DELETE FROM state_group_entries WHERE group_id IN (SELECT id FROM state_groups WHERE room_id = ?)',
    roomId,
  );
  await q.run('DELETE FROM events WHERE room_id = ?', roomId);
  await q.run('DELETE FROM state_groups WHERE room_id = ?', roomId);
  await q.run('DELETE FROM current_state WHERE room_id = ?', roomId);
  await q.run('DELETE FROM room_forward_extremities WHERE room_id = ?', roomId);
  await q.run('DELETE FROM rooms WHERE room_id = ?', roomId);
  return groups;
}

/** The newest stream position of any event (0 for none). */
export async function getMaxStreamOrdering(q: Queryable): Promise<number> {
  return (
    (await q.get<{ m: number | null }>('SELECT max(stream_ordering) AS m FROM events'))?.m ?? 0
  );
}

/**
 * Keeps the event stream from going back to `pos` after a purge deleted its newest events:
 * stream_ordering is a rowid, so the next event would otherwise reuse a position clients
 * already synced past. A placeholder row of no room (an outlier, never served) holds it;
 * an earlier placeholder below it goes.
 */
export async function holdStreamOrdering(q: Queryable, pos: number): Promise<void> {
  if ((await getMaxStreamOrdering(q)) >= pos) return;
  await q.run(`DELETE FROM events WHERE room_id = '' AND type = 'org.hearth.stream_hold'`);
  await q.run(
    `INSERT INTO events (stream_ordering, event_id, room_id, type, sender, depth,
       origin_server_ts, outlier, rejected_reason)
     VALUES (?, ?, '', 'org.hearth.stream_hold', '', 0, 0, 1, 'stream_hold')`,
    pos,
    `$stream_hold_${pos}`,
  );
}
