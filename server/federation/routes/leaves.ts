import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { acceptMembershipEvent, makeMembershipTemplate } from '../membership/resident.js';

const EventObject = Type.Record(Type.String(), Type.Unknown());
const SendParams = Type.Object({ roomId: Type.String(), eventId: Type.String() });

/**
 * GET /_matrix/federation/v1/make_leave/{roomId}/{userId} — a leave template for a user of
 * the requesting server (leaving-v1.yaml).
 * - 403 M_FORBIDDEN for a user of another server, a server the room's ACL denies, or a
 *   leave the auth rules refuse (the user is not in, invited to or knocking on the room).
 * - 404 M_NOT_FOUND for a room this server is not in.
 */
export const getMakeLeave = route({
  method: 'GET',
  paths: ['/_matrix/federation/v1/make_leave/{roomId}/{userId}'],
  auth: 'federation',
  schema: { params: Type.Object({ roomId: Type.String(), userId: Type.String() }) },
  handler: (ctx, req) =>
    makeMembershipTemplate(ctx, {
      origin: req.origin,
      roomId: req.params.roomId,
      userId: req.params.userId,
      membership: 'leave',
    }),
});

/** send_leave v1 and v2: the same acceptance, answered in each version's form. */
function sendLeaveRoute(v: 'v1' | 'v2') {
  return route({
    method: 'PUT',
    paths: [`/_matrix/federation/${v}/send_leave/{roomId}/{eventId}`],
    auth: 'federation',
    schema: { params: SendParams, body: EventObject },
    handler: async (ctx, req) => {
      await acceptMembershipEvent(ctx, {
        origin: req.origin,
        ...req.params,
        body: req.body,
        membership: 'leave',
      });
      return v === 'v2' ? {} : [200, {}];
    },
  });
}

/**
 * PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId} — the signed leave (leaving-v2.yaml);
 * persisted and sent on to the room's other servers. 400 M_INVALID_PARAM for an event
 * that is not the origin's user's leave with the id in the path, or badly signed; 403 when
 * the auth rules or the ACL refuse it. Answered `{}`.
 */
export const putSendLeaveV2 = sendLeaveRoute('v2');

/** PUT /_matrix/federation/v1/send_leave/{roomId}/{eventId} — as v2, answered `[200, {}]`. */
export const putSendLeaveV1 = sendLeaveRoute('v1');

export const leaveRoutes = [getMakeLeave, putSendLeaveV2, putSendLeaveV1];
