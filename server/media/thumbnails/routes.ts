import { Type, type Static } from '@sinclair/typebox';
import type { Ctx } from '../../context.js';
import { StreamReply, route, type Route } from '../../http/route.js';
import { MEDIA_SAFETY_HEADERS } from '../serve.js';
import { federationThumbnailRoutes } from './federation.js';
import { thumbnailArgs, thumbnailDisposition, ThumbnailQuery } from './params.js';
import { getThumbnail } from './thumbnail.js';

const Params = Type.Object({ serverName: Type.String(), mediaId: Type.String() });

async function answer(
  ctx: Ctx,
  req: {
    params: Static<typeof Params>;
    query: Static<typeof ThumbnailQuery>;
    signal: AbortSignal;
  },
  legacy: boolean,
): Promise<StreamReply> {
  const t = await getThumbnail(ctx, {
    serverName: req.params.serverName,
    mediaId: req.params.mediaId,
    ...thumbnailArgs(req.query),
    legacy,
    signal: () => req.signal,
    remote: { allow: req.query.allow_remote !== 'false' },
  });
  return new StreamReply(
    200,
    {
      ...MEDIA_SAFETY_HEADERS,
      'Content-Type': t.contentType,
      'Content-Length': String(t.length),
      'Content-Disposition': thumbnailDisposition(t.contentType),
      'Cache-Control': 'public, max-age=86400, s-maxage=86400',
    },
    t.file.createReadStream(),
  );
}

/**
 * GET /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId} — a thumbnail of local media.
 * - width and height are the smallest size the client wants; method crop or scale
 *   (default scale); animated=true asks for an animated WebP of an animated GIF or WebP.
 * - errors as getThumbnail documents (server/media/thumbnails/thumbnail.ts).
 */
export const getThumbnailAuthed = route({
  method: 'GET',
  paths: ['/_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}'],
  auth: 'required',
  schema: { params: Params, query: ThumbnailQuery },
  handler: (ctx, req) => answer(ctx, req, false),
});

/**
 * GET /_matrix/media/v3/thumbnail/{serverName}/{mediaId} — the legacy unauthenticated
 * thumbnail (deprecated in spec v1.11): media uploaded while enable_authenticated_media is
 * on is not served here (404), as downloads.
 */
export const getThumbnailLegacy = route({
  method: 'GET',
  paths: [
    '/_matrix/media/v3/thumbnail/{serverName}/{mediaId}',
    '/_matrix/media/r0/thumbnail/{serverName}/{mediaId}',
  ],
  auth: 'none',
  schema: { params: Params, query: ThumbnailQuery },
  handler: (ctx, req) => answer(ctx, req, true),
});

export const thumbnailRoutes: Route[] = [
  getThumbnailAuthed,
  getThumbnailLegacy,
  ...federationThumbnailRoutes,
];
