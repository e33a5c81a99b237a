import { Type } from '@sinclair/typebox';
import { claimKeysForServer, queryKeysForServer } from '../../e2ee/federation/serve-keys.js';
import { route } from '../../http/route.js';

/**
 * Another server asking for this server's users' keys (server-server "End-to-End
 * Encryption", user_keys.yaml), to answer its own users' /keys/query and /keys/claim.
 * X-Matrix signed; the users named must be local (400 M_INVALID_PARAM otherwise).
 */

const V1 = '/_matrix/federation/v1';

/**
 * POST /_matrix/federation/v1/user/keys/query — device, master and self-signing keys.
 * - `device_keys`: user id -> device ids, an empty list for every device.
 */
export const postUserKeysQuery = route({
  method: 'POST',
  paths: [`${V1}/user/keys/query`],
  auth: 'federation',
  schema: {
    body: Type.Object({
      device_keys: Type.Record(Type.String(), Type.Array(Type.String())),
    }),
  },
  handler: (ctx, req) => queryKeysForServer(ctx, req.body.device_keys),
});

/**
 * POST /_matrix/federation/v1/user/keys/claim — one key per device asked.
 * - `one_time_keys`: user id -> device id -> algorithm; each one-time key is handed out once.
 */
export const postUserKeysClaim = route({
  method: 'POST',
  paths: [`${V1}/user/keys/claim`],
  auth: 'federation',
  schema: {
    body: Type.Object({
      one_time_keys: Type.Record(Type.String(), Type.Record(Type.String(), Type.String())),
    }),
  },
  handler: (ctx, req) => claimKeysForServer(ctx, req.body.one_time_keys),
});

export const userKeysRoutes = [postUserKeysQuery, postUserKeysClaim];
