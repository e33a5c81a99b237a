import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { PublicRoomsFilterBody } from '../../rooms/routes/directory.js';
import { backfillForServer } from '../reads/backfill.js';
import { getEventAuthForServer, getEventForServer, getStateForServer } from '../reads/events.js';
import { hierarchyForServer } from '../reads/hierarchy.js';
import { publicRoomsForServer } from '../reads/public-rooms.js';
import { queryProfile, queryUserDevices } from '../reads/queries.js';
import { timestampToEventForServer } from '../reads/timestamp.js';
import { errors } from '../../core/errors.js';

/**
 * What other servers read of this one (docs/federation.md "What other servers may read"):
 * events.yaml, backfill.yaml, event_auth.yaml, query.yaml (profile), public_rooms.yaml,
 * space_hierarchy.yaml, user_devices.yaml. Every route is X-Matrix signed; those naming a
 * room check its server ACL (403) and that the server may read it.
 */

const V1 = '/_matrix/federation/v1';
const Int = Type.String({ pattern: '^[0-9]{1,9}$' });
const Bool = Type.Union([Type.Literal('true'), Type.Literal('false')]);
const RoomParams = Type.Object({ roomId: Type.String({ minLength: 1 }) });
const StateQuery = Type.Object({ event_id: Type.String({ minLength: 1 }) });

/** GET /_matrix/federation/v1/event/{eventId} — one event, as a one-PDU transaction. */
export const getEvent = route({
  method: 'GET',
  paths: [`${V1}/event/{eventId}`],
  auth: 'federation',
  schema: { params: Type.Object({ eventId: Type.String({ minLength: 1 }) }) },
  handler: (ctx, req) => getEventForServer(ctx, req.origin, req.params.eventId),
});

/** GET /state/{roomId} and /state_ids/{roomId}: the same read, as events or as ids. */
function stateRoute(name: 'state' | 'state_ids') {
  return route({
    method: 'GET',
    paths: [`${V1}/${name}/{roomId}`],
    auth: 'federation',
    schema: { params: RoomParams, query: StateQuery },
    handler: (ctx, req) =>
      getStateForServer(ctx, req.origin, {
        roomId: req.params.roomId,
        eventId: req.query.event_id,
        idsOnly: name === 'state_ids',
      }),
  });
}

/** GET /_matrix/federation/v1/state/{roomId} — the state before an event, and its auth chain. */
export const getState = stateRoute('state');

/** GET /_matrix/federation/v1/state_ids/{roomId} — the same, as event ids. */
export const getStateIds = stateRoute('state_ids');

/**
 * GET /_matrix/federation/v1/backfill/{roomId} — events before (and including) `v`.
 * - `v` may repeat; `limit` is required and capped at 100.
 */
export const getBackfill = route({
  method: 'GET',
  paths: [`${V1}/backfill/{roomId}`],
  auth: 'federation',
  schema: {
    params: RoomParams,
    query: Type.Object({
      v: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }))]),
      limit: Int,
    }),
  },
  handler: (ctx, req) =>
    backfillForServer(ctx, req.origin, {
      roomId: req.params.roomId,
      from: typeof req.query.v === 'string' ? [req.query.v] : req.query.v,
      limit: Number(req.query.limit),
    }),
});

/** GET /_matrix/federation/v1/event_auth/{roomId}/{eventId} — an event's full auth chain. */
export const getEventAuth = route({
  method: 'GET',
  paths: [`${V1}/event_auth/{roomId}/{eventId}`],
  auth: 'federation',
  schema: {
    params: Type.Object({
      roomId: Type.String({ minLength: 1 }),
      eventId: Type.String({ minLength: 1 }),
    }),
  },
  handler: (ctx, req) =>
    getEventAuthForServer(ctx, req.origin, {
      roomId: req.params.roomId,
      eventId: req.params.eventId,
    }),
});

