import { Type } from '@sinclair/typebox';
import { roomVersion } from '../../events/room-versions.js';
import { route } from '../../http/route.js';
import { supportedRoomVersion } from '../membership/incoming-event.js';
import { receiveInvite } from '../membership/receive-invite.js';

const Params = Type.Object({ roomId: Type.String(), eventId: Type.String() });
const EventObject = Type.Record(Type.String(), Type.Unknown());

/**
 * PUT /_matrix/federation/v2/invite/{roomId}/{eventId} — another server invites a user of
 * this one (invites-v2.yaml); answered with the event signed by this server too.
 * - 400 M_INCOMPATIBLE_ROOM_VERSION for a room version this server does not implement.
 * - 400 M_INVALID_PARAM when the event is not an invite of a local user by a user of the
 *   origin, signed by it, with the id in the path (the spec's list).
 * - 403 M_FORBIDDEN when the room's server ACL (if this server knows the room) denies the
 *   origin.
 */
export const putInviteV2 = route({
  method: 'PUT',
  paths: ['/_matrix/federation/v2/invite/{roomId}/{eventId}'],
  auth: 'federation',
  schema: {
    params: Params,
    body: Type.Object({
      room_version: Type.String(),
      event: EventObject,
      invite_room_state: Type.Optional(Type.Array(Type.Unknown())),
    }),
  },
  handler: async (ctx, req) => ({
    event: await receiveInvite(ctx, {
      origin: req.origin,
      roomId: req.params.roomId,
      eventId: req.params.eventId,
      version: supportedRoomVersion(req.body.room_version),
      event: req.body.event,
      inviteRoomState: req.body.invite_room_state,
    }),
  }),
});

/**
 * PUT /_matrix/federation/v1/invite/{roomId}/{eventId} — the older invite (invites-v1.yaml):
 * the body is the event, its stripped state in `unsigned.invite_room_state`; the room
 * version is taken to be 1 (the spec: "1" or "2", whose events look the same). Answered
 * `[200, { event }]`.
 */
export const putInviteV1 = route({
  method: 'PUT',
  paths: ['/_matrix/federation/v1/invite/{roomId}/{eventId}'],
  auth: 'federation',
  schema: { params: Params, body: EventObject },
  handler: async (ctx, req) => {
    const unsigned = req.body.unsigned as Record<string, unknown> | undefined;
    const event = await receiveInvite(ctx, {
      origin: req.origin,
      roomId: req.params.roomId,
      eventId: req.params.eventId,
      version: roomVersion('1')!,
      event: req.body,
      inviteRoomState: unsigned?.invite_room_state,
    });
    return [200, { event }];
  },
});

export const inviteRoutes = [putInviteV2, putInviteV1];
