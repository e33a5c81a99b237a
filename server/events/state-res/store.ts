import type { Queryable } from '../../db/sql.js';

/**
 * The reads state resolution makes of the events tables (migration 0002): event JSON with
 * its rejection, and the auth-chain index (`event_auth`, `event_auth_chain`). Read-only;
 * 500 ids a query, as the other event stores.
 */

const CHUNK = 500;

function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(',');
}

async function forChunks(ids: readonly string[], fn: (chunk: string[]) => Promise<void>) {
  for (let i = 0; i < ids.length; i += CHUNK) await fn(ids.slice(i, i + CHUNK));
}

export interface StoredEventRow {
  event_id: string;
  json: string;
  /** Null when accepted; null too for JSON without an `events` row (nothing says rejected). */
  rejected_reason: string | null;
}

/** The JSON of events and whether they were rejected; unknown ids are left out. */
export async function getEventsWithRejection(
  q: Queryable,
  ids: readonly string[],
): Promise<StoredEventRow[]> {
  const out: StoredEventRow[] = [];
  await forChunks(ids, async (chunk) => {
    out.push(
      ...(await q.all<StoredEventRow>(
        `SELECT e.event_id, j.json, e.rejected_reason FROM events e
         JOIN event_json j ON j.stream_ordering = e.stream_ordering
         WHERE e.event_id IN (${placeholders(chunk.length)})`,
        ...chunk,
      )),
    );
  });
  return out;
}

/**
 * The indexed auth chains of `ids`: the union of their `event_auth_chain` rows, and which
 * of the ids have any (a state event indexed when it was stored; the others, messages,
 * create events and events stored without their chain, have none).
 */
export async function getIndexedAuthChains(
  q: Queryable,
  ids: readonly string[],
): Promise<{ chain: Set<string>; indexed: Set<string> }> {
  const chain = new Set<string>();
  const indexed = new Set<string>();
  await forChunks(ids, async (chunk) => {
    const marks = placeholders(chunk.length);
    const rows = await q.all<{ id: string }>(
      `SELECT DISTINCT chain_event_id AS id FROM event_auth_chain WHERE event_id IN (${marks})`,
      ...chunk,
    );
    for (const r of rows) chain.add(r.id);
    // Usually every one is indexed: a count says so without returning a row per event.
    const counted = await q.get<{ n: number }>(
      `SELECT COUNT(DISTINCT event_id) AS n FROM event_auth_chain WHERE event_id IN (${marks})`,
      ...chunk,
    );
    if (counted?.n === new Set(chunk).size) {
      for (const id of chunk) indexed.add(id);
      return;
    }
    const have = await q.all<{ id: string }>(
      `SELECT DISTINCT event_id AS id FROM event_auth_chain WHERE event_id IN (${marks})`,
      ...chunk,
    );
    for (const r of have) indexed.add(r.id);
  });
  return { chain, indexed };
}

/** Which of `ids` have an indexed auth chain (any `event_auth_chain` row). */
export async function getIndexedIds(q: Queryable, ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  await forChunks(ids, async (chunk) => {
    const rows = await q.all<{ id: string }>(
      `SELECT DISTINCT event_id AS id FROM event_auth_chain WHERE event_id IN (${placeholders(chunk.length)})`,
      ...chunk,
    );
    for (const r of rows) out.add(r.id);
  });
  return out;
}

/**
 * The auth events recorded for `ids` (`event_auth`), by event. Only state events have rows
 * (store.insertAuthChain; older databases also hold them for messages): callers read the
 * JSON of the others.
 */
export async function getAuthEdges(
  q: Queryable,
  ids: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  await forChunks(ids, async (chunk) => {
    const rows = await q.all<{ event_id: string; auth_event_id: string }>(
      `SELECT event_id, auth_event_id FROM event_auth WHERE event_id IN (${placeholders(chunk.length)})`,
      ...chunk,
    );
    for (const r of rows) {
      const list = out.get(r.event_id);
      if (list) list.push(r.auth_event_id);
      else out.set(r.event_id, [r.auth_event_id]);
    }
  });
  return out;
}
