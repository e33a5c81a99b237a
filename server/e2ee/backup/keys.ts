import type { Requester } from '../../accounts/requester.js';
import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import { checkSessionData } from './algorithms.js';
import { shouldReplaceKey } from './replace.js';
import * as store from './store.js';
import { assertNotGuest, parseVersion, unknownVersion } from './versions.js';

/**
 * The session keys of a backup (client-server API, "Server-side key backups": PUT, GET and
 * DELETE /room_keys/keys at three levels: every room, one room, one session). Each request
 * is one writer unit: an upload of thousands of sessions is checked whole before anything
 * is written, and is stored, or refused, whole.
 */

/** KeyBackupData, as the wire carries it. */
export interface KeyBackupData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: Record<string, unknown>;
}

/** RoomKeyBackup: one room's keys, as the wire carries them. */
export interface RoomKeyBackup {
  sessions: Record<string, KeyBackupData>;
}

/** room id -> session id -> key data. */
export type KeysByRoom = Record<string, Record<string, KeyBackupData>>;

/** What changes of keys answer: the version's new etag and key count. */
export interface KeysUpdate {
  etag: string;
  count: number;
}

/** Which keys a GET or DELETE addresses: every room, one room, or one session. */
export interface KeysScope {
  version: string;
  roomId?: string;
  sessionId?: string;
}

/**
 * PUT /room_keys/keys[/{roomId}[/{sessionId}]]: stores each uploaded key unless the stored
 * key of its session is better by the spec's rule (./replace.ts). Keys go only to the
 * current backup. The etag moves when any key was stored.
 * @throws MatrixError 404 M_NOT_FOUND when the user has no backup; 403
 * M_WRONG_ROOM_KEYS_VERSION (with `current_version`) when `version` is not the current
 * backup; 400 M_BAD_JSON for session_data the backup's algorithm cannot hold.
 */
export async function putBackupKeys(
  ctx: Ctx,
  requester: Requester,
  a: { version: string; rooms: KeysByRoom },
): Promise<KeysUpdate> {
  assertNotGuest(requester);
  const userId = requester.userId;
  const wanted = parseVersion(a.version);
  return ctx.writer.transaction('put_backup_keys', async (tx) => {
    const current = await store.getCurrentVersion(tx, userId);
    if (!current) throw errors.notFound('No current backup version');
    if (wanted !== current.version) throw wrongVersion(current.version);
    // Every key is checked before the first is written.
    for (const [roomId, sessions] of Object.entries(a.rooms)) {
      if (!isRoomId(roomId)) throw errors.badJson(`Not a room id: ${roomId}`);
      for (const [sessionId, key] of Object.entries(sessions)) {
        if (!isSessionId(sessionId)) throw errors.badJson(`Bad session id in ${roomId}`);
        checkSessionData(current.algorithm, key.session_data, `${roomId} / ${sessionId}`);
      }
    }
    const version = current.version;
    let stored = 0;
    for (const [roomId, sessions] of Object.entries(a.rooms)) {
      const sessionIds = Object.keys(sessions);
      const held = await store.getSessionMetas(tx, { userId, version, roomId, sessionIds });
      for (const [sessionId, key] of Object.entries(sessions)) {
        const at = { userId, version, roomId, sessionId };
        const old = held.get(sessionId);
        const uploaded = {
          isVerified: key.is_verified,
          firstMessageIndex: key.first_message_index,
          forwardedCount: key.forwarded_count,
        };
        if (!shouldReplaceKey(old && rankOf(old), uploaded)) continue;
        await store.upsertSession(tx, {
          ...at,
          ...uploaded,
          sessionDataJson: JSON.stringify(key.session_data),
        });
        stored++;
      }
    }
    if (stored) await store.bumpEtag(tx, userId, version);
    return {
      etag: String(current.etag + (stored ? 1 : 0)),
      count: await store.countSessions(tx, userId, version),
    };
  });
}

/**
 * GET /room_keys/keys[/{roomId}[/{sessionId}]]: `{ rooms: { id: { sessions } } }` for every
 * room, `{ sessions }` for one room (empty when it has none), or one session's key data.
 * Any version of the user's that is not deleted can be read.
 * @throws MatrixError 404 M_NOT_FOUND for no such version, or no key for the session.
 */
export async function getBackupKeys(
  ctx: Ctx,
  requester: Requester,
  a: KeysScope,
): Promise<{ rooms: Record<string, RoomKeyBackup> } | RoomKeyBackup | KeyBackupData> {
  assertNotGuest(requester);
  const userId = requester.userId;
  const version = parseVersion(a.version);
  const row = version === null ? undefined : await store.getVersion(ctx.db, userId, version);
  if (!row || row.deleted) throw unknownVersion();
  const rows = await store.getSessions(ctx.db, { ...a, userId, version: row.version });
  if (a.sessionId !== undefined) {
    if (!rows[0]) throw errors.notFound('Key not found');
    return keyDataOf(rows[0]);
  }
  const rooms: Record<string, RoomKeyBackup> = {};
  for (const r of rows) {
    const room = (rooms[r.room_id] ??= { sessions: {} });
    room.sessions[r.session_id] = keyDataOf(r);
  }
  if (a.roomId !== undefined) return rooms[a.roomId] ?? { sessions: {} };
  return { rooms };
}

/**
 * DELETE /room_keys/keys[/{roomId}[/{sessionId}]]: deletes the keys in scope from any
 * version of the user's that is not deleted. The etag moves when a key was deleted.
 * @throws MatrixError 404 M_NOT_FOUND for no such version.
 */
export async function deleteBackupKeys(
  ctx: Ctx,
  requester: Requester,
  a: KeysScope,
): Promise<KeysUpdate> {
  assertNotGuest(requester);
  const userId = requester.userId;
  const version = parseVersion(a.version);
  if (version === null) throw unknownVersion();
  return ctx.writer.transaction('delete_backup_keys', async (tx) => {
    const row = await store.getVersion(tx, userId, version);
    if (!row || row.deleted) throw unknownVersion();
    const deleted = await store.deleteSessions(tx, { ...a, userId, version });
    if (deleted) await store.bumpEtag(tx, userId, version);
    return {
      etag: String(row.etag + (deleted ? 1 : 0)),
      count: await store.countSessions(tx, userId, version),
    };
  });
}

/** Ids are at most 255 bytes (spec: appendices, "Identifier Grammar"). */
const MAX_ID_BYTES = 255;

/** A room id: `!` then an opaque part (room version 12 ids have no server name). */
export function isRoomId(id: string): boolean {
  return id.length > 1 && id.startsWith('!') && Buffer.byteLength(id) <= MAX_ID_BYTES;
}

/** A megolm session id (unpadded base64 of a key in practice; opaque to the server). */
export function isSessionId(id: string): boolean {
  return id.length > 0 && Buffer.byteLength(id) <= MAX_ID_BYTES;
}

function wrongVersion(current: number): MatrixError {
  return new MatrixError('M_WRONG_ROOM_KEYS_VERSION', 'Wrong backup version', 403, {
    current_version: String(current),
  });
}

function rankOf(m: store.SessionMeta) {
  return {
    isVerified: m.is_verified === 1,
    firstMessageIndex: m.first_message_index,
    forwardedCount: m.forwarded_count,
  };
}

function keyDataOf(r: store.SessionRow): KeyBackupData {
  return {
    first_message_index: r.first_message_index,
    forwarded_count: r.forwarded_count,
    is_verified: r.is_verified === 1,
    session_data: JSON.parse(r.session_data_json) as Record<string, unknown>,
  };
}
