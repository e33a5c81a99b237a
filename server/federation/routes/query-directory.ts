import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { answerDirectoryQuery } from '../joins/directory-query.js';

/**
 * GET /_matrix/federation/v1/query/directory — the room an alias of this server names, and
 * the servers in it (query.yaml).
 * - 404 M_NOT_FOUND for an unknown alias; 400 for an alias of another server (as Synapse).
 */
export const getQueryDirectory = route({
  method: 'GET',
  paths: ['/_matrix/federation/v1/query/directory'],
  auth: 'federation',
  schema: { query: Type.Object({ room_alias: Type.String() }) },
  handler: (ctx, req) => answerDirectoryQuery(ctx, req.query.room_alias),
});

export const queryDirectoryRoutes = [getQueryDirectory];
