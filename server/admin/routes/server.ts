import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { intParam } from '../paging.js';
import { logTail, serverStatus, serverVersion } from '../server-status.js';

/** The server's version (Synapse's path) and Hearth's own status and log tail. */

/** GET /_synapse/admin/v1/server_version */
export const getServerVersion = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/server_version'],
  auth: 'admin',
  handler: async () => ({ server_version: serverVersion() }),
});

/** GET /_hearth/admin/v1/status — uptime, memory, database and media size, counts. */
export const getStatus = route({
  method: 'GET',
  paths: ['/_hearth/admin/v1/status'],
  auth: 'admin',
  handler: (ctx) => serverStatus(ctx),
});

/** GET /_hearth/admin/v1/logs?limit=N — the newest N log lines (at most 1000), oldest first. */
export const getLogs = route({
  method: 'GET',
  paths: ['/_hearth/admin/v1/logs'],
  auth: 'admin',
  schema: { query: Type.Object({ limit: Type.Optional(Type.String()) }) },
  handler: async (ctx, req) => {
    const limit = Math.min(1000, intParam('limit', req.query.limit, 100));
    return { lines: logTail(ctx, limit) };
  },
});

export const serverRoutes = [getServerVersion, getStatus, getLogs];
