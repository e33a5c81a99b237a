import type { Queryable } from '../db/sql.js';

/**
 * SQL for the media repository (migration 0024): `local_media` (this server's media ids,
 * async uploads included) and `remote_media_cache` (other servers' media kept here).
 */

export interface LocalMediaRow {
  media_id: string;
  user_id: string | null;
  content_type: string | null;
  upload_name: string | null;
  media_length: number | null;
  sha256: string | null;
  created_ts: number;
  upload_ts: number | null;
  quarantined: number;
  authenticated: number;
}

const LOCAL_COLUMNS = `media_id, user_id, content_type, upload_name, media_length, sha256,
  created_ts, upload_ts, quarantined, authenticated`;

/** One local media row, or undefined. */
export function getLocalMediaRow(
  q: Queryable,
  mediaId: string,
): Promise<LocalMediaRow | undefined> {
  return q.get<LocalMediaRow>(
    `SELECT ${LOCAL_COLUMNS} FROM local_media WHERE media_id = ?`,
    mediaId,
  );
}

/** Adds a local media row (content given, or all-NULL content for an async upload). */
export async function insertLocalMedia(
  q: Queryable,
  m: {
    mediaId: string;
    userId: string | null;
    contentType: string | null;
    uploadName: string | null;
    length: number | null;
    sha256: string | null;
    createdTs: number;
    uploadTs: number | null;
    authenticated: boolean;
  },
): Promise<void> {
  await q.run(
    `INSERT INTO local_media (media_id, user_id, content_type, upload_name, media_length, sha256,
       created_ts, upload_ts, authenticated)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    m.mediaId,
    m.userId,
    m.contentType,
    m.uploadName,
    m.length,
    m.sha256,
    m.createdTs,
    m.uploadTs,
    m.authenticated ? 1 : 0,
  );
}

/**
 * Fills in the content of an async upload; false when the row is gone or already has
 * content (the caller answers 409 or 404).
 */
export async function setPendingMediaContent(
  q: Queryable,
  m: {
    mediaId: string;
    contentType: string | null;
    uploadName: string | null;
    length: number;
    sha256: string;
    uploadTs: number;
    authenticated: boolean;
  },
): Promise<boolean> {
  const r = await q.run(
    `UPDATE local_media SET content_type = ?, upload_name = ?, media_length = ?, sha256 = ?,
       upload_ts = ?, authenticated = ?
     WHERE media_id = ? AND sha256 IS NULL`,
    m.contentType,
    m.uploadName,
    m.length,
    m.sha256,
    m.uploadTs,
    m.authenticated ? 1 : 0,
    m.mediaId,
  );
  return r.changes === 1;
}

/** Bytes a user uploaded (content arrived) to media created since `sinceTs`. */
export async function getUploadedBytesSince(
  q: Queryable,
  userId: string,
  sinceTs: number,
): Promise<number> {
  const row = await q.get<{ total: number | null }>(
    `SELECT SUM(media_length) AS total FROM local_media WHERE user_id = ? AND created_ts >= ?`,
    userId,
    sinceTs,
  );
  return row?.total ?? 0;
}

/** How many of a user's async uploads have no content yet and were created since `sinceTs`. */
export async function countPendingUploads(
  q: Queryable,
  userId: string,
  sinceTs: number,
): Promise<number> {
  const row = await q.get<{ n: number }>(
    `SELECT COUNT(*) AS n FROM local_media
     WHERE user_id = ? AND created_ts >= ? AND sha256 IS NULL`,
    userId,
    sinceTs,
  );
  return row?.n ?? 0;
}

/** The creation time of the oldest of those pending uploads (for retry_after_ms). */
export async function getOldestPendingUploadTs(
  q: Queryable,
  userId: string,
  sinceTs: number,
): Promise<number | null> {
  const row = await q.get<{ ts: number | null }>(
    `SELECT MIN(created_ts) AS ts FROM local_media
     WHERE user_id = ? AND created_ts >= ? AND sha256 IS NULL`,
    userId,
    sinceTs,
  );
  return row?.ts ?? null;
}

/** Sets or clears the quarantine flag of a local media id; false when there is no such id. */
export async function setLocalMediaQuarantined(
  q: Queryable,
  mediaId: string,
  quarantined: boolean,
): Promise<boolean> {
  const r = await q.run(
    'UPDATE local_media SET quarantined = ? WHERE media_id = ?',
    quarantined ? 1 : 0,
    mediaId,
  );
  return r.changes === 1;
}

/** Removes a local media row; false when there was none. */
export async function deleteLocalMediaRow(q: Queryable, mediaId: string): Promise<boolean> {
  const r = await q.run('DELETE FROM local_media WHERE media_id = ?', mediaId);
  return r.changes === 1;
}

/** Whether any local or cached remote media row still uses content `sha256`. */
export async function isContentInUse(q: Queryable, sha256: string): Promise<boolean> {
  const row = await q.get<{ used: number }>(
    `SELECT EXISTS (SELECT 1 FROM local_media WHERE sha256 = ?)
        OR EXISTS (SELECT 1 FROM remote_media_cache WHERE sha256 = ?) AS used`,
    sha256,
    sha256,
  );
  return row?.used === 1;
}

/** Adds or replaces a cached remote media row. */
export async function upsertRemoteMedia(
  q: Queryable,
  m: {
    origin: string;
    mediaId: string;
    contentType: string | null;
    uploadName: string | null;
    length: number;
    sha256: string;
    ts: number;
    authenticated: boolean;
  },
): Promise<void> {
  await q.run(
    `INSERT OR REPLACE INTO remote_media_cache (media_origin, media_id, content_type, upload_name,
       media_length, sha256, created_ts, last_access_ts, authenticated)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    m.origin,
    m.mediaId,
    m.contentType,
    m.uploadName,
    m.length,
    m.sha256,
    m.ts,
    m.ts,
    m.authenticated ? 1 : 0,
  );
}

/** Cached remote media not accessed since `beforeTs` (the oldest first). */
export function getRemoteMediaAccessedBefore(
  q: Queryable,
  beforeTs: number,
): Promise<{ media_origin: string; media_id: string; sha256: string }[]> {
  return q.all(
    `SELECT media_origin, media_id, sha256 FROM remote_media_cache
     WHERE last_access_ts < ? ORDER BY last_access_ts`,
    beforeTs,
  );
}

/** Removes one cached remote media row. */
export async function deleteRemoteMediaRow(
  q: Queryable,
  origin: string,
  mediaId: string,
): Promise<void> {
  await q.run(
    'DELETE FROM remote_media_cache WHERE media_origin = ? AND media_id = ?',
    origin,
    mediaId,
  );
}

/** Sets or clears the quarantine flag of cached remote media; false when it is not cached. */
export async function setRemoteMediaQuarantined(
  q: Queryable,
  origin: string,
  mediaId: string,
  quarantined: boolean,
): Promise<boolean> {
  const r = await q.run(
    'UPDATE remote_media_cache SET quarantined = ? WHERE media_origin = ? AND media_id = ?',
    quarantined ? 1 : 0,
    origin,
    mediaId,
  );
  return r.changes === 1;
}
