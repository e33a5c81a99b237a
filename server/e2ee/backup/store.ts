import type { Queryable } from '../../db/sql.js';

/**
 * SQL for server-side key backups (migration 0021): backup versions per user, and the
 * session keys stored in each version.
 */

export interface VersionRow {
  version: number;
  algorithm: string;
  auth_data_json: string;
  etag: number;
  deleted: number;
}

export interface SessionRow {
  room_id: string;
  session_id: string;
  first_message_index: number;
  forwarded_count: number;
  is_verified: number;
  session_data_json: string;
}

/** The session fields the replacement rule compares. */
export type SessionMeta = Pick<
  SessionRow,
  'first_message_index' | 'forwarded_count' | 'is_verified'
>;

/** The user's newest version that is not deleted (the current backup), or undefined. */
export function getCurrentVersion(q: Queryable, userId: string): Promise<VersionRow | undefined> {
  return q.get<VersionRow>(
    `SELECT version, algorithm, auth_data_json, etag, deleted FROM key_backup_versions
     WHERE user_id = ? AND deleted = 0 ORDER BY version DESC LIMIT 1`,
    userId,
  );
}

/** One version of the user's, deleted or not, or undefined when it never existed. */
export function getVersion(
  q: Queryable,
  userId: string,
  version: number,
): Promise<VersionRow | undefined> {
  return q.get<VersionRow>(
    `SELECT version, algorithm, auth_data_json, etag, deleted FROM key_backup_versions
     WHERE user_id = ? AND version = ?`,
    userId,
    version,
  );
}

/** The highest version number the user ever had (deleted ones included), 0 for none. */
export async function getMaxVersion(q: Queryable, userId: string): Promise<number> {
  const row = await q.get<{ v: number | null }>(
    'SELECT MAX(version) AS v FROM key_backup_versions WHERE user_id = ?',
    userId,
  );
  return row?.v ?? 0;
}

export async function insertVersion(
  q: Queryable,
  v: { userId: string; version: number; algorithm: string; authDataJson: string },
): Promise<void> {
  await q.run(
    `INSERT INTO key_backup_versions (user_id, version, algorithm, auth_data_json)
     VALUES (?, ?, ?, ?)`,
    v.userId,
    v.version,
    v.algorithm,
    v.authDataJson,
  );
}

export async function setAuthData(
  q: Queryable,
  userId: string,
  version: number,
  authDataJson: string,
): Promise<void> {
  await q.run(
    'UPDATE key_backup_versions SET auth_data_json = ? WHERE user_id = ? AND version = ?',
    authDataJson,
    userId,
    version,
  );
}

/** Marks a version deleted and forgets its auth data (its number stays taken). */
export async function markVersionDeleted(
  q: Queryable,
  userId: string,
  version: number,
): Promise<void> {
  await q.run(
    `UPDATE key_backup_versions SET deleted = 1, auth_data_json = '{}'
     WHERE user_id = ? AND version = ?`,
    userId,
    version,
  );
}

/** Deletes every session key of the user's backups and marks every version deleted. */
export async function deleteAllOfUser(q: Queryable, userId: string): Promise<void> {
  await q.run('DELETE FROM key_backup_sessions WHERE user_id = ?', userId);
  await q.run(
    `UPDATE key_backup_versions SET deleted = 1, auth_data_json = '{}' WHERE user_id = ?`,
    userId,
  );
}

/** Adds one to a version's etag. */
export async function bumpEtag(q: Queryable, userId: string, version: number): Promise<void> {
  await q.run(
    'UPDATE key_backup_versions SET etag = etag + 1 WHERE user_id = ? AND version = ?',
    userId,
    version,
  );
}

/** How many session keys a version holds. */
export async function countSessions(
  q: Queryable,
  userId: string,
  version: number,
): Promise<number> {
  const row = await q.get<{ n: number }>(
    'SELECT COUNT(*) AS n FROM key_backup_sessions WHERE user_id = ? AND version = ?',
    userId,
    version,
  );
  return row?.n ?? 0;
}

