import type { Queryable } from '../db/sql.js';

/** SQL of the server's figures (GET /_hearth/admin/v1/status). */

export interface ServerContents {
  /** Active (not deactivated) accounts. */
  users: number;
  rooms: number;
  events: number;
  /** Bytes of distinct content files of local and cached remote media. */
  mediaBytes: number;
}

/** Counts of accounts, rooms and events, and the bytes of stored media content. */
export async function countServerContents(q: Queryable): Promise<ServerContents> {
  const row = await q.get<{ users: number; rooms: number; events: number; media: number }>(
    `SELECT
       (SELECT count(*) FROM users WHERE deactivated = 0) AS users,
       (SELECT count(*) FROM rooms) AS rooms,
       (SELECT count(*) FROM events WHERE room_id <> '') AS events,
       (SELECT coalesce(sum(len), 0) FROM (
          SELECT sha256, max(media_length) AS len FROM (
            SELECT sha256, media_length FROM local_media WHERE sha256 IS NOT NULL
            UNION ALL SELECT sha256, media_length FROM remote_media_cache)
          GROUP BY sha256)) AS media`,
  );
  return {
    users: row?.users ?? 0,
    rooms: row?.rooms ?? 0,
    events: row?.events ?? 0,
    mediaBytes: row?.media ?? 0,
  };
}
