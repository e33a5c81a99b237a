import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import {
  forgetRoom,
  getJoinedMembers,
  getMembers,
  inviteUser,
  joinRoom,
  knockRoom,
  leaveRoom,
  setOtherMembership,
} from '../membership.js';

/**
 * The spec's room membership endpoints (joining, knocking, leaving, inviting, kicking,
 * banning) and the member lists. `via` / `server_name` name the servers to join a room of
 * another server through (federation/joins/remote-join.ts).
 */

const RoomParams = Type.Object({ roomId: Type.String() });
const AliasParams = Type.Object({ roomIdOrAlias: Type.String() });
/** Synapse reads a missing body as {}; clients often send none to leave or join. */
const ReasonBody = Type.Optional(
  Type.Object({
    reason: Type.Optional(Type.String()),
    third_party_signed: Type.Optional(Type.Object({})),
  }),
);
const TargetBody = Type.Object({
  user_id: Type.String(),
  reason: Type.Optional(Type.String()),
});

/** `via` (v1.12) and the older `server_name`: servers to join a remote room through. */
const ViaQuery = Type.Object({
  via: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  server_name: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
});
const listOf = (v: string | string[] | undefined) => (v === undefined ? [] : [v].flat());

/** POST /_matrix/client/v3/join/{roomIdOrAlias} — join a room by id or alias (any server's). */
export const postJoinByIdOrAlias = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/join/{roomIdOrAlias}'],
  auth: 'required',
  schema: { params: AliasParams, body: ReasonBody, query: ViaQuery },
  handler: (ctx, req) =>
    joinRoom(ctx, req.requester, {
      roomIdOrAlias: req.params.roomIdOrAlias,
      reason: req.body?.reason,
      via: [...listOf(req.query.via), ...listOf(req.query.server_name)],
    }),
});

/** POST /_matrix/client/v3/rooms/{roomId}/join — join a room by id. */
export const postJoin = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/rooms/{roomId}/join'],
  auth: 'required',
  schema: { params: RoomParams, body: ReasonBody, query: ViaQuery },
  handler: (ctx, req) =>
    joinRoom(ctx, req.requester, {
      roomIdOrAlias: req.params.roomId,
      reason: req.body?.reason,
      via: [...listOf(req.query.via), ...listOf(req.query.server_name)],
    }),
});

/** POST /_matrix/client/v3/knock/{roomIdOrAlias} — ask to join a room with join rule knock. */
export const postKnock = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/knock/{roomIdOrAlias}'],
  auth: 'required',
  schema: { params: AliasParams, body: ReasonBody, query: ViaQuery },
  handler: (ctx, req) =>
    knockRoom(ctx, req.requester, {
      roomIdOrAlias: req.params.roomIdOrAlias,
      reason: req.body?.reason,
      via: [...listOf(req.query.via), ...listOf(req.query.server_name)],
    }),
});

/** POST /_matrix/client/v3/rooms/{roomId}/invite — invite a user of this server. */
export const postInvite = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/rooms/{roomId}/invite'],
  auth: 'required',
  schema: { params: RoomParams, body: TargetBody },
  handler: (ctx, req) =>
    inviteUser(ctx, req.requester, {
      roomId: req.params.roomId,
      userId: req.body.user_id,
      reason: req.body.reason,
    }),
});

/** POST /_matrix/client/v3/rooms/{roomId}/leave — leave, reject an invite or retract a knock. */
export const postLeave = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/rooms/{roomId}/leave'],
  auth: 'required',
  schema: { params: RoomParams, body: ReasonBody },
  handler: (ctx, req) =>
    leaveRoom(ctx, req.requester, { roomId: req.params.roomId, reason: req.body?.reason }),
});

/** POST /_matrix/client/v3/rooms/{roomId}/forget — hide a room one has left. */
export const postForget = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/rooms/{roomId}/forget'],
  auth: 'required',
  schema: { params: RoomParams, body: Type.Optional(Type.Object({})) },
  handler: (ctx, req) => forgetRoom(ctx, req.requester, req.params.roomId),
});

function targetRoute(action: 'kick' | 'ban' | 'unban') {
  return route({
    method: 'POST',
    paths: [`/_matrix/client/v3/rooms/{roomId}/${action}`],
    auth: 'required',
    schema: { params: RoomParams, body: TargetBody },
    handler: (ctx, req) =>
      setOtherMembership(ctx, req.requester, {
        action,
        roomId: req.params.roomId,
        userId: req.body.user_id,
        reason: req.body.reason,
      }),
  });
}

/** POST /_matrix/client/v3/rooms/{roomId}/kick — remove a user from the room. */
export const postKick = targetRoute('kick');
/** POST /_matrix/client/v3/rooms/{roomId}/ban — ban a user from the room. */
export const postBan = targetRoute('ban');
/** POST /_matrix/client/v3/rooms/{roomId}/unban — lift a ban (the user is then 'leave'). */
export const postUnban = targetRoute('unban');

const MembershipValue = Type.Union([
  Type.Literal('join'),
  Type.Literal('invite'),
  Type.Literal('knock'),
  Type.Literal('leave'),
  Type.Literal('ban'),
]);

/**
 * GET /_matrix/client/v3/rooms/{roomId}/members — the room's member events.
 * - `at` (a sync or /messages token) gives the members as of that point.
 */
export const getRoomMembers = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/rooms/{roomId}/members'],
  auth: 'required',
  schema: {
    params: RoomParams,
    query: Type.Object({
      at: Type.Optional(Type.String()),
      membership: Type.Optional(MembershipValue),
      not_membership: Type.Optional(MembershipValue),
    }),
  },
  handler: (ctx, req) =>
    getMembers(ctx, req.requester, {
      roomId: req.params.roomId,
      at: req.query.at,
      membership: req.query.membership,
      notMembership: req.query.not_membership,
    }),
});

/** GET /_matrix/client/v3/rooms/{roomId}/joined_members — joined users with names and avatars. */
export const getRoomJoinedMembers = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/rooms/{roomId}/joined_members'],
  auth: 'required',
  schema: { params: RoomParams },
  handler: (ctx, req) => getJoinedMembers(ctx, req.requester, req.params.roomId),
});

export const membershipRoutes = [
  postJoinByIdOrAlias,
  postJoin,
  postKnock,
  postInvite,
  postLeave,
  postForget,
  postKick,
  postBan,
  postUnban,
  getRoomMembers,
  getRoomJoinedMembers,
];
