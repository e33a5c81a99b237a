import { Type } from '@sinclair/typebox';
import { errors } from '../core/errors.js';
import { route } from '../http/route.js';
import { parseLimit } from '../rooms/timeline.js';
import { getRelations } from './relations.js';
import { listThreads } from './threads.js';

/** Synapse's default page size for /relations and /threads, which clients rely on. */
const DEFAULT_LIMIT = 5;

/**
 * GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] — the
 * children of an event.
 * - 404 M_NOT_FOUND when the parent is unknown or not visible to the requester;
 * - `dir` defaults to b (newest first); `limit` 0..1000, default 5; `recurse` follows up to
 *   3 levels of relations, and then `recursion_depth` is in the answer (relations.yaml).
 */
export const getRelationsRoute = route({
  method: 'GET',
  paths: [
    '/_matrix/client/v1/rooms/{roomId}/relations/{eventId}',
    '/_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}',
    '/_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}',
  ],
  auth: 'required',
  schema: {
    params: Type.Object({
      roomId: Type.String(),
      eventId: Type.String(),
      relType: Type.Optional(Type.String()),
      eventType: Type.Optional(Type.String()),
    }),
    query: Type.Object({
      from: Type.Optional(Type.String()),
      to: Type.Optional(Type.String()),
      limit: Type.Optional(Type.String()),
      dir: Type.Optional(Type.Union([Type.Literal('b'), Type.Literal('f')])),
      recurse: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    }),
  },
  handler: (ctx, req) =>
    getRelations(ctx, req.requester, {
      ...req.params,
      from: req.query.from,
      to: req.query.to,
      dir: req.query.dir ?? 'b',
      limit: parseLimit(req.query.limit, DEFAULT_LIMIT),
      recurse: req.query.recurse === undefined ? undefined : req.query.recurse === 'true',
    }),
});

/**
 * GET /_matrix/client/v1/rooms/{roomId}/threads — the room's threads, most recently active
 * first, each root with its m.thread aggregation.
 * - `include` all (default) or participated; `limit` 1..1000, default 5 ("Must be an
 *   integer greater than zero").
 */
export const getThreadsRoute = route({
  method: 'GET',
  paths: ['/_matrix/client/v1/rooms/{roomId}/threads'],
  auth: 'required',
  schema: {
    params: Type.Object({ roomId: Type.String() }),
    query: Type.Object({
      include: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('participated')])),
      from: Type.Optional(Type.String()),
      limit: Type.Optional(Type.String()),
    }),
  },
  handler: (ctx, req) => {
    const limit = parseLimit(req.query.limit, DEFAULT_LIMIT);
    if (limit === 0) throw errors.invalidParam('limit must be greater than zero');
    return listThreads(ctx, req.requester, {
      roomId: req.params.roomId,
      include: req.query.include ?? 'all',
      from: req.query.from,
      limit,
    });
  },
});

export const relationsRoutes = [getRelationsRoute, getThreadsRoute];
