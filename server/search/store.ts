import type { Queryable } from '../db/sql.js';
import { SERVED_EVENT, SERVED_EVENT_COLUMNS, type ServedEventRow } from '../events/store.js';

/**
 * SQL for the search index (migration 0010): the FTS5 table `event_search`, whose rowid is
 * the event's stream_ordering, read joined with `events` (read-only here). Lists (rooms,
 * types, senders) go in as one JSON array parameter each, so every query is one prepared
 * statement whatever the number of rooms.
 */

/** Where a search looks, beyond the MATCH expression. */
export interface SearchScope {
  /** The FTS5 expression (query.ts builds it; never raw user text). */
  match: string;
  roomIds: readonly string[];
  types: readonly string[];
  /** null: any sender. */
  senders: readonly string[] | null;
  notSenders: readonly string[];
  /** Events past this index position are not looked at. */
  upTo: number;
}

/** A matching event with its relevance (higher is closer). */
export interface SearchHit extends ServedEventRow {
  /** -bm25: higher is closer (not FTS5's hidden `rank` column, which sorts the other way). */
  relevance: number;
}

/** Queues an event's searchable text for the index (migration 0023). */
export async function insertPendingSearchText(
  q: Queryable,
  streamOrdering: number,
  text: string,
): Promise<void> {
  await q.run(
    'INSERT INTO event_search_pending (stream_ordering, value) VALUES (?, ?)',
    streamOrdering,
    text,
  );
}

/**
 * Moves up to `limit` queued rows into the index, oldest first. Returns how many moved
 * (fewer than `limit`: none are left).
 */
export async function movePendingSearchText(q: Queryable, limit: number): Promise<number> {
  const rows = await q.all<{ stream_ordering: number; value: string }>(
    'SELECT stream_ordering, value FROM event_search_pending ORDER BY stream_ordering LIMIT ?',
    limit,
  );
  for (const r of rows) {
    await q.run(
      'INSERT INTO event_search (rowid, value) VALUES (?, ?)',
      r.stream_ordering,
      r.value,
    );
  }
  if (rows.length) {
    await q.run(
      'DELETE FROM event_search_pending WHERE stream_ordering <= ?',
      rows.at(-1)!.stream_ordering,
    );
  }
  return rows.length;
}

/** The newest index position (0 for an empty index): where a first page starts. */
export async function getMaxSearchPosition(q: Queryable): Promise<number> {
  const row = await q.get<{ m: number | null }>('SELECT MAX(rowid) AS m FROM event_search');
  return row?.m ?? 0;
}

// The FTS5 table drives (CROSS JOIN keeps that order): every match, then its event row by
// primary key. Redacted events are skipped even before the trigger has dropped their row.
const MATCHES = 'event_search s CROSS JOIN events e ON e.stream_ordering = s.rowid';
const IN_SCOPE = `WHERE event_search MATCH ? AND s.rowid <= ?
    AND e.room_id IN (SELECT value FROM json_each(?))
    AND e.type IN (SELECT value FROM json_each(?))
    AND (? IS NULL OR e.sender IN (SELECT value FROM json_each(?)))
    AND e.sender NOT IN (SELECT value FROM json_each(?))
    AND e.redacted_by IS NULL AND ${SERVED_EVENT}`;

function scopeParams(s: SearchScope): (string | number | null)[] {
  const senders = s.senders ? JSON.stringify(s.senders) : null;
  return [
    s.match,
    s.upTo,
    JSON.stringify(s.roomIds),
    JSON.stringify(s.types),
    senders,
    senders ?? '[]',
    JSON.stringify(s.notSenders),
  ];
}

/** Matches, newest first, at stream positions below `before`; at most `limit`. */
export function getRecentHits(
  q: Queryable,
  scope: SearchScope,
  page: { before: number; limit: number },
): Promise<SearchHit[]> {
  return q.all<SearchHit>(
    `SELECT ${SERVED_EVENT_COLUMNS}, -bm25(event_search) AS relevance
     FROM ${MATCHES} JOIN event_json j ON j.stream_ordering = e.stream_ordering ${IN_SCOPE}
       AND s.rowid < ?
     ORDER BY s.rowid DESC LIMIT ?`,
    ...scopeParams(scope),
    page.before,
    page.limit,
  );
}

/** Matches, most relevant first (newest first among equals), skipping `offset`; at most `limit`. */
export function getRankedHits(
  q: Queryable,
  scope: SearchScope,
  page: { offset: number; limit: number },
): Promise<SearchHit[]> {
  return q.all<SearchHit>(
    `SELECT ${SERVED_EVENT_COLUMNS}, -bm25(event_search) AS relevance
     FROM ${MATCHES} JOIN event_json j ON j.stream_ordering = e.stream_ordering ${IN_SCOPE}
     ORDER BY relevance DESC, s.rowid DESC LIMIT ? OFFSET ?`,
    ...scopeParams(scope),
    page.limit,
    page.offset,
  );
}

/** How many events match in the scope (before history visibility and the filter's rest). */
export async function countHits(q: Queryable, scope: SearchScope): Promise<number> {
  const row = await q.get<{ n: number }>(
    `SELECT count(*) AS n FROM ${MATCHES} ${IN_SCOPE}`,
    ...scopeParams(scope),
  );
  return row?.n ?? 0;
}
