import { Type } from '@sinclair/typebox';
import { errors } from '../../core/errors.js';
import { route } from '../../http/route.js';
import { MAX_NOTARY_SERVERS, queryServerKeys, type NotaryCriteria } from './notary.js';
import { ownKeyResponse } from './own-keys.js';

/**
 * GET /_matrix/key/v2/server — this server's signing keys, signed (keys_server.yaml).
 * - The deprecated /_matrix/key/v2/server/{keyId} answers the same (as Synapse: the key
 *   id is ignored and every key is listed).
 * - No authentication: servers fetch it before they can check anything.
 */
export const getServerKeys = route({
  method: 'GET',
  paths: ['/_matrix/key/v2/server', '/_matrix/key/v2/server/{keyId}'],
  auth: 'none',
  handler: async (ctx) => ownKeyResponse(ctx),
});

const Timestamp = Type.String({
  pattern: '^[0-9]{1,16}$',
  description: 'a millisecond timestamp',
});

/**
 * GET /_matrix/key/v2/query/{serverName} — another server's keys, through this notary
 * (keys_query.yaml).
 * - `minimum_valid_until_ts` (default: now): a cached answer that expires earlier is
 *   re-fetched; an unreachable server is answered from the cache, or with an empty list.
 */
export const getNotaryKeys = route({
  method: 'GET',
  paths: ['/_matrix/key/v2/query/{serverName}'],
  auth: 'none',
  schema: {
    params: Type.Object({ serverName: Type.String() }),
    query: Type.Object({ minimum_valid_until_ts: Type.Optional(Timestamp) }),
  },
  handler: async (ctx, req) => {
    const min = req.query.minimum_valid_until_ts;
    const criteria: NotaryCriteria = {
      keyIds: [],
      ...(min !== undefined ? { minimumValidUntilTs: Number(min) } : {}),
    };
    return {
      server_keys: await queryServerKeys(ctx, new Map([[req.params.serverName, criteria]])),
    };
  },
});

const KeyCriteria = Type.Object({
  minimum_valid_until_ts: Type.Optional(Type.Integer({ minimum: 0 })),
});

/**
 * POST /_matrix/key/v2/query — several servers' keys, through this notary
 * (keys_query.yaml).
 * - No key ids for a server asks for all its keys; the latest minimum_valid_until_ts
 *   given for a server's keys applies to the server.
 * - At most MAX_NOTARY_SERVERS servers per request (400 M_INVALID_PARAM beyond).
 */
export const postNotaryKeys = route({
  method: 'POST',
  paths: ['/_matrix/key/v2/query'],
  auth: 'none',
  schema: {
    body: Type.Object({
      server_keys: Type.Record(Type.String(), Type.Record(Type.String(), KeyCriteria)),
    }),
  },
  handler: async (ctx, req) => {
    const servers = Object.entries(req.body.server_keys);
    if (servers.length > MAX_NOTARY_SERVERS) {
      throw errors.invalidParam(`At most ${MAX_NOTARY_SERVERS} servers may be queried at once`);
    }
    const query = new Map<string, NotaryCriteria>();
    for (const [serverName, keys] of servers) {
      const mins = Object.values(keys)
        .map((k) => k.minimum_valid_until_ts)
        .filter((t): t is number => t !== undefined);
      query.set(serverName, {
        keyIds: Object.keys(keys),
        ...(mins.length ? { minimumValidUntilTs: Math.max(...mins) } : {}),
      });
    }
    return { server_keys: await queryServerKeys(ctx, query) };
  },
});

export const keyRoutes = [getServerKeys, getNotaryKeys, postNotaryKeys];
