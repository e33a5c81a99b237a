import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import { getAccountData, putAccountData } from './account-data.js';
import { postReceipt, setReadMarkers } from './receipts.js';
import { deleteRoomTag, getRoomTags, putRoomTag } from './tags.js';
import { setTyping } from './typing.js';

const V3 = '/_matrix/client/v3';
const Content = Type.Record(Type.String(), Type.Unknown());
/** A room id path parameter; anything else is 400 M_INVALID_PARAM (spec: account-data.yaml). */
const RoomId = Type.String({ pattern: '^!' });
const GlobalParams = Type.Object({ userId: Type.String(), type: Type.String({ minLength: 1 }) });
const RoomParams = Type.Object({
  userId: Type.String(),
  roomId: RoomId,
  type: Type.String({ minLength: 1 }),
});
const TagParams = Type.Object({
  userId: Type.String(),
  roomId: RoomId,
  tag: Type.String({ minLength: 1 }),
});

/**
 * PUT /_matrix/client/v3/user/{userId}/account_data/{type} — set global account data.
 * - 403 for another user; 405 M_BAD_JSON for m.fully_read and m.push_rules (spec v1.10).
 */
export const putGlobalAccountData = route({
  method: 'PUT',
  paths: [`${V3}/user/{userId}/account_data/{type}`],
  auth: 'required',
  schema: { params: GlobalParams, body: Content },
  handler: (ctx, req) =>
    putAccountData(ctx, req.requester, { ...req.params, roomId: null, content: req.body }),
});

/** GET /_matrix/client/v3/user/{userId}/account_data/{type} — 404 M_NOT_FOUND when unset. */
export const getGlobalAccountData = route({
  method: 'GET',
  paths: [`${V3}/user/{userId}/account_data/{type}`],
  auth: 'required',
  schema: { params: GlobalParams },
  handler: (ctx, req) => getAccountData(ctx, req.requester, { ...req.params, roomId: null }),
});

/**
 * PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type} — set room account data.
 * - As the global one; no membership needed (as Synapse).
 */
export const putRoomAccountData = route({
  method: 'PUT',
  paths: [`${V3}/user/{userId}/rooms/{roomId}/account_data/{type}`],
  auth: 'required',
  schema: { params: RoomParams, body: Content },
  handler: (ctx, req) => putAccountData(ctx, req.requester, { ...req.params, content: req.body }),
});

/** GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type} — one room's entry. */
export const getRoomAccountData = route({
  method: 'GET',
  paths: [`${V3}/user/{userId}/rooms/{roomId}/account_data/{type}`],
  auth: 'required',
  schema: { params: RoomParams },
  handler: (ctx, req) => getAccountData(ctx, req.requester, req.params),
});

/** GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags — the room's tags. */
export const getTags = route({
  method: 'GET',
  paths: [`${V3}/user/{userId}/rooms/{roomId}/tags`],
  auth: 'required',
  schema: { params: Type.Object({ userId: Type.String(), roomId: RoomId }) },
  handler: (ctx, req) => getRoomTags(ctx, req.requester, req.params),
});

/**
 * PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag} — add a tag.
 * - `order` is a number in [0, 1] (spec: definitions/tag.yaml); other fields are kept.
 */
export const putTag = route({
  method: 'PUT',
  paths: [`${V3}/user/{userId}/rooms/{roomId}/tags/{tag}`],
  auth: 'required',
  schema: {
    params: TagParams,
    body: Type.Object({ order: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })) }),
  },
  handler: (ctx, req) => putRoomTag(ctx, req.requester, { ...req.params, data: req.body }),
});

/** DELETE /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag} — remove a tag. */
export const deleteTag = route({
  method: 'DELETE',
  paths: [`${V3}/user/{userId}/rooms/{roomId}/tags/{tag}`],
  auth: 'required',
  schema: { params: TagParams },
  handler: (ctx, req) => deleteRoomTag(ctx, req.requester, req.params),
});

/**
 * POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId} — send a receipt.
 * - m.read, m.read.private, or m.fully_read (the read marker); others 400 M_INVALID_PARAM.
 * - An empty body counts as {} (unthreaded); `thread_id` is 'main' or a thread root.
 */
export const postReceiptRoute = route({
  method: 'POST',
  paths: [`${V3}/rooms/{roomId}/receipt/{receiptType}/{eventId}`],
  auth: 'required',
  schema: {
    params: Type.Object({
      roomId: Type.String(),
      receiptType: Type.Union([
        Type.Literal('m.read'),
        Type.Literal('m.read.private'),
        Type.Literal('m.fully_read'),
      ]),
      eventId: Type.String({ minLength: 1 }),
    }),
    body: Type.Optional(Type.Object({ thread_id: Type.Optional(Type.Unknown()) })),
  },
  handler: (ctx, req) =>
    postReceipt(ctx, req.requester, { ...req.params, threadId: req.body?.thread_id }),
});

/** POST /_matrix/client/v3/rooms/{roomId}/read_markers — set the read marker and receipts. */
export const postReadMarkers = route({
  method: 'POST',
  paths: [`${V3}/rooms/{roomId}/read_markers`],
  auth: 'required',
  schema: {
    params: Type.Object({ roomId: Type.String() }),
    body: Type.Object({
      'm.fully_read': Type.Optional(Type.String({ minLength: 1 })),
      'm.read': Type.Optional(Type.String({ minLength: 1 })),
      'm.read.private': Type.Optional(Type.String({ minLength: 1 })),
    }),
  },
  handler: (ctx, req) =>
    setReadMarkers(ctx, req.requester, {
      roomId: req.params.roomId,
      fullyRead: req.body['m.fully_read'],
      read: req.body['m.read'],
      readPrivate: req.body['m.read.private'],
    }),
});

/**
 * PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId} — start or stop typing.
 * - Oneself only, members only (403); `timeout` in ms, default 30 s, at most 120 s.
 */
export const putTyping = route({
  method: 'PUT',
  paths: [`${V3}/rooms/{roomId}/typing/{userId}`],
  auth: 'required',
  schema: {
    params: Type.Object({ roomId: Type.String(), userId: Type.String() }),
    body: Type.Object({
      typing: Type.Boolean(),
      timeout: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
  },
  handler: (ctx, req) =>
    setTyping(ctx, req.requester, {
      ...req.params,
      typing: req.body.typing,
      timeoutMs: req.body.timeout,
    }),
});

export const userdataRoutes = [
  putGlobalAccountData,
  getGlobalAccountData,
  putRoomAccountData,
  getRoomAccountData,
  getTags,
  putTag,
  deleteTag,
  postReceiptRoute,
  postReadMarkers,
  putTyping,
];
