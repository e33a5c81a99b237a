import type { Queryable } from '../db/sql.js';

/** SQL for room aliases and directory visibility. */

export async function getAliasRoom(q: Queryable, alias: string): Promise<string | undefined> {
  return (
    await q.get<{ room_id: string }>('SELECT room_id FROM room_aliases WHERE room_alias = ?', alias)
  )?.room_id;
}

/** Inserts an alias; false when it is taken. */
export async function insertAlias(
  q: Queryable,
  a: { alias: string; roomId: string; creator: string; createdTs: number },
): Promise<boolean> {
  const r = await q.run(
    'INSERT INTO room_aliases (room_alias, room_id, creator, created_ts) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    a.alias,
    a.roomId,
    a.creator,
    a.createdTs,
  );
  return r.changes === 1;
}

export async function setRoomPublic(
  q: Queryable,
  roomId: string,
  isPublic: boolean,
): Promise<void> {
  await q.run('UPDATE rooms SET is_public = ? WHERE room_id = ?', isPublic ? 1 : 0, roomId);
}
