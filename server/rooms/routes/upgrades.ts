import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { upgradeRoom } from '../upgrade.js';

/**
 * POST /_matrix/client/v3/rooms/{roomId}/upgrade — upgrade a room to a new room version.
 * - 400 M_UNSUPPORTED_ROOM_VERSION for an unknown version; 403 unless the user may send
 *   m.room.tombstone; additional_creators count only for versions with privileged creators.
 * - A repeat of a user's upgrade of a room (in flight or within 5 minutes) answers the
 *   same replacement room, as Synapse.
 */
export const postUpgrade = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/rooms/{roomId}/upgrade'],
  auth: 'required',
  schema: {
    params: Type.Object({ roomId: Type.String() }),
    body: Type.Object({
      new_version: Type.String(),
      additional_creators: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
    }),
  },
  handler: (ctx, req) =>
    upgradeRoom(ctx, req.requester, {
      roomId: req.params.roomId,
      newVersion: req.body.new_version,
      additionalCreators: req.body.additional_creators,
    }),
});

export const upgradeRoutes = [postUpgrade];
