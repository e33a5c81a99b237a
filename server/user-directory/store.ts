import type { Queryable } from '../db/sql.js';

/**
 * SQL for the user directory: local accounts with their global profile, read from
 * `users`, `profiles` and the rooms' current state (all read-only here). No table of its
 * own: at a personal server's scale the current membership is small enough to read per
 * search, and it is never stale.
 */

/** A local account the directory may list, with its global display name and avatar. */
export interface DirectoryUser {
  user_id: string;
  displayname: string | null;
  avatar_url: string | null;
}

const PROFILE = `SELECT u.user_id,
    json_extract(dn.value_json, '$') AS displayname, json_extract(av.value_json, '$') AS avatar_url
  FROM users u
  LEFT JOIN profiles dn ON dn.user_id = u.user_id AND dn.field = 'displayname'
  LEFT JOIN profiles av ON av.user_id = u.user_id AND av.field = 'avatar_url'
  WHERE u.deactivated = 0 AND coalesce(u.user_type, '') <> 'support'`;

/** Every active local account (`search_all_users`). */
export function getAllDirectoryUsers(q: Queryable): Promise<DirectoryUser[]> {
  return q.all<DirectoryUser>(PROFILE);
}

/**
 * The active local accounts `userId` may find (users.yaml): those joined to a room
 * `userId` is joined to, and those joined to a room whose join rule is public or whose
 * history is world_readable. One query.
 */
export function getVisibleDirectoryUsers(q: Queryable, userId: string): Promise<DirectoryUser[]> {
  return q.all<DirectoryUser>(
    `WITH joined AS (
       SELECT c.room_id, c.state_key AS user_id FROM current_state c
       JOIN event_json_by_id j ON j.event_id = c.event_id
       WHERE c.type = 'm.room.member' AND json_extract(j.json, '$.content.membership') = 'join'
     ),
     open_rooms AS (
       SELECT c.room_id FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
       WHERE c.state_key = '' AND (
         (c.type = 'm.room.join_rules' AND json_extract(j.json, '$.content.join_rule') = 'public')
         OR (c.type = 'm.room.history_visibility'
             AND json_extract(j.json, '$.content.history_visibility') = 'world_readable'))
     ),
     visible AS (
       SELECT user_id FROM joined
       WHERE room_id IN (SELECT room_id FROM joined WHERE user_id = ?)
          OR room_id IN (SELECT room_id FROM open_rooms)
     )
     ${PROFILE} AND u.user_id IN (SELECT user_id FROM visible)`,
    userId,
  );
}
