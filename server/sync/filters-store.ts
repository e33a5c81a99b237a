import type { Queryable } from '../db/sql.js';

/** SQL for stored filters (user_filters, migration 0004). Filter ids count up per user. */

/** Stores a filter as the client sent it; returns its id. Call inside a writer unit. */
export async function insertUserFilter(
  q: Queryable,
  userId: string,
  filterJson: string,
): Promise<number> {
  const row = await q.get<{ next: number }>(
    'SELECT COALESCE(MAX(filter_id) + 1, 0) AS next FROM user_filters WHERE user_id = ?',
    userId,
  );
  const filterId = row?.next ?? 0;
  await q.run(
    'INSERT INTO user_filters (user_id, filter_id, filter_json) VALUES (?, ?, ?)',
    userId,
    filterId,
    filterJson,
  );
  return filterId;
}

/** The JSON of one of a user's filters, if it exists. */
export async function getUserFilter(
  q: Queryable,
  userId: string,
  filterId: number,
): Promise<string | undefined> {
  return (
    await q.get<{ filter_json: string }>(
      'SELECT filter_json FROM user_filters WHERE user_id = ? AND filter_id = ?',
      userId,
      filterId,
    )
  )?.filter_json;
}
