import { Type } from '@sinclair/typebox';
import { errors } from '../../core/errors.js';
import { route } from '../../http/route.js';
import {
  deleteMedia,
  deleteUserMedia,
  listUserMedia,
  mediaInfo,
  mediaUsage,
  purgeMediaCache,
  quarantineMedia,
  quarantineRoomMedia,
} from '../media.js';
import { USAGE_ORDER, USER_MEDIA_ORDER } from '../media-store.js';
import { dirParam, intParam, orderParam } from '../paging.js';

/** Synapse's media admin API (docs/admin-api.md "Media"). */

const Str = Type.Optional(Type.String());
const PageQuery = Type.Object({ from: Str, limit: Str, order_by: Str, dir: Str });
const UserParams = Type.Object({ userId: Type.String() });
const MediaParams = Type.Object({ serverName: Type.String(), mediaId: Type.String() });

function userMediaPage(q: { from?: string; limit?: string; order_by?: string; dir?: string }) {
  return {
    from: intParam('from', q.from, 0),
    limit: intParam('limit', q.limit, 100),
    orderBy: orderParam(q.order_by, Object.keys(USER_MEDIA_ORDER), 'created_ts'),
    dir: dirParam(q.dir),
  };
}

/** GET /_synapse/admin/v1/users/{userId}/media — a user's uploads. */
export const getUserMedia = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/users/{userId}/media'],
  auth: 'admin',
  schema: { params: UserParams, query: PageQuery },
  handler: (ctx, req) => listUserMedia(ctx, req.params.userId, userMediaPage(req.query)),
});

/** DELETE /_synapse/admin/v1/users/{userId}/media — delete the page of uploads GET shows. */
export const deleteUserMediaRoute = route({
  method: 'DELETE',
  paths: ['/_synapse/admin/v1/users/{userId}/media'],
  auth: 'admin',
  schema: { params: UserParams, query: PageQuery },
  handler: (ctx, req) => deleteUserMedia(ctx, req.params.userId, userMediaPage(req.query)),
});

/** GET /_synapse/admin/v1/statistics/users/media — files and bytes uploaded per user. */
export const getMediaUsage = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/statistics/users/media'],
  auth: 'admin',
  schema: {
    query: Type.Object({
      from: Str,
      limit: Str,
      order_by: Str,
      dir: Str,
      from_ts: Str,
      until_ts: Str,
      search_term: Str,
    }),
  },
  handler: (ctx, req) => {
    const q = req.query;
    return mediaUsage(
      ctx,
      {
        fromTs: q.from_ts === undefined ? undefined : intParam('from_ts', q.from_ts, 0),
        untilTs: q.until_ts === undefined ? undefined : intParam('until_ts', q.until_ts, 0),
        searchTerm: q.search_term || undefined,
      },
      {
        from: intParam('from', q.from, 0),
        limit: intParam('limit', q.limit, 100),
        orderBy: orderParam(q.order_by, Object.keys(USAGE_ORDER), 'user_id'),
        dir: dirParam(q.dir),
      },
    );
  },
});

/** POST /_synapse/admin/v1/media/quarantine/{serverName}/{mediaId} */
export const postQuarantine = route({
  method: 'POST',
  paths: ['/_synapse/admin/v1/media/quarantine/{serverName}/{mediaId}'],
  auth: 'admin',
  schema: { params: MediaParams, body: Type.Optional(Type.Object({})) },
  handler: async (ctx, req) => {
    await quarantineMedia(ctx, req.params.serverName, req.params.mediaId, true);
    return {};
  },
});

/** POST /_synapse/admin/v1/media/unquarantine/{serverName}/{mediaId} */
export const postUnquarantine = route({
  method: 'POST',
  paths: ['/_synapse/admin/v1/media/unquarantine/{serverName}/{mediaId}'],
  auth: 'admin',
  schema: { params: MediaParams, body: Type.Optional(Type.Object({})) },
  handler: async (ctx, req) => {
    await quarantineMedia(ctx, req.params.serverName, req.params.mediaId, false);
    return {};
  },
});

/** POST /_synapse/admin/v1/room/{roomId}/media/quarantine — every media of a room. */
export const postQuarantineRoomMedia = route({
  method: 'POST',
  paths: ['/_synapse/admin/v1/room/{roomId}/media/quarantine'],
  auth: 'admin',
  schema: { params: Type.Object({ roomId: Type.String() }), body: Type.Optional(Type.Object({})) },
  handler: async (ctx, req) => ({
    num_quarantined: await quarantineRoomMedia(ctx, req.params.roomId),
  }),
});

/** DELETE /_synapse/admin/v1/media/{serverName}/{mediaId} — delete one local media. */
export const deleteOneMedia = route({
  method: 'DELETE',
  paths: ['/_synapse/admin/v1/media/{serverName}/{mediaId}'],
  auth: 'admin',
  schema: { params: MediaParams },
  handler: (ctx, req) => deleteMedia(ctx, req.params.serverName, req.params.mediaId),
});

/** GET /_synapse/admin/v1/media/{serverName}/{mediaId} — what is stored of one media. */
export const getMediaInfo = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/media/{serverName}/{mediaId}'],
  auth: 'admin',
  schema: { params: MediaParams },
  handler: (ctx, req) => mediaInfo(ctx, req.params.serverName, req.params.mediaId),
});

/** POST /_synapse/admin/v1/purge_media_cache?before_ts= — drop old cached remote media. */
export const postPurgeMediaCache = route({
  method: 'POST',
  paths: ['/_synapse/admin/v1/purge_media_cache'],
  auth: 'admin',
  schema: { query: Type.Object({ before_ts: Str }), body: Type.Optional(Type.Object({})) },
  handler: (ctx, req) => {
    if (req.query.before_ts === undefined) throw errors.missingParam('Missing before_ts');
    return purgeMediaCache(ctx, intParam('before_ts', req.query.before_ts, 0));
  },
});

export const mediaAdminRoutes = [
  getUserMedia,
  deleteUserMediaRoute,
  getMediaUsage,
  postQuarantine,
  postUnquarantine,
  postQuarantineRoomMedia,
  deleteOneMedia,
  getMediaInfo,
  postPurgeMediaCache,
];
