import type { Queryable, SqlValue } from '../db/sql.js';

/**
 * SQL of the admin API's room views (Synapse's List Room / Room Details shapes), read from
 * rooms and their current state, and of blocked_rooms (migration 0027).
 */

export interface AdminRoomRow {
  room_id: string;
  name: string | null;
  canonical_alias: string | null;
  joined_members: number;
  joined_local_members: number;
  version: string;
  creator: string | null;
  encryption: string | null;
  federatable: number;
  public: number;
  join_rules: string | null;
  guest_access: string | null;
  history_visibility: string | null;
  state_events: number;
  room_type: string | null;
  topic: string | null;
  avatar: string | null;
  created_ts: number;
}

/** A current state event's content field, for room `r`. */
function stateField(type: string, path: string): string {
  return `(SELECT json_extract(j.json, '${path}') FROM current_state c
      JOIN event_json_by_id j ON j.event_id = c.event_id
      WHERE c.room_id = r.room_id AND c.type = '${type}' AND c.state_key = '')`;
}

const JOINED = `FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
      WHERE c.room_id = r.room_id AND c.type = 'm.room.member'
        AND json_extract(j.json, '$.content.membership') = 'join'`;

/** Every listed column, per room; its two `?` are ':' + this server's name (local members). */
const SELECT_ROOMS = `SELECT r.room_id, r.room_version AS version, r.creator, r.is_public AS public,
    r.created_ts,
    ${stateField('m.room.name', '$.content.name')} AS name,
    ${stateField('m.room.canonical_alias', '$.content.alias')} AS canonical_alias,
    ${stateField('m.room.topic', '$.content.topic')} AS topic,
    ${stateField('m.room.avatar', '$.content.url')} AS avatar,
    ${stateField('m.room.join_rules', '$.content.join_rule')} AS join_rules,
    ${stateField('m.room.guest_access', '$.content.guest_access')} AS guest_access,
    ${stateField('m.room.history_visibility', '$.content.history_visibility')} AS history_visibility,
    ${stateField('m.room.encryption', '$.content.algorithm')} AS encryption,
    ${stateField('m.room.create', '$.content.type')} AS room_type,
    coalesce(${stateField('m.room.create', '$.content."m.federate"')}, 1) AS federatable,
    (SELECT count(*) ${JOINED}) AS joined_members,
    (SELECT count(*) ${JOINED} AND substr(c.state_key, -length(?)) = ?) AS joined_local_members,
    (SELECT count(*) FROM current_state c WHERE c.room_id = r.room_id) AS state_events
  FROM rooms r`;

/** Sort keys (Synapse's order_by values; alphabetical and size are its old names). */
export const ROOM_ORDER: Record<string, string> = {
  name: 'name',
  alphabetical: 'name',
  canonical_alias: 'canonical_alias',
  joined_members: 'joined_members',
  size: 'joined_members',
  joined_local_members: 'joined_local_members',
  version: 'version',
  creator: 'creator',
  encryption: 'encryption',
  federatable: 'federatable',
  public: 'public',
  join_rules: 'join_rules',
  guest_access: 'guest_access',
  history_visibility: 'history_visibility',
  state_events: 'state_events',
  created_ts: 'created_ts',
};

export interface RoomFilter {
  /** Name, canonical alias or room id contains (case-insensitive). */
  searchTerm?: string | undefined;
  publicRooms?: boolean | undefined;
  /** false: only rooms someone is joined to; true: only empty ones. */
  emptyRooms?: boolean | undefined;
}

