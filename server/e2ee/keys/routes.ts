import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { keysChanges } from './changes.js';
import { claimKeys } from './claim.js';
import { queryKeys } from './query.js';
import { uploadKeys } from './upload.js';

/** The timeout a client may give for other servers (ms); the domain bounds it. */
const Timeout = Type.Optional(Type.Integer({ minimum: 0 }));

/**
 * POST /_matrix/client/v3/keys/upload — publish the device's identity, one-time and fallback
 * keys; answers one_time_key_counts.
 * - The three fields are checked in the domain (validate-upload.ts: shapes are M_BAD_JSON,
 *   another user's or device's keys and bad self-signatures M_INVALID_PARAM), where the
 *   spec's rules live, rather than half here.
 */
export const postKeysUpload = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/keys/upload'],
  auth: 'required',
  schema: {
    body: Type.Object({
      device_keys: Type.Optional(Type.Unknown()),
      one_time_keys: Type.Optional(Type.Unknown()),
      fallback_keys: Type.Optional(Type.Unknown()),
    }),
  },
  handler: (ctx, req) => uploadKeys(ctx, req.requester, req.body),
});

/**
 * POST /_matrix/client/v3/keys/query — devices and keys of users, local and remote.
 * - `device_keys` maps user ids to device id lists (empty: all devices); `timeout` (ms,
 *   default 10 s) bounds the wait for other servers, which are listed under `failures`.
 */
export const postKeysQuery = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/keys/query'],
  auth: 'required',
  schema: {
    body: Type.Object({
      device_keys: Type.Record(Type.String(), Type.Array(Type.String())),
      timeout: Timeout,
    }),
  },
  handler: (ctx, req) =>
    queryKeys(ctx, req.requester, { deviceKeys: req.body.device_keys, timeout: req.body.timeout }),
});

/**
 * POST /_matrix/client/v3/keys/claim — one key per device asked for: a one-time key, handed
 * out once, or the device's fallback key when none is left.
 */
export const postKeysClaim = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/keys/claim'],
  auth: 'required',
  schema: {
    body: Type.Object({
      one_time_keys: Type.Record(Type.String(), Type.Record(Type.String(), Type.String())),
      timeout: Timeout,
    }),
  },
  handler: (ctx, req) =>
    claimKeys(ctx, { oneTimeKeys: req.body.one_time_keys, timeout: req.body.timeout }),
});

/**
 * GET /_matrix/client/v3/keys/changes — users whose device lists changed between two /sync
 * tokens (`from`, `to`), and users no longer sharing a room.
 */
export const getKeysChanges = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/keys/changes'],
  auth: 'required',
  schema: { query: Type.Object({ from: Type.String(), to: Type.String() }) },
  handler: (ctx, req) => keysChanges(ctx, req.requester, req.query),
});

export const e2eeKeysRoutes = [postKeysUpload, postKeysQuery, postKeysClaim, getKeysChanges];
