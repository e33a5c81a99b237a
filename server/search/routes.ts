import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import { SearchBodySchema } from './schema.js';
import { searchRoomEvents } from './search.js';

/**
 * POST /_matrix/client/v3/search — server-side search (search.yaml).
 * - `room_events` is the only category the spec defines; a request without it gets no
 *   categories back rather than an error (Synapse answers 400), so a client asking for a
 *   future category alone is not refused.
 * - `next_batch` (query) continues the same request; a token that is not ours: 400
 *   M_INVALID_PARAM.
 */
export const searchRoute = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/search'],
  auth: 'required',
  schema: {
    query: Type.Object({ next_batch: Type.Optional(Type.String()) }),
    body: SearchBodySchema,
  },
  handler: async (ctx, req) => {
    const criteria = req.body.search_categories.room_events;
    if (!criteria) return { search_categories: {} };
    const roomEvents = await searchRoomEvents(ctx, req.requester, criteria, req.query.next_batch);
    return { search_categories: { room_events: roomEvents } };
  },
});

export const searchRoutes = [searchRoute];