/** GET /_matrix/federation/v1/timestamp_to_event/{roomId} — the event closest to a time. */
export const getTimestampToEvent = route({
  method: 'GET',
  paths: [`${V1}/timestamp_to_event/{roomId}`],
  auth: 'federation',
  schema: {
    params: RoomParams,
    query: Type.Object({
      ts: Type.String({ pattern: '^[0-9]{1,16}$' }),
      dir: Type.Union([Type.Literal('b'), Type.Literal('f')]),
    }),
  },
  handler: (ctx, req) =>
    timestampToEventForServer(ctx, req.origin, {
      roomId: req.params.roomId,
      ts: Number(req.query.ts),
      dir: req.query.dir,
    }),
});

/**
 * GET /_matrix/federation/v1/query/{queryType} — query types Hearth does not answer.
 * - profile and directory have their own routes (the router prefers them); any other
 *   type is 404 M_NOT_FOUND, as Synapse answers an unknown query type.
 */
export const getQueryOther = route({
  method: 'GET',
  paths: [`${V1}/query/{queryType}`],
  auth: 'federation',
  schema: { params: Type.Object({ queryType: Type.String() }) },
  handler: async (_ctx, req) => {
    throw errors.notFound(`No handler for query type ${req.params.queryType}`);
  },
});

/**
 * GET /_matrix/federation/v1/query/profile — a local user's profile or one field of it.
 * - 400 for a user of another server, 404 M_NOT_FOUND for an unknown user.
 */
export const getQueryProfile = route({
  method: 'GET',
  paths: [`${V1}/query/profile`],
  auth: 'federation',
  schema: {
    query: Type.Object({
      user_id: Type.String({ minLength: 1 }),
      field: Type.Optional(Type.String({ minLength: 1 })),
    }),
  },
  handler: (ctx, req) => queryProfile(ctx, { userId: req.query.user_id, field: req.query.field }),
});

/** GET /_matrix/federation/v1/publicRooms — this server's published rooms. */
export const getPublicRooms = route({
  method: 'GET',
  paths: [`${V1}/publicRooms`],
  auth: 'federation',
  schema: {
    query: Type.Object({
      limit: Type.Optional(Int),
      since: Type.Optional(Type.String()),
      include_all_networks: Type.Optional(Bool),
      third_party_instance_id: Type.Optional(Type.String()),
    }),
  },
  handler: (ctx, req) =>
    publicRoomsForServer(ctx, {
      limit: req.query.limit === undefined ? undefined : Number(req.query.limit),
      since: req.query.since,
      thirdPartyInstanceId: req.query.third_party_instance_id,
    }),
});

/** POST /_matrix/federation/v1/publicRooms — this server's published rooms, filtered. */
export const postPublicRooms = route({
  method: 'POST',
  paths: [`${V1}/publicRooms`],
  auth: 'federation',
  schema: {
    body: PublicRoomsFilterBody,
  },
  handler: (ctx, req) =>
    publicRoomsForServer(ctx, {
      limit: req.body.limit,
      since: req.body.since,
      searchTerm: req.body.filter?.generic_search_term,
      roomTypes: req.body.filter?.room_types,
      thirdPartyInstanceId: req.body.third_party_instance_id,
    }),
});

/** GET /_matrix/federation/v1/hierarchy/{roomId} — a space and its direct children. */
export const getHierarchy = route({
  method: 'GET',
  paths: [`${V1}/hierarchy/{roomId}`],
  auth: 'federation',
  schema: { params: RoomParams, query: Type.Object({ suggested_only: Type.Optional(Bool) }) },
  handler: (ctx, req) =>
    hierarchyForServer(ctx, req.origin, {
      roomId: req.params.roomId,
      suggestedOnly: req.query.suggested_only === 'true',
    }),
});

/** GET /_matrix/federation/v1/user/devices/{userId} — a local user's devices. */
export const getUserDevices = route({
  method: 'GET',
  paths: [`${V1}/user/devices/{userId}`],
  auth: 'federation',
  schema: { params: Type.Object({ userId: Type.String({ minLength: 1 }) }) },
  handler: (ctx, req) => queryUserDevices(ctx, req.params.userId),
});

export const readRoutes = [
  getEvent,
  getState,
  getStateIds,
  getBackfill,
  getEventAuth,
  getTimestampToEvent,
  getQueryOther,
  getQueryProfile,
  getPublicRooms,
  postPublicRooms,
  getHierarchy,
  getUserDevices,
];
