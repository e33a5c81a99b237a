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

/** Removes an alias; false when it did not exist. */
export async function deleteAlias(q: Queryable, alias: string): Promise<boolean> {
  const r = await q.run('DELETE FROM room_aliases WHERE room_alias = ?', alias);
  return r.changes === 1;
}

export async function getAliasCreator(q: Queryable, alias: string): Promise<string | undefined> {
  return (
    await q.get<{ creator: string }>('SELECT creator FROM room_aliases WHERE room_alias = ?', alias)
  )?.creator;
}

/** The local aliases that point at a room, sorted. */
export async function getRoomAliases(q: Queryable, roomId: string): Promise<string[]> {
  const rows = await q.all<{ room_alias: string }>(
    'SELECT room_alias FROM room_aliases WHERE room_id = ? ORDER BY room_alias',
    roomId,
  );
  return rows.map((r) => r.room_alias);
}

/** The rooms published in the directory, oldest first (a stable order for offset paging). */
export async function getPublicRoomIds(q: Queryable): Promise<string[]> {
  const rows = await q.all<{ room_id: string }>(
    'SELECT room_id FROM rooms WHERE is_public = 1 ORDER BY created_ts, room_id',
  );
  return rows.map((r) => r.room_id);
}

/** Marks a room forgotten by a user (hidden from their sync and room lists). */
export async function insertForgotten(q: Queryable, userId: string, roomId: string): Promise<void> {
  await q.run(
    'INSERT INTO room_forgotten (user_id, room_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
    userId,
    roomId,
  );
}

/** Clears a forgotten mark, when the user comes back to the room. */
export async function deleteForgotten(q: Queryable, userId: string, roomId: string): Promise<void> {
  await q.run('DELETE FROM room_forgotten WHERE user_id = ? AND room_id = ?', userId, roomId);
}

export async function isForgotten(q: Queryable, userId: string, roomId: string): Promise<boolean> {
  return (
    (await q.get(
      'SELECT 1 FROM room_forgotten WHERE user_id = ? AND room_id = ?',
      userId,
      roomId,
    )) !== undefined
  );
}

/** Points every local alias of one room at another (room upgrades). */
export async function moveAliases(
  q: Queryable,
  fromRoomId: string,
  toRoomId: string,
): Promise<void> {
  await q.run('UPDATE room_aliases SET room_id = ? WHERE room_id = ?', toRoomId, fromRoomId);
}

/**
 * Those of `userIds` joined (in current state) to at least one of `roomIds`: one query for
 * a whole /sync's candidates (presence, device lists) instead of one lookup per user. The
 * arrays go in as JSON (one parameter each, whatever their length); the lookup runs on
 * current_state_members_by_user (migration 0012).
 */
export async function getUsersJoinedToAny(
  q: Queryable,
  userIds: readonly string[],
  roomIds: readonly string[],
): Promise<Set<string>> {
  if (!userIds.length || !roomIds.length) return new Set();
  const rows = await q.all<{ user_id: string }>(
    `SELECT DISTINCT c.state_key AS user_id FROM current_state c
     JOIN event_json_by_id j ON j.event_id = c.event_id
     WHERE c.type = 'm.room.member' AND c.state_key IN (SELECT value FROM json_each(?))
       AND c.room_id IN (SELECT value FROM json_each(?))
       AND json_extract(j.json, '$.content.membership') = 'join'`,
    JSON.stringify(userIds),
    JSON.stringify(roomIds),
  );
  return new Set(rows.map((r) => r.user_id));
}

/** Deletes a room's aliases and forgotten marks (room purge); returns the aliases. */
export async function deleteRoomRows(q: Queryable, roomId: string): Promise<string[]> {
  const aliases = await getRoomAliases(q, roomId);
  await q.run('DELETE FROM room_aliases WHERE room_id = ?', roomId);
  await q.run('DELETE FROM room_forgotten WHERE room_id = ?', roomId);
  return aliases;
}
