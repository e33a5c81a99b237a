import type { Queryable } from '../db/sql.js';
import { SERVED_EVENT, SERVED_EVENT_COLUMNS, type ServedEventRow } from '../events/store.js';

/**
 * SQL for the relations index (table event_relations, migration 0009). Reads join the
 * events tables (read-only here) so that only servable children count, and never a
 * redacted one: redacting a child removes its relation.
 */

/** A servable child that still relates to its parent (joins `events e`). */
const LIVE_CHILD = `${SERVED_EVENT} AND e.redacted_by IS NULL`;
/** How many ids one `IN (...)` list holds. */
const ID_CHUNK = 500;

export async function insertRelation(
  q: Queryable,
  r: {
    eventId: string;
    roomId: string;
    relatesToId: string;
    relType: string;
    type: string;
    sender: string;
    streamOrdering: number;
  },
): Promise<void> {
  await q.run(
    `INSERT OR IGNORE INTO event_relations
       (event_id, room_id, relates_to_id, rel_type, type, sender, stream_ordering)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    r.eventId,
    r.roomId,
    r.relatesToId,
    r.relType,
    r.type,
    r.sender,
    r.streamOrdering,
  );
}

/**
 * The children of `parentId` (to `depth` levels of relations: 1 is direct children only)
 * with `after < stream_ordering <= upTo`, newest first for 'b' and oldest first for 'f',
 * optionally only those of one rel_type and event type. A redacted child is left out, and
 * so is what relates to it.
 */
export function getChildren(
  q: Queryable,
  a: {
    roomId: string;
    parentId: string;
    depth: number;
    relType?: string | undefined;
    eventType?: string | undefined;
    after: number;
    upTo: number;
    dir: 'b' | 'f';
    limit: number;
  },
): Promise<ServedEventRow[]> {
  const filters: string[] = [];
  const params: (string | number)[] = [];
  if (a.relType !== undefined) {
    filters.push('AND r.rel_type = ?');
    params.push(a.relType);
  }
  if (a.eventType !== undefined) {
    filters.push('AND r.type = ?');
    params.push(a.eventType);
  }
  // The servable, unredacted rows `r` of the requested range and filters, in page order.
  const page = (where: string) => `JOIN events e ON e.event_id = r.event_id
     JOIN event_json j ON j.stream_ordering = e.stream_ordering
     WHERE ${where} ${LIVE_CHILD} AND r.stream_ordering > ? AND r.stream_ordering <= ?
       ${filters.join(' ')}
     ORDER BY r.stream_ordering ${a.dir === 'b' ? 'DESC' : 'ASC'} LIMIT ?`;
  const pageParams = [a.after, a.upTo, ...params, a.limit];
  if (a.depth <= 1) {
    // Direct children: a range of the parent's index entries.
    return q.all<ServedEventRow>(
      `SELECT ${SERVED_EVENT_COLUMNS} FROM event_relations r ${page('r.relates_to_id = ? AND r.room_id = ? AND')}`,
      a.parentId,
      a.roomId,
      ...pageParams,
    );
  }
  return q.all<ServedEventRow>(
    `WITH RECURSIVE tree(event_id, depth) AS (
       SELECT r.event_id, 1 FROM event_relations r JOIN events e ON e.event_id = r.event_id
       WHERE r.relates_to_id = ? AND r.room_id = ? AND ${LIVE_CHILD}
       UNION
       SELECT r.event_id, t.depth + 1 FROM tree t
       JOIN event_relations r ON r.relates_to_id = t.event_id
       JOIN events e ON e.event_id = r.event_id
       WHERE t.depth < ? AND r.room_id = ? AND ${LIVE_CHILD}
     )
     SELECT ${SERVED_EVENT_COLUMNS} FROM tree t JOIN event_relations r ON r.event_id = t.event_id
     ${page('')}`,
    a.parentId,
    a.roomId,
    a.depth,
    a.roomId,
    ...pageParams,
  );
}

export interface ThreadSummaryRow {
  root_id: string;
  count: number;
  /** The stream ordering of the thread's latest event. */
  latest: number;
  /** 1 when `userId` sent an event of the thread. */
  participated: number;
}

/** The m.thread children of each of `rootIds`, summarised: count, latest, participation. */
export async function getThreadSummaries(
  q: Queryable,
  roomId: string,
  rootIds: readonly string[],
  userId: string,
): Promise<ThreadSummaryRow[]> {
  return inChunks(rootIds, (ids) =>
    q.all<ThreadSummaryRow>(
      `SELECT r.relates_to_id AS root_id, COUNT(*) AS count, MAX(r.stream_ordering) AS latest,
         MAX(r.sender = ?) AS participated
       FROM event_relations r JOIN events e ON e.event_id = r.event_id
       WHERE r.relates_to_id IN (${marks(ids)}) AND r.room_id = ? AND r.rel_type = 'm.thread'
         AND ${LIVE_CHILD}
       GROUP BY r.relates_to_id`,
      userId,
      ...ids,
      roomId,
    ),
  );
}

/** Servable events of a room by stream ordering (any order). */
export function getRowsByOrdering(
  q: Queryable,
  roomId: string,
  orderings: readonly number[],
): Promise<ServedEventRow[]> {
  return inChunks(orderings, (chunk) =>
    q.all<ServedEventRow>(
      `SELECT ${SERVED_EVENT_COLUMNS} FROM events e JOIN event_json j ON j.stream_ordering = e.stream_ordering
       WHERE e.stream_ordering IN (${marks(chunk)}) AND e.room_id = ? AND ${SERVED_EVENT}`,
      ...chunk,
      roomId,
    ),
  );
}

/**
 * The valid replacements of each of `parentIds` (client-server API "Validity of replacement
 * events"): same room, sender and type as the original, neither a state event, and an
 * `m.new_content` object (which an encrypted edit carries in its ciphertext instead).
 * Whether the original is itself an edit is for the caller, who has its content.
 */
export async function getReplacements(
  q: Queryable,
  roomId: string,
  parentIds: readonly string[],
): Promise<(ServedEventRow & { parent_id: string })[]> {
  return inChunks(parentIds, (ids) =>
    q.all<ServedEventRow & { parent_id: string }>(
      `SELECT r.relates_to_id AS parent_id, ${SERVED_EVENT_COLUMNS}
       FROM event_relations r JOIN events e ON e.event_id = r.event_id
       JOIN event_json j ON j.stream_ordering = e.stream_ordering
       JOIN events o ON o.event_id = r.relates_to_id
       WHERE r.relates_to_id IN (${marks(ids)}) AND r.room_id = ? AND r.rel_type = 'm.replace'
         AND ${LIVE_CHILD} AND e.state_key IS NULL
         AND o.room_id = e.room_id AND o.sender = e.sender AND o.type = e.type
         AND o.state_key IS NULL
         AND (e.type = 'm.room.encrypted'
              OR json_type(j.json, '$.content."m.new_content"') = 'object')`,
      ...ids,
      roomId,
    ),
  );
}

/**
 * Which of `parentIds` have any child at all (redacted or not, of any relation type): the
 * parents index alone, no join. Most events have none; the aggregation queries are then
 * asked only about those that do.
 */
export async function getParentsWithChildren(
  q: Queryable,
  parentIds: readonly string[],
): Promise<Set<string>> {
  const rows = await inChunks(parentIds, (ids) =>
    q.all<{ relates_to_id: string }>(
      `SELECT DISTINCT relates_to_id FROM event_relations WHERE relates_to_id IN (${marks(ids)})`,
      ...ids,
    ),
  );
  return new Set(rows.map((r) => r.relates_to_id));
}

/** The m.reference children of each of `parentIds`, oldest first. */
export function getReferences(
  q: Queryable,
  roomId: string,
  parentIds: readonly string[],
): Promise<{ parent_id: string; event_id: string }[]> {
  return inChunks(parentIds, (ids) =>
    q.all<{ parent_id: string; event_id: string }>(
      `SELECT r.relates_to_id AS parent_id, r.event_id
       FROM event_relations r JOIN events e ON e.event_id = r.event_id
       WHERE r.relates_to_id IN (${marks(ids)}) AND r.room_id = ? AND r.rel_type = 'm.reference'
         AND ${LIVE_CHILD}
       ORDER BY r.stream_ordering`,
      ...ids,
      roomId,
    ),
  );
}

/**
 * A room's threads whose latest event is at or before `upTo`, the most recently active
 * first: roots that are not themselves relations (threading: "It is not possible to create
 * a thread from an event which itself is the child of an event relationship"). With
 * `participant`, only threads that user started or sent an event in.
 */
export function getThreads(
  q: Queryable,
  a: { roomId: string; upTo: number; limit: number; participant?: string | undefined },
): Promise<{ root_id: string; latest: number }[]> {
  const participated =
    a.participant === undefined
      ? ''
      : `AND (MAX(r.sender = ?) = 1
              OR EXISTS (SELECT 1 FROM events o WHERE o.event_id = r.relates_to_id AND o.sender = ?))`;
  return q.all<{ root_id: string; latest: number }>(
    `SELECT r.relates_to_id AS root_id, MAX(r.stream_ordering) AS latest
     FROM event_relations r JOIN events e ON e.event_id = r.event_id
     WHERE r.room_id = ? AND r.rel_type = 'm.thread' AND ${LIVE_CHILD}
       AND NOT EXISTS (SELECT 1 FROM event_relations p WHERE p.event_id = r.relates_to_id)
     GROUP BY r.relates_to_id
     HAVING MAX(r.stream_ordering) <= ? ${participated}
     ORDER BY latest DESC LIMIT ?`,
    a.roomId,
    a.upTo,
    ...(a.participant === undefined ? [] : [a.participant, a.participant]),
    a.limit,
  );
}

function marks(ids: readonly unknown[]): string {
  return ids.map(() => '?').join(',');
}

async function inChunks<I extends string | number, T>(
  ids: readonly I[],
  query: (chunk: I[]) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += ID_CHUNK)
    out.push(...(await query(ids.slice(i, i + ID_CHUNK))));
  return out;
}

/** Whether the event (of the room) has a relation that still counts (it is not redacted). */
export async function hasLiveRelation(
  q: Queryable,
  roomId: string,
  eventId: string,
): Promise<boolean> {
  return !!(await q.get(
    `SELECT 1 FROM event_relations r JOIN events e ON e.event_id = r.event_id
     WHERE r.event_id = ? AND r.room_id = ? AND e.redacted_by IS NULL`,
    eventId,
    roomId,
  ));
}

/** Deletes a room's relations index (room purge). */
export async function deleteRoomRelations(q: Queryable, roomId: string): Promise<void> {
  await q.run('DELETE FROM event_relations WHERE room_id = ?', roomId);
}
