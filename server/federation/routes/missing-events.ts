import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { getMissingEvents } from '../receive/serve-missing-events.js';

/** A bound on the lists, far above any room's forward extremities (the usual earliest_events). */
const EventIds = Type.Array(Type.String(), { maxItems: 1000 });

/**
 * POST /_matrix/federation/v1/get_missing_events/{roomId} — the events between
 * `earliest_events` and `latest_events` (backfill.yaml), oldest first.
 * - `limit` defaults to 10 and is capped at 20 (as Synapse); `min_depth` defaults to 0.
 * - 404 M_NOT_FOUND for an unknown room; 403 M_FORBIDDEN when the room's server ACL denies
 *   the requesting server, or it has no joined member and the room is not world_readable.
 */
export const postMissingEvents = route({
  method: 'POST',
  paths: ['/_matrix/federation/v1/get_missing_events/{roomId}'],
  auth: 'federation',
  schema: {
    params: Type.Object({ roomId: Type.String() }),
    body: Type.Object({
      earliest_events: EventIds,
      latest_events: EventIds,
      limit: Type.Optional(Type.Integer({ minimum: 0 })),
      min_depth: Type.Optional(Type.Integer()),
    }),
  },
  handler: async (ctx, req) =>
    getMissingEvents(ctx, req.origin, req.params.roomId, {
      earliestEvents: req.body.earliest_events,
      latestEvents: req.body.latest_events,
      limit: req.body.limit,
      minDepth: req.body.min_depth,
    }),
});

export const missingEventsRoutes = [postMissingEvents];
