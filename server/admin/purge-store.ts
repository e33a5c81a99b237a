import type { Queryable } from '../db/sql.js';

/**
 * The check after a room purge: which tables with a room_id column still hold rows of the
 * room. It reads the schema, so it also covers tables added after the purge was written.
 */
export async function tablesWithRoomRows(
  q: Queryable,
  roomId: string,
  except: string[] = [],
): Promise<string[]> {
  const tables = await q.all<{ name: string }>(
    `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
     WHERE m.type = 'table' AND c.name = 'room_id' ORDER BY m.name`,
  );
  const left: string[] = [];
  for (const { name } of tables) {
    if (except.includes(name)) continue;
    const row = await q.get(`SELECT 1 FROM "${name}" WHERE room_id = ? LIMIT 1`, roomId);
    if (row) left.push(name);
  }
  return left;
}
