import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { deleteBackupKeys, getBackupKeys, putBackupKeys } from './keys.js';
import {
  createBackupVersion,
  deleteBackupVersion,
  getBackupVersion,
  updateBackupVersion,
} from './versions.js';

/** Server-side key backups (spec: data/api/client-server/key_backup.yaml). */

const V3 = '/_matrix/client/v3';
const JsonObject = Type.Record(Type.String(), Type.Unknown());
/** KeyBackupData (spec: definitions/key_backup_data.yaml); other fields are ignored. */
/** Integers as canonical JSON allows them (spec appendices: at most 2^53 - 1). */
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const KeyBackupData = Type.Object({
  first_message_index: Count,
  forwarded_count: Count,
  is_verified: Type.Boolean(),
  session_data: JsonObject,
});
/** RoomKeyBackup (spec: definitions/room_key_backup.yaml). */
const RoomKeyBackup = Type.Object({ sessions: Type.Record(Type.String(), KeyBackupData) });
const VersionParams = Type.Object({ version: Type.String() });
/** ?version= is required on every /room_keys/keys request. */
const VersionQuery = Type.Object({ version: Type.String() });
const RoomId = Type.String({ pattern: '^!.', maxLength: 255 });
const SessionId = Type.String({ minLength: 1, maxLength: 255 });
const RoomParams = Type.Object({ roomId: RoomId });
const SessionParams = Type.Object({ roomId: RoomId, sessionId: SessionId });
/** Uploads of a whole backup (a new device backing up what it imported) can be large. */
const KEYS_BODY_LIMIT = 8 * 1024 * 1024;

/** POST /_matrix/client/v3/room_keys/version — create a backup; it becomes the current one. */
const postVersion = route({
  method: 'POST',
  paths: [`${V3}/room_keys/version`],
  auth: 'required',
  schema: {
    body: Type.Object({ algorithm: Type.String({ minLength: 1 }), auth_data: JsonObject }),
  },
  handler: (ctx, req) =>
    createBackupVersion(ctx, req.requester, {
      algorithm: req.body.algorithm,
      authData: req.body.auth_data,
    }),
});

/** GET /_matrix/client/v3/room_keys/version — the current backup; 404 M_NOT_FOUND for none. */
const getCurrentVersion = route({
  method: 'GET',
  paths: [`${V3}/room_keys/version`],
  auth: 'required',
  handler: (ctx, req) => getBackupVersion(ctx, req.requester, undefined),
});

/** GET /_matrix/client/v3/room_keys/version/{version} — one backup; 404 for deleted ones. */
const getVersion = route({
  method: 'GET',
  paths: [`${V3}/room_keys/version/{version}`],
  auth: 'required',
  schema: { params: VersionParams },
  handler: (ctx, req) => getBackupVersion(ctx, req.requester, req.params.version),
});

/**
 * PUT /_matrix/client/v3/room_keys/version/{version} — replace a backup's auth_data.
 * - `algorithm` must be the backup's and a body `version` the path's: 400 M_INVALID_PARAM.
 */
const putVersion = route({
  method: 'PUT',
  paths: [`${V3}/room_keys/version/{version}`],
  auth: 'required',
  schema: {
    params: VersionParams,
    body: Type.Object({
      algorithm: Type.String(),
      auth_data: JsonObject,
      version: Type.Optional(Type.String()),
    }),
  },
  handler: (ctx, req) =>
    updateBackupVersion(ctx, req.requester, {
      version: req.params.version,
      bodyVersion: req.body.version,
      algorithm: req.body.algorithm,
      authData: req.body.auth_data,
    }),
});

/**
 * DELETE /_matrix/client/v3/room_keys/version/{version} — delete a backup and its keys.
 * - A version deleted before: 200; one that never existed: 404 M_NOT_FOUND.
 */
const deleteVersion = route({
  method: 'DELETE',
  paths: [`${V3}/room_keys/version/{version}`],
  auth: 'required',
  schema: { params: VersionParams },
  handler: (ctx, req) => deleteBackupVersion(ctx, req.requester, req.params.version),
});

/**
 * PUT /_matrix/client/v3/room_keys/keys — store keys of any rooms in the current backup.
 * - 403 M_WRONG_ROOM_KEYS_VERSION (with current_version) for another version.
 */
