import { Type } from '@sinclair/typebox';
import { errors } from '../../core/errors.js';
import { route } from '../../http/route.js';
import { getHierarchy } from '../hierarchy.js';

const Int = Type.String({ pattern: '^[0-9]{1,9}$' });

/**
 * GET /_matrix/client/v1/rooms/{roomId}/hierarchy — a page of the space tree under a room.
 * - limit must be > 0 (default 50, at most 100); max_depth >= 0 (default: no limit).
 * - Rooms on other servers are skipped until federation (docs/events-design.md).
 */
export const getSpaceHierarchy = route({
  method: 'GET',
  paths: ['/_matrix/client/v1/rooms/{roomId}/hierarchy'],
  auth: 'required',
  schema: {
    params: Type.Object({ roomId: Type.String() }),
    query: Type.Object({
      suggested_only: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
      limit: Type.Optional(Int),
      max_depth: Type.Optional(Int),
      from: Type.Optional(Type.String()),
    }),
  },
  handler: async (ctx, req) => {
    const limit = req.query.limit === undefined ? undefined : Number(req.query.limit);
    if (limit === 0) throw errors.invalidParam('limit must be greater than zero');
    return getHierarchy(ctx, req.requester, {
      roomId: req.params.roomId,
      suggestedOnly: req.query.suggested_only === 'true',
      limit,
      maxDepth: req.query.max_depth === undefined ? undefined : Number(req.query.max_depth),
      from: req.query.from,
    });
  },
});

export const hierarchyRoutes = [getSpaceHierarchy];
