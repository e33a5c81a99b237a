import type { Queryable } from '../db/sql.js';

/** SQL for profile fields: one row per field, the value kept as JSON. */

export async function getProfileFields(
  q: Queryable,
  userId: string,
): Promise<Record<string, unknown>> {
  const rows = await q.all<{ field: string; value_json: string }>(
    'SELECT field, value_json FROM profiles WHERE user_id = ? ORDER BY field',
    userId,
  );
  return Object.fromEntries(rows.map((r) => [r.field, JSON.parse(r.value_json) as unknown]));
}

export async function getProfileField(
  q: Queryable,
  userId: string,
  field: string,
): Promise<{ value: unknown } | undefined> {
  const row = await q.get<{ value_json: string }>(
    'SELECT value_json FROM profiles WHERE user_id = ? AND field = ?',
    userId,
    field,
  );
  return row ? { value: JSON.parse(row.value_json) as unknown } : undefined;
}

/** Bytes the profile would take (keys + JSON values) with `field` left out. */
export async function getProfileSizeWithout(
  q: Queryable,
  userId: string,
  field: string,
): Promise<number> {
  const row = await q.get<{ n: number | null }>(
    'SELECT sum(length(CAST(field AS BLOB)) + length(CAST(value_json AS BLOB))) AS n FROM profiles WHERE user_id = ? AND field <> ?',
    userId,
    field,
  );
  return row?.n ?? 0;
}

export async function setProfileField(
  q: Queryable,
  userId: string,
  field: string,
  value: unknown,
): Promise<void> {
  await q.run(
    `INSERT INTO profiles (user_id, field, value_json) VALUES (?, ?, ?)
     ON CONFLICT (user_id, field) DO UPDATE SET value_json = excluded.value_json`,
    userId,
    field,
    JSON.stringify(value),
  );
}

export async function deleteProfileField(
  q: Queryable,
  userId: string,
  field: string,
): Promise<void> {
  await q.run('DELETE FROM profiles WHERE user_id = ? AND field = ?', userId, field);
}

export async function deleteProfile(q: Queryable, userId: string): Promise<void> {
  await q.run('DELETE FROM profiles WHERE user_id = ?', userId);
}