const putAllKeys = route({
  method: 'PUT',
  paths: [`${V3}/room_keys/keys`],
  auth: 'required',
  bodyLimit: KEYS_BODY_LIMIT,
  schema: {
    query: VersionQuery,
    body: Type.Object({ rooms: Type.Record(Type.String(), RoomKeyBackup) }),
  },
  handler: (ctx, req) => {
    const rooms = Object.fromEntries(
      Object.entries(req.body.rooms).map(([roomId, r]) => [roomId, r.sessions]),
    );
    return putBackupKeys(ctx, req.requester, { version: req.query.version, rooms });
  },
});

/** PUT /_matrix/client/v3/room_keys/keys/{roomId} — store keys of one room. */
const putRoomKeys = route({
  method: 'PUT',
  paths: [`${V3}/room_keys/keys/{roomId}`],
  auth: 'required',
  bodyLimit: KEYS_BODY_LIMIT,
  schema: { params: RoomParams, query: VersionQuery, body: RoomKeyBackup },
  handler: (ctx, req) =>
    putBackupKeys(ctx, req.requester, {
      version: req.query.version,
      rooms: { [req.params.roomId]: req.body.sessions },
    }),
});

/** PUT /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId} — store one session's key. */
const putSessionKey = route({
  method: 'PUT',
  paths: [`${V3}/room_keys/keys/{roomId}/{sessionId}`],
  auth: 'required',
  schema: { params: SessionParams, query: VersionQuery, body: KeyBackupData },
  handler: (ctx, req) =>
    putBackupKeys(ctx, req.requester, {
      version: req.query.version,
      rooms: { [req.params.roomId]: { [req.params.sessionId]: req.body } },
    }),
});

/** GET /_matrix/client/v3/room_keys/keys — every key of a backup, `{ rooms }`. */
const getAllKeys = route({
  method: 'GET',
  paths: [`${V3}/room_keys/keys`],
  auth: 'required',
  schema: { query: VersionQuery },
  handler: (ctx, req) => getBackupKeys(ctx, req.requester, { version: req.query.version }),
});

/** GET /_matrix/client/v3/room_keys/keys/{roomId} — one room's keys, `{ sessions }` (maybe empty). */
const getRoomKeys = route({
  method: 'GET',
  paths: [`${V3}/room_keys/keys/{roomId}`],
  auth: 'required',
  schema: { params: RoomParams, query: VersionQuery },
  handler: (ctx, req) =>
    getBackupKeys(ctx, req.requester, { version: req.query.version, ...req.params }),
});

/** GET /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId} — one key; 404 when absent. */
const getSessionKey = route({
  method: 'GET',
  paths: [`${V3}/room_keys/keys/{roomId}/{sessionId}`],
  auth: 'required',
  schema: { params: SessionParams, query: VersionQuery },
  handler: (ctx, req) =>
    getBackupKeys(ctx, req.requester, { version: req.query.version, ...req.params }),
});

/** DELETE /_matrix/client/v3/room_keys/keys — delete every key of a backup. */
const deleteAllKeys = route({
  method: 'DELETE',
  paths: [`${V3}/room_keys/keys`],
  auth: 'required',
  schema: { query: VersionQuery },
  handler: (ctx, req) => deleteBackupKeys(ctx, req.requester, { version: req.query.version }),
});

/** DELETE /_matrix/client/v3/room_keys/keys/{roomId} — delete one room's keys. */
const deleteRoomKeys = route({
  method: 'DELETE',
  paths: [`${V3}/room_keys/keys/{roomId}`],
  auth: 'required',
  schema: { params: RoomParams, query: VersionQuery },
  handler: (ctx, req) =>
    deleteBackupKeys(ctx, req.requester, { version: req.query.version, ...req.params }),
});

/** DELETE /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId} — delete one key. */
const deleteSessionKey = route({
  method: 'DELETE',
  paths: [`${V3}/room_keys/keys/{roomId}/{sessionId}`],
  auth: 'required',
  schema: { params: SessionParams, query: VersionQuery },
  handler: (ctx, req) =>
    deleteBackupKeys(ctx, req.requester, { version: req.query.version, ...req.params }),
});

export const keyBackupRoutes = [
  postVersion,
  getCurrentVersion,
  getVersion,
  putVersion,
  deleteVersion,
  putAllKeys,
  putRoomKeys,
  putSessionKey,
  getAllKeys,
  getRoomKeys,
  getSessionKey,
  deleteAllKeys,
  deleteRoomKeys,
  deleteSessionKey,
];
