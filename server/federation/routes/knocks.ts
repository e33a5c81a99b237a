import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { acceptMembershipEvent, makeMembershipTemplate } from '../membership/resident.js';

/**
 * GET /_matrix/federation/v1/make_knock/{roomId}/{userId}?ver= — a knock template for a
 * user of the requesting server (knocks.yaml).
 * - `ver` (required, repeated): the room versions the requester supports; 400
 *   M_INCOMPATIBLE_ROOM_VERSION when the room's is not among them or has no knocking.
 * - 403 M_FORBIDDEN when the auth rules refuse the knock (join rule not knock, banned,
 *   already in the room), for a user of another server, or by the room's ACL.
 * - 404 M_NOT_FOUND for a room this server is not in.
 */
export const getMakeKnock = route({
  method: 'GET',
  paths: ['/_matrix/federation/v1/make_knock/{roomId}/{userId}'],
  auth: 'federation',
  schema: {
    params: Type.Object({ roomId: Type.String(), userId: Type.String() }),
    query: Type.Object({ ver: Type.Union([Type.String(), Type.Array(Type.String())]) }),
  },
  handler: (ctx, req) =>
    makeMembershipTemplate(ctx, {
      origin: req.origin,
      roomId: req.params.roomId,
      userId: req.params.userId,
      membership: 'knock',
      versions: Array.isArray(req.query.ver) ? req.query.ver : [req.query.ver],
    }),
});

/**
 * PUT /_matrix/federation/v1/send_knock/{roomId}/{eventId} — the signed knock; persisted,
 * sent on to the room's other servers, and answered with `knock_room_state` (the room's
 * create, join rules, name, avatar, alias, encryption and topic events). Errors as
 * send_leave.
 */
export const putSendKnock = route({
  method: 'PUT',
  paths: ['/_matrix/federation/v1/send_knock/{roomId}/{eventId}'],
  auth: 'federation',
  schema: {
    params: Type.Object({ roomId: Type.String(), eventId: Type.String() }),
    body: Type.Record(Type.String(), Type.Unknown()),
  },
  handler: async (ctx, req) => {
    const { knockRoomState } = await acceptMembershipEvent(ctx, {
      origin: req.origin,
      ...req.params,
      body: req.body,
      membership: 'knock',
    });
    return { knock_room_state: knockRoomState ?? [] };
  },
});

export const knockRoutes = [getMakeKnock, putSendKnock];