/**
 * The metadata of the stored keys of some sessions of one room, by session id (sessions
 * without a stored key are absent). One statement per room, whatever the number of
 * sessions: the ids go in as one JSON array.
 */
export async function getSessionMetas(
  q: Queryable,
  k: { userId: string; version: number; roomId: string; sessionIds: readonly string[] },
): Promise<Map<string, SessionMeta>> {
  const rows = await q.all<SessionMeta & { session_id: string }>(
    `SELECT s.session_id, s.first_message_index, s.forwarded_count, s.is_verified
     FROM json_each(?) AS j
     JOIN key_backup_sessions AS s
       ON s.user_id = ? AND s.version = ? AND s.room_id = ? AND s.session_id = j.value`,
    JSON.stringify(k.sessionIds),
    k.userId,
    k.version,
    k.roomId,
  );
  return new Map(rows.map((r) => [r.session_id, r]));
}

/** Stores a session key, replacing the stored one of the same session. */
export async function upsertSession(
  q: Queryable,
  s: {
    userId: string;
    version: number;
    roomId: string;
    sessionId: string;
    firstMessageIndex: number;
    forwardedCount: number;
    isVerified: boolean;
    sessionDataJson: string;
  },
): Promise<void> {
  await q.run(
    `INSERT OR REPLACE INTO key_backup_sessions (user_id, version, room_id, session_id,
       first_message_index, forwarded_count, is_verified, session_data_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    s.userId,
    s.version,
    s.roomId,
    s.sessionId,
    s.firstMessageIndex,
    s.forwardedCount,
    s.isVerified ? 1 : 0,
    s.sessionDataJson,
  );
}

/**
 * The session keys of a version: all of them, one room's (`roomId`), or one session's
 * (`roomId` and `sessionId`), ordered by room then session.
 */
export function getSessions(
  q: Queryable,
  k: { userId: string; version: number; roomId?: string; sessionId?: string },
): Promise<SessionRow[]> {
  const cols = `room_id, session_id, first_message_index, forwarded_count, is_verified,
    session_data_json`;
  if (k.roomId !== undefined && k.sessionId !== undefined) {
    return q.all<SessionRow>(
      `SELECT ${cols} FROM key_backup_sessions
       WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?`,
      k.userId,
      k.version,
      k.roomId,
      k.sessionId,
    );
  }
  if (k.roomId !== undefined) {
    return q.all<SessionRow>(
      `SELECT ${cols} FROM key_backup_sessions
       WHERE user_id = ? AND version = ? AND room_id = ? ORDER BY session_id`,
      k.userId,
      k.version,
      k.roomId,
    );
  }
  return q.all<SessionRow>(
    `SELECT ${cols} FROM key_backup_sessions
     WHERE user_id = ? AND version = ? ORDER BY room_id, session_id`,
    k.userId,
    k.version,
  );
}

/**
 * Deletes the session keys of a version: all of them, one room's, or one session's (as
 * getSessions). Returns how many were deleted.
 */
export async function deleteSessions(
  q: Queryable,
  k: { userId: string; version: number; roomId?: string; sessionId?: string },
): Promise<number> {
  if (k.roomId !== undefined && k.sessionId !== undefined) {
    const r = await q.run(
      `DELETE FROM key_backup_sessions
       WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?`,
      k.userId,
      k.version,
      k.roomId,
      k.sessionId,
    );
    return r.changes;
  }
  if (k.roomId !== undefined) {
    const r = await q.run(
      'DELETE FROM key_backup_sessions WHERE user_id = ? AND version = ? AND room_id = ?',
      k.userId,
      k.version,
      k.roomId,
    );
    return r.changes;
  }
  const r = await q.run(
    'DELETE FROM key_backup_sessions WHERE user_id = ? AND version = ?',
    k.userId,
    k.version,
  );
  return r.changes;
}

/** Deletes every user's backed-up keys of a room (room purge: its messages are gone). */
export async function deleteRoomSessions(q: Queryable, roomId: string): Promise<void> {
  await q.run('DELETE FROM key_backup_sessions WHERE room_id = ?', roomId);
}
