import { Type } from '@sinclair/typebox';
import { errors } from '../../core/errors.js';
import { route } from '../../http/route.js';
import { redactRoomEvent } from '../redact.js';
import {
  getEventContext,
  getMessages,
  getRoomEvent,
  parseLimit,
  parseRoomEventFilter,
  timestampToEvent,
} from '../timeline.js';

const Dir = Type.Union([Type.Literal('b'), Type.Literal('f')]);
const RoomEvent = Type.Object({ roomId: Type.String(), eventId: Type.String() });

/**
 * GET /_matrix/client/v3/rooms/{roomId}/messages — page through a room's timeline.
 * - `from` defaults to the end (dir=b) or the start (dir=f); `end` is absent when nothing
 *   is left (spec message_pagination.yaml); tokens are `s<stream position>` (timeline.ts).
 * - `limit` 0..1000, default 10; `filter` is a JSON RoomEventFilter (lazy_load_members adds
 *   the senders' member events as `state`).
 */
export const getMessagesRoute = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/rooms/{roomId}/messages'],
  auth: 'required',
  schema: {
    params: Type.Object({ roomId: Type.String() }),
    query: Type.Object({
      from: Type.Optional(Type.String()),
      to: Type.Optional(Type.String()),
      dir: Dir,
      limit: Type.Optional(Type.String()),
      filter: Type.Optional(Type.String()),
    }),
  },
  handler: (ctx, req) =>
    getMessages(ctx, req.requester, {
      roomId: req.params.roomId,
      from: req.query.from,
      to: req.query.to,
      dir: req.query.dir,
      limit: parseLimit(req.query.limit),
      filter: parseRoomEventFilter(req.query.filter),
    }),
});

/** GET /_matrix/client/v3/rooms/{roomId}/event/{eventId} — one event, if the user may see it. */
export const getEventRoute = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/rooms/{roomId}/event/{eventId}'],
  auth: 'required',
  schema: { params: RoomEvent },
  handler: (ctx, req) => getRoomEvent(ctx, req.requester, req.params),
});

/**
 * GET /_matrix/client/v3/rooms/{roomId}/context/{eventId} — an event with the events around
 * it, pagination tokens and the state at the last event returned.
 */
export const getContextRoute = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/rooms/{roomId}/context/{eventId}'],
  auth: 'required',
  schema: {
    params: RoomEvent,
    query: Type.Object({
      limit: Type.Optional(Type.String()),
      filter: Type.Optional(Type.String()),
    }),
  },
  handler: (ctx, req) =>
    getEventContext(ctx, req.requester, {
      ...req.params,
      limit: parseLimit(req.query.limit),
      filter: parseRoomEventFilter(req.query.filter),
    }),
});

/** GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event — the event closest to a time. */
export const getTimestampToEventRoute = route({
  method: 'GET',
  paths: ['/_matrix/client/v1/rooms/{roomId}/timestamp_to_event'],
  auth: 'required',
  schema: {
    params: Type.Object({ roomId: Type.String() }),
    query: Type.Object({ ts: Type.String(), dir: Dir }),
  },
  handler: (ctx, req) => {
    if (!/^\d{1,16}$/.test(req.query.ts)) throw errors.invalidParam('ts must be a timestamp');
    return timestampToEvent(ctx, req.requester, {
      roomId: req.params.roomId,
      ts: Number(req.query.ts),
      dir: req.query.dir,
    });
  },
});

/**
 * PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId} — redact an event.
 * - Idempotent per device and transaction id; others' events need the `redact` level.
 */
export const putRedactRoute = route({
  method: 'PUT',
  paths: ['/_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}'],
  auth: 'required',
  schema: {
    params: Type.Object({
      roomId: Type.String(),
      eventId: Type.String(),
      txnId: Type.String({ minLength: 1 }),
    }),
    body: Type.Object({ reason: Type.Optional(Type.String()) }),
  },
  handler: (ctx, req) =>
    redactRoomEvent(ctx, req.requester, { ...req.params, reason: req.body.reason }),
});

export const timelineRoutes = [
  getMessagesRoute,
  getEventRoute,
  getContextRoute,
  getTimestampToEventRoute,
  putRedactRoute,
];
