import type { Queryable, SqlValue } from '../db/sql.js';

/** SQL of the admin API's media views: a user's uploads, and usage per user. */

export interface UserMediaRow {
  media_id: string;
  content_type: string | null;
  media_length: number | null;
  upload_name: string | null;
  created_ts: number;
  quarantined: number;
}

/** Sort keys of a user's media (Synapse's order_by values). */
export const USER_MEDIA_ORDER: Record<string, string> = {
  media_id: 'media_id',
  upload_name: 'upload_name',
  created_ts: 'created_ts',
  last_access_ts: 'created_ts',
  media_length: 'media_length',
  media_type: 'content_type',
  quarantined_by: 'quarantined',
  safe_from_quarantine: 'media_id',
};

/** One page of a user's uploads, sorted by `orderBy` (a USER_MEDIA_ORDER key) then id. */
export function listUserMedia(
  q: Queryable,
  userId: string,
  p: { orderBy: string; dir: 'f' | 'b'; from: number; limit: number },
): Promise<UserMediaRow[]> {
  const dir = p.dir === 'b' ? 'DESC' : 'ASC';
  return q.all<UserMediaRow>(
    `SELECT media_id, content_type, media_length, upload_name, created_ts, quarantined
     FROM local_media WHERE user_id = ?
     ORDER BY ${USER_MEDIA_ORDER[p.orderBy] ?? 'created_ts'} ${dir}, media_id ${dir} LIMIT ? OFFSET ?`,
    userId,
    p.limit,
    p.from,
  );
}

/** How many media ids the user uploaded. */
export async function countUserMedia(q: Queryable, userId: string): Promise<number> {
  const row = await q.get<{ n: number }>(
    'SELECT count(*) AS n FROM local_media WHERE user_id = ?',
    userId,
  );
  return row?.n ?? 0;
}

export interface MediaUsageRow {
  user_id: string;
  displayname: string | null;
  media_count: number;
  media_length: number;
}

export const USAGE_ORDER: Record<string, string> = {
  user_id: 'user_id',
  displayname: 'displayname',
  media_length: 'media_length',
  media_count: 'media_count',
};

export interface UsageFilter {
  fromTs?: number | undefined;
  untilTs?: number | undefined;
  /** User id or display name contains. */
  searchTerm?: string | undefined;
}

function usageQuery(f: UsageFilter): { sql: string; args: SqlValue[] } {
  const conds = ['m.user_id IS NOT NULL'];
  const args: SqlValue[] = [];
  if (f.fromTs !== undefined) {
    conds.push('m.created_ts >= ?');
    args.push(f.fromTs);
  }
  if (f.untilTs !== undefined) {
    conds.push('m.created_ts <= ?');
    args.push(f.untilTs);
  }
  let sql = `SELECT m.user_id, count(*) AS media_count, coalesce(sum(m.media_length), 0) AS media_length,
      (SELECT json_extract(value_json, '$') FROM profiles p
        WHERE p.user_id = m.user_id AND p.field = 'displayname') AS displayname
    FROM local_media m WHERE ${conds.join(' AND ')} GROUP BY m.user_id`;
  if (f.searchTerm !== undefined) {
    const like = `%${f.searchTerm.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    sql = `SELECT * FROM (${sql}) WHERE user_id LIKE ? ESCAPE '\\' OR coalesce(displayname, '') LIKE ? ESCAPE '\\'`;
    args.push(like, like);
  }
  return { sql, args };
}

/** One page of upload counts and bytes per user, sorted by `orderBy` (a USAGE_ORDER key). */
export function listMediaUsage(
  q: Queryable,
  f: UsageFilter,
  p: { orderBy: string; dir: 'f' | 'b'; from: number; limit: number },
): Promise<MediaUsageRow[]> {
  const u = usageQuery(f);
  const dir = p.dir === 'b' ? 'DESC' : 'ASC';
  return q.all<MediaUsageRow>(
    `SELECT * FROM (${u.sql}) ORDER BY ${USAGE_ORDER[p.orderBy] ?? 'user_id'} ${dir}, user_id ${dir}
     LIMIT ? OFFSET ?`,
    ...u.args,
    p.limit,
    p.from,
  );
}

/** How many users uploaded media matching `f`. */
export async function countMediaUsers(q: Queryable, f: UsageFilter): Promise<number> {
  const u = usageQuery(f);
  const row = await q.get<{ n: number }>(`SELECT count(*) AS n FROM (${u.sql})`, ...u.args);
  return row?.n ?? 0;
}

/** The content URLs (mxc://) in a room's events (messages, state, stickers, avatars). */
export async function listRoomMediaUrls(q: Queryable, roomId: string): Promise<string[]> {
  const rows = await q.all<{ url: string }>(
    `SELECT DISTINCT t.value AS url
     FROM events e JOIN event_json j ON j.stream_ordering = e.stream_ordering, json_tree(j.json, '$.content') t
     WHERE e.room_id = ? AND t.type = 'text' AND t.value LIKE 'mxc://%'
       AND t.key IN ('url', 'thumbnail_url', 'avatar_url')`,
    roomId,
  );
  return rows.map((r) => r.url);
}
