import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import {
  createAlias,
  deleteAlias,
  getVisibility,
  listPublicRooms,
  listRoomAliases,
  resolveAlias,
  setVisibility,
} from '../directory.js';

/** The spec's room alias (directory.yaml) and published room directory endpoints. */

const AliasParams = Type.Object({ roomAlias: Type.String() });
const RoomParams = Type.Object({ roomId: Type.String() });
const ALIAS_PATH = '/_matrix/client/v3/directory/room/{roomAlias}';
const VISIBILITY_PATH = '/_matrix/client/v3/directory/list/room/{roomId}';

/** The body of POST publicRooms, the same for clients and for other servers. */
export const PublicRoomsFilterBody = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  since: Type.Optional(Type.String()),
  filter: Type.Optional(
    Type.Object({
      generic_search_term: Type.Optional(Type.String()),
      room_types: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Null()]))),
    }),
  ),
  include_all_networks: Type.Optional(Type.Boolean()),
  third_party_instance_id: Type.Optional(Type.String()),
});

/** PUT /_matrix/client/v3/directory/room/{roomAlias} — map a local alias to a room. */
export const putAlias = route({
  method: 'PUT',
  paths: [ALIAS_PATH],
  auth: 'required',
  schema: { params: AliasParams, body: Type.Object({ room_id: Type.String() }) },
  handler: (ctx, req) =>
    createAlias(ctx, req.requester, { alias: req.params.roomAlias, roomId: req.body.room_id }),
});

/** GET /_matrix/client/v3/directory/room/{roomAlias} — resolve an alias. */
export const getAlias = route({
  method: 'GET',
  paths: [ALIAS_PATH],
  auth: 'optional',
  schema: { params: AliasParams },
  handler: (ctx, req) => resolveAlias(ctx, req.params.roomAlias),
});

/** DELETE /_matrix/client/v3/directory/room/{roomAlias} — remove an alias. */
export const deleteAliasRoute = route({
  method: 'DELETE',
  paths: [ALIAS_PATH],
  auth: 'required',
  schema: { params: AliasParams },
  handler: (ctx, req) => deleteAlias(ctx, req.requester, req.params.roomAlias),
});

/** GET /_matrix/client/v3/rooms/{roomId}/aliases — a room's local aliases. */
export const getRoomAliases = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/rooms/{roomId}/aliases'],
  auth: 'required',
  schema: { params: RoomParams },
  handler: (ctx, req) => listRoomAliases(ctx, req.requester, req.params.roomId),
});

/** GET /_matrix/client/v3/directory/list/room/{roomId} — is the room published. */
export const getRoomVisibility = route({
  method: 'GET',
  paths: [VISIBILITY_PATH],
  auth: 'optional',
  schema: { params: RoomParams },
  handler: (ctx, req) => getVisibility(ctx, req.params.roomId),
});

/** PUT /_matrix/client/v3/directory/list/room/{roomId} — publish or unpublish the room. */
export const putRoomVisibility = route({
  method: 'PUT',
  paths: [VISIBILITY_PATH],
  auth: 'required',
  schema: {
    params: RoomParams,
    body: Type.Object({
      visibility: Type.Union([Type.Literal('public'), Type.Literal('private')]),
    }),
  },
  handler: (ctx, req) =>
    setVisibility(ctx, req.requester, {
      roomId: req.params.roomId,
      visibility: req.body.visibility,
    }),
});

/**
 * GET /_matrix/client/v3/publicRooms — the published room directory.
 * - No access token needed, as the spec's OpenAPI has it (Synapse's default,
 *   allow_public_rooms_without_auth: false, asks for one).
 */
export const getPublicRooms = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/publicRooms'],
  auth: 'optional',
  schema: {
    query: Type.Object({
      limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })),
      since: Type.Optional(Type.String()),
      server: Type.Optional(Type.String()),
    }),
  },
  handler: (ctx, req) =>
    listPublicRooms(ctx, {
      server: req.query.server,
      limit: req.query.limit === undefined ? undefined : Number(req.query.limit),
      since: req.query.since,
    }),
});

/** POST /_matrix/client/v3/publicRooms — the published room directory, filtered. */
export const postPublicRooms = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/publicRooms'],
  auth: 'required',
  schema: {
    query: Type.Object({ server: Type.Optional(Type.String()) }),
    body: PublicRoomsFilterBody,
  },
  handler: (ctx, req) =>
    listPublicRooms(ctx, {
      server: req.query.server,
      limit: req.body.limit,
      since: req.body.since,
      searchTerm: req.body.filter?.generic_search_term,
      roomTypes: req.body.filter?.room_types,
      includeAllNetworks: req.body.include_all_networks,
      thirdPartyInstanceId: req.body.third_party_instance_id,
    }),
});

export const directoryRoutes = [
  putAlias,
  getAlias,
  deleteAliasRoute,
  getRoomAliases,
  getRoomVisibility,
  putRoomVisibility,
  getPublicRooms,
  postPublicRooms,
];
