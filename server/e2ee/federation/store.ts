import type { Queryable, Tx } from '../../db/sql.js';

/** The device-list stream ids of local users as other servers see them (migration 0019). */

/** The stream id of the user's newest device-list update; 0 before the first. */
export async function getDeviceListStreamId(q: Queryable, userId: string): Promise<number> {
  const row = await q.get<{ stream_id: number }>(
    'SELECT stream_id FROM device_list_outbound_streams WHERE user_id = ?',
    userId,
  );
  return row?.stream_id ?? 0;
}

/**
 * Takes the next `count` stream ids of the user in the writer unit `tx`; resolves with the
 * id before the first of them (0 before the user's first update).
 */
export async function takeDeviceListStreamIds(
  tx: Tx,
  userId: string,
  count: number,
): Promise<number> {
  const row = await tx.get<{ stream_id: number }>(
    `INSERT INTO device_list_outbound_streams (user_id, stream_id) VALUES (?, ?)
     ON CONFLICT (user_id) DO UPDATE SET stream_id = stream_id + excluded.stream_id
     RETURNING stream_id`,
    userId,
    count,
  );
  return row!.stream_id - count;
}

// --- who shares a room with this server's users (read from the rooms' current state)

const JOINED = "json_extract(j.json, '$.content.membership') = 'join'";

/**
 * Whether `userId` is joined (current state) to a room that a user of `ourServer` is joined
 * to: the user's server then sends this one their device-list updates. A room all of this
 * server's users left keeps its last current state here, so the user's own join is not
 * enough. On current_state_members_by_user (migration 0012) and the primary key.
 */
export async function isJoinedWithUserOf(
  q: Queryable,
  userId: string,
  ourServer: string,
): Promise<boolean> {
  const row = await q.get<{ one: number }>(
    `SELECT 1 AS one FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
     WHERE c.type = 'm.room.member' AND c.state_key = ? AND ${JOINED}
       AND EXISTS (
         SELECT 1 FROM current_state l JOIN event_json_by_id lj ON lj.event_id = l.event_id
         WHERE l.room_id = c.room_id AND l.type = 'm.room.member'
           AND substr(l.state_key, instr(l.state_key, ':') + 1) = ?
           AND json_extract(lj.json, '$.content.membership') = 'join')
     LIMIT 1`,
    userId,
    ourServer,
  );
  return row !== undefined;
}

/** The members of the room joined (current state), of `server` or (`others`) of any other. */
export async function listJoinedMembersOfServer(
  q: Queryable,
  roomId: string,
  server: string,
  others: boolean,
): Promise<string[]> {
  const rows = await q.all<{ user_id: string }>(
    `SELECT c.state_key AS user_id FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
     WHERE c.room_id = ? AND c.type = 'm.room.member' AND ${JOINED}
       AND (substr(c.state_key, instr(c.state_key, ':') + 1) = ?) != ?`,
    roomId,
    server,
    others ? 1 : 0,
  );
  return rows.map((r) => r.user_id);
}

/**
 * The servers, other than `ourServer`, with a member joined to a room other than `roomId`
 * that `userId` is joined to: those already hear of the user's device-list changes.
 */
export async function listServersSharingOtherRooms(
  q: Queryable,
  userId: string,
  roomId: string,
  ourServer: string,
): Promise<Set<string>> {
  const rows = await q.all<{ server: string }>(
    `SELECT DISTINCT substr(o.state_key, instr(o.state_key, ':') + 1) AS server
     FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
     JOIN current_state o ON o.room_id = c.room_id AND o.type = 'm.room.member'
     JOIN event_json_by_id oj ON oj.event_id = o.event_id
     WHERE c.type = 'm.room.member' AND c.state_key = ? AND c.room_id != ? AND ${JOINED}
       AND json_extract(oj.json, '$.content.membership') = 'join'
       AND substr(o.state_key, instr(o.state_key, ':') + 1) != ?`,
    userId,
    roomId,
    ourServer,
  );
  return new Set(rows.map((r) => r.server));
}
