import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { createRoom } from '../create-room.js';
import {
  getRoomState,
  getRoomStateEvent,
  joinedRooms,
  sendMessage,
  setRoomState,
} from '../room-state.js';

const Content = Type.Record(Type.String(), Type.Unknown());

/**
 * POST /_matrix/client/v3/createRoom — create a room (presets, alias, invites, state).
 * - M_UNSUPPORTED_ROOM_VERSION for a version this server lacks; M_ROOM_IN_USE for a taken alias.
 */
export const postCreateRoom = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/createRoom'],
  auth: 'required',
  schema: {
    body: Type.Object({
      visibility: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('private')])),
      room_alias_name: Type.Optional(Type.String({ minLength: 1 })),
      name: Type.Optional(Type.String()),
      topic: Type.Optional(Type.String()),
      invite: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
      invite_3pid: Type.Optional(Type.Array(Type.Object({}), { maxItems: 0 })),
      room_version: Type.Optional(Type.String()),
      creation_content: Type.Optional(Content),
      initial_state: Type.Optional(
        Type.Array(
          Type.Object({
            type: Type.String({ minLength: 1 }),
            state_key: Type.Optional(Type.String()),
            content: Content,
          }),
          { maxItems: 100 },
        ),
      ),
      preset: Type.Optional(
        Type.Union([
          Type.Literal('private_chat'),
          Type.Literal('public_chat'),
          Type.Literal('trusted_private_chat'),
        ]),
      ),
      is_direct: Type.Optional(Type.Boolean()),
      power_level_content_override: Type.Optional(Content),
    }),
  },
  handler: (ctx, req) => createRoom(ctx, req.requester, req.body),
});

/** PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId} — send a message event. */
export const putSend = route({
  method: 'PUT',
  paths: ['/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}'],
  auth: 'required',
  schema: {
    params: Type.Object({
      roomId: Type.String(),
      eventType: Type.String({ minLength: 1 }),
      txnId: Type.String({ minLength: 1 }),
    }),
    body: Content,
  },
  handler: (ctx, req) =>
    sendMessage(ctx, req.requester, {
      roomId: req.params.roomId,
      type: req.params.eventType,
      txnId: req.params.txnId,
      content: req.body,
    }),
});

const StateParams = Type.Object({
  roomId: Type.String(),
  eventType: Type.String({ minLength: 1 }),
  stateKey: Type.Optional(Type.String()),
});
/** An empty state key may be written as a trailing slash or left out. */
const STATE_PATHS = [
  '/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}',
  '/_matrix/client/v3/rooms/{roomId}/state/{eventType}/',
  '/_matrix/client/v3/rooms/{roomId}/state/{eventType}',
];

/** PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} — set a state event. */
export const putState = route({
  method: 'PUT',
  paths: STATE_PATHS,
  auth: 'required',
  schema: { params: StateParams, body: Content },
  handler: (ctx, req) =>
    setRoomState(ctx, req.requester, {
      roomId: req.params.roomId,
      type: req.params.eventType,
      stateKey: req.params.stateKey ?? '',
      content: req.body,
    }),
});

/** GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} — one state event's content. */
export const getStateEvent = route({
  method: 'GET',
  paths: STATE_PATHS,
  auth: 'required',
  schema: {
    params: StateParams,
    query: Type.Object({
      format: Type.Optional(Type.Union([Type.Literal('content'), Type.Literal('event')])),
    }),
  },
  handler: (ctx, req) =>
    getRoomStateEvent(ctx, req.requester, {
      roomId: req.params.roomId,
      type: req.params.eventType,
      stateKey: req.params.stateKey ?? '',
      format: req.query.format ?? 'content',
    }),
});

/** GET /_matrix/client/v3/rooms/{roomId}/state — the room's current state. */
export const getState = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/rooms/{roomId}/state'],
  auth: 'required',
  schema: { params: Type.Object({ roomId: Type.String() }) },
  handler: (ctx, req) => getRoomState(ctx, req.requester, req.params.roomId),
});

/** GET /_matrix/client/v3/joined_rooms — the rooms the user is joined to. */
export const getJoinedRooms = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/joined_rooms'],
  auth: 'required',
  handler: async (ctx, req) => ({ joined_rooms: await joinedRooms(ctx, req.requester) }),
});

export const roomsRoutes = [
  postCreateRoom,
  putSend,
  putState,
  getStateEvent,
  getState,
  getJoinedRooms,
];
