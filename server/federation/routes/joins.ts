import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { makeJoinTemplate } from '../joins/make-join.js';
import { acceptSendJoin } from '../joins/send-join.js';

/** The joins-v1 and joins-v2 endpoints of the server-server API (spec "Joining Rooms"). */

const JoinParams = Type.Object({ roomId: Type.String(), userId: Type.String() });
const SendJoinParams = Type.Object({ roomId: Type.String(), eventId: Type.String() });
/** A PDU: its fields are checked by the room version's event format, not here. */
const PduBody = Type.Object({}, { additionalProperties: true });

/**
 * GET /_matrix/federation/v1/make_join/{roomId}/{userId} — a join event template.
 * - `ver` (repeated) lists the room versions the requester supports; default ["1"].
 * - The user must be of the requesting server (403), the room known here (404).
 */
export const getMakeJoin = route({
  method: 'GET',
  paths: ['/_matrix/federation/v1/make_join/{roomId}/{userId}'],
  auth: 'federation',
  schema: {
    params: JoinParams,
    query: Type.Object({
      ver: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    }),
  },
  handler: (ctx, req) => {
    const ver = req.query.ver;
    return makeJoinTemplate(ctx, {
      origin: req.origin,
      roomId: req.params.roomId,
      userId: req.params.userId,
      versions: ver === undefined ? ['1'] : Array.isArray(ver) ? ver : [ver],
    });
  },
});

/** PUT /_matrix/federation/v2/send_join/{roomId}/{eventId} — submit a signed join. */
export const putSendJoinV2 = route({
  method: 'PUT',
  paths: ['/_matrix/federation/v2/send_join/{roomId}/{eventId}'],
  auth: 'federation',
  schema: { params: SendJoinParams, body: PduBody },
  handler: (ctx, req) =>
    acceptSendJoin(ctx, {
      origin: req.origin,
      roomId: req.params.roomId,
      eventId: req.params.eventId,
      body: req.body,
    }),
});

/**
 * PUT /_matrix/federation/v1/send_join/{roomId}/{eventId} — the same, answered in v1's
 * `[200, { ... }]` array form (deprecated; kept for older servers, as Synapse does).
 */
export const putSendJoinV1 = route({
  method: 'PUT',
  paths: ['/_matrix/federation/v1/send_join/{roomId}/{eventId}'],
  auth: 'federation',
  schema: { params: SendJoinParams, body: PduBody },
  handler: async (ctx, req) => {
    const { state, auth_chain, event } = await acceptSendJoin(ctx, {
      origin: req.origin,
      roomId: req.params.roomId,
      eventId: req.params.eventId,
      body: req.body,
    });
    return [200, { state, auth_chain, ...(event ? { event } : {}) }];
  },
});

export const joinRoutes = [getMakeJoin, putSendJoinV2, putSendJoinV1];