function whereOf(f: RoomFilter): { sql: string; args: SqlValue[] } {
  const conds: string[] = [];
  const args: SqlValue[] = [];
  if (f.searchTerm !== undefined) {
    const like = `%${f.searchTerm.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conds.push(
      `(coalesce(name, '') LIKE ? ESCAPE '\\' OR coalesce(canonical_alias, '') LIKE ? ESCAPE '\\' OR room_id LIKE ? ESCAPE '\\')`,
    );
    args.push(like, like, like);
  }
  if (f.publicRooms !== undefined) conds.push(`public = ${f.publicRooms ? 1 : 0}`);
  if (f.emptyRooms !== undefined) conds.push(`joined_members ${f.emptyRooms ? '= 0' : '> 0'}`);
  return { sql: conds.length ? `WHERE ${conds.join(' AND ')}` : '', args };
}

/** One page of the rooms matching `f`, sorted by `orderBy` (a ROOM_ORDER key) then id. */
export function listRooms(
  q: Queryable,
  localSuffix: string,
  f: RoomFilter,
  page: { orderBy: string; dir: 'f' | 'b'; from: number; limit: number },
): Promise<AdminRoomRow[]> {
  const w = whereOf(f);
  const dir = page.dir === 'b' ? 'DESC' : 'ASC';
  const col = ROOM_ORDER[page.orderBy] ?? 'name';
  return q.all<AdminRoomRow>(
    `SELECT * FROM (${SELECT_ROOMS}) ${w.sql}
     ORDER BY ${col} ${dir}, room_id ${dir} LIMIT ? OFFSET ?`,
    localSuffix,
    localSuffix,
    ...w.args,
    page.limit,
    page.from,
  );
}

/** How many rooms match `f` (the list's total). */
export async function countRooms(
  q: Queryable,
  localSuffix: string,
  f: RoomFilter,
): Promise<number> {
  const w = whereOf(f);
  const row = await q.get<{ n: number }>(
    `SELECT count(*) AS n FROM (${SELECT_ROOMS}) ${w.sql}`,
    localSuffix,
    localSuffix,
    ...w.args,
  );
  return row?.n ?? 0;
}

/** One room with every listed column, plus topic and avatar. */
export function getAdminRoom(
  q: Queryable,
  localSuffix: string,
  roomId: string,
): Promise<AdminRoomRow | undefined> {
  return q.get<AdminRoomRow>(
    `${SELECT_ROOMS} WHERE r.room_id = ?`,
    localSuffix,
    localSuffix,
    roomId,
  );
}

/**
 * Whether every local user with a membership in the room has forgotten it (Synapse's
 * `forgotten`): false while any has not, or none ever had one.
 */
export async function isForgottenByAllLocal(
  q: Queryable,
  localSuffix: string,
  roomId: string,
): Promise<boolean> {
  const row = await q.get<{ members: number; remembering: number }>(
    `SELECT count(*) AS members,
       sum(NOT EXISTS (SELECT 1 FROM room_forgotten f
         WHERE f.room_id = c.room_id AND f.user_id = c.state_key)) AS remembering
     FROM current_state c
     WHERE c.room_id = ? AND c.type = 'm.room.member' AND substr(c.state_key, -length(?)) = ?`,
    roomId,
    localSuffix,
    localSuffix,
  );
  return (row?.members ?? 0) > 0 && (row?.remembering ?? 0) === 0;
}

/** The user ids joined to the room now. */
export async function listJoinedMembers(q: Queryable, roomId: string): Promise<string[]> {
  const rows = await q.all<{ state_key: string }>(
    `SELECT c.state_key FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
     WHERE c.room_id = ? AND c.type = 'm.room.member'
       AND json_extract(j.json, '$.content.membership') = 'join'
     ORDER BY c.state_key`,
    roomId,
  );
  return rows.map((r) => r.state_key);
}

// --- blocked rooms

/** The room's block (and who set it), if it is blocked. */
export function getBlockedRoom(
  q: Queryable,
  roomId: string,
): Promise<{ room_id: string; user_id: string } | undefined> {
  return q.get('SELECT room_id, user_id FROM blocked_rooms WHERE room_id = ?', roomId);
}

export async function insertBlockedRoom(
  q: Queryable,
  b: { roomId: string; userId: string; ts: number },
): Promise<void> {
  await q.run(
    'INSERT OR IGNORE INTO blocked_rooms (room_id, user_id, blocked_ts) VALUES (?, ?, ?)',
    b.roomId,
    b.userId,
    b.ts,
  );
}

export async function deleteBlockedRoom(q: Queryable, roomId: string): Promise<void> {
  await q.run('DELETE FROM blocked_rooms WHERE room_id = ?', roomId);
}
