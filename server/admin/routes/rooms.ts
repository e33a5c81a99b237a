import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { boolParam, dirParam, intParam, orderParam } from '../paging.js';
import {
  deleteRoom,
  deleteStatusesOfRoom,
  deleteStatusOf,
  startDeleteRoom,
  type DeleteRoomArgs,
} from '../room-delete.js';
import {
  getRoomBlock,
  getRoomDetails,
  getRoomMembers,
  getRoomStateEvents,
  listRooms,
  setRoomBlock,
} from '../rooms.js';
import { ROOM_ORDER } from '../rooms-store.js';

/** Synapse's rooms admin API (docs/admin-api.md "Rooms"). */

const Str = Type.Optional(Type.String());
const RoomParams = Type.Object({ roomId: Type.String() });

/** GET /_synapse/admin/v1/rooms — list rooms (paged, searched, sorted). */
export const getRooms = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/rooms'],
  auth: 'admin',
  schema: {
    query: Type.Object({
      from: Str,
      limit: Str,
      order_by: Str,
      dir: Str,
      search_term: Str,
      public_rooms: Str,
      empty_rooms: Str,
    }),
  },
  handler: (ctx, req) => {
    const q = req.query;
    return listRooms(ctx, {
      from: intParam('from', q.from, 0),
      limit: intParam('limit', q.limit, 100),
      orderBy: orderParam(q.order_by, Object.keys(ROOM_ORDER), 'name'),
      dir: dirParam(q.dir),
      searchTerm: q.search_term || undefined,
      publicRooms: boolParam('public_rooms', q.public_rooms, undefined),
      emptyRooms: boolParam('empty_rooms', q.empty_rooms, undefined),
    });
  },
});

/** GET /_synapse/admin/v1/rooms/{roomId} — one room in detail. */
export const getRoom = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/rooms/{roomId}'],
  auth: 'admin',
  schema: { params: RoomParams },
  handler: (ctx, req) => getRoomDetails(ctx, req.params.roomId),
});

/** GET /_synapse/admin/v1/rooms/{roomId}/members — who is joined. */
export const getMembers = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/rooms/{roomId}/members'],
  auth: 'admin',
  schema: { params: RoomParams },
  handler: (ctx, req) => getRoomMembers(ctx, req.params.roomId),
});

/** GET /_synapse/admin/v1/rooms/{roomId}/state — the current state events. */
export const getState = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/rooms/{roomId}/state'],
  auth: 'admin',
  schema: { params: RoomParams },
  handler: (ctx, req) => getRoomStateEvents(ctx, req.params.roomId),
});

const DeleteBody = Type.Optional(
  Type.Object({
    block: Type.Optional(Type.Boolean()),
    purge: Type.Optional(Type.Boolean()),
    force_purge: Type.Optional(Type.Boolean()),
    message: Type.Optional(Type.String()),
    new_room_user_id: Type.Optional(Type.String()),
    room_name: Type.Optional(Type.String()),
  }),
);

type DeleteBodyIn =
  | {
      block?: boolean;
      purge?: boolean;
      force_purge?: boolean;
      message?: string;
      new_room_user_id?: string;
      room_name?: string;
    }
  | undefined;

function deleteArgs(roomId: string, adminUserId: string, b: DeleteBodyIn): DeleteRoomArgs {
  return {
    roomId,
    adminUserId,
    block: b?.block ?? false,
    // Synapse purges unless told not to.
    purge: b?.purge ?? true,
    forcePurge: b?.force_purge ?? false,
    message: b?.message,
    newRoomUserId: b?.new_room_user_id,
    roomName: b?.room_name,
  };
}

/** DELETE /_synapse/admin/v1/rooms/{roomId} — delete a room, answering when done. */
export const deleteRoomV1 = route({
  method: 'DELETE',
  paths: ['/_synapse/admin/v1/rooms/{roomId}'],
  auth: 'admin',
  schema: { params: RoomParams, body: DeleteBody },
  handler: (ctx, req) =>
    deleteRoom(ctx, deleteArgs(req.params.roomId, req.requester.userId, req.body)),
});

/** DELETE /_synapse/admin/v2/rooms/{roomId} — delete a room in the background: {delete_id}. */
export const deleteRoomV2 = route({
  method: 'DELETE',
  paths: ['/_synapse/admin/v2/rooms/{roomId}'],
  auth: 'admin',
  schema: { params: RoomParams, body: DeleteBody },
  handler: async (ctx, req) => ({
    delete_id: await startDeleteRoom(
      ctx,
      deleteArgs(req.params.roomId, req.requester.userId, req.body),
    ),
  }),
});

/** GET /_synapse/admin/v2/rooms/{roomId}/delete_status — the room's deletions. */
export const getRoomDeleteStatus = route({
  method: 'GET',
  paths: ['/_synapse/admin/v2/rooms/{roomId}/delete_status'],
  auth: 'admin',
  schema: { params: RoomParams },
  handler: async (ctx, req) => deleteStatusesOfRoom(ctx, req.params.roomId),
});

/** GET /_synapse/admin/v2/rooms/delete_status/{deleteId} — one deletion. */
export const getDeleteStatus = route({
  method: 'GET',
  paths: ['/_synapse/admin/v2/rooms/delete_status/{deleteId}'],
  auth: 'admin',
  schema: { params: Type.Object({ deleteId: Type.String() }) },
  handler: async (ctx, req) => deleteStatusOf(ctx, req.params.deleteId),
});

/** GET /_synapse/admin/v1/rooms/{roomId}/block — is the room blocked? */
export const getBlock = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/rooms/{roomId}/block'],
  auth: 'admin',
  schema: { params: RoomParams },
  handler: (ctx, req) => getRoomBlock(ctx, req.params.roomId),
});

/** PUT /_synapse/admin/v1/rooms/{roomId}/block — block or unblock a room. */
export const putBlock = route({
  method: 'PUT',
  paths: ['/_synapse/admin/v1/rooms/{roomId}/block'],
  auth: 'admin',
  schema: { params: RoomParams, body: Type.Object({ block: Type.Boolean() }) },
  handler: (ctx, req) => setRoomBlock(ctx, req.requester.userId, req.params.roomId, req.body.block),
});

export const roomRoutes = [
  getRooms,
  getRoom,
  getMembers,
  getState,
  deleteRoomV1,
  deleteRoomV2,
  getRoomDeleteStatus,
  getDeleteStatus,
  getBlock,
  putBlock,
];
