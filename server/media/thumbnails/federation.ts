import { Type } from '@sinclair/typebox';
import { route, type Route } from '../../http/route.js';
import { federationMultipart } from '../federation-multipart.js';
import { thumbnailArgs, thumbnailDisposition, ThumbnailQuery } from './params.js';
import { getThumbnail } from './thumbnail.js';

/**
 * GET /_matrix/federation/v1/media/thumbnail/{mediaId} — a thumbnail of this server's
 * media for another server (content_repository.yaml), chosen as for clients.
 * - Any local media may be asked for (authenticated media included: the other server
 *   serves it to its users on the authenticated endpoints).
 * - Errors as the client endpoint: 400 M_UNKNOWN / 413 M_TOO_LARGE for content that
 *   cannot be thumbnailed, 404 M_NOT_FOUND, 504 M_NOT_YET_UPLOADED.
 */
export const getFederationThumbnail = route({
  method: 'GET',
  paths: ['/_matrix/federation/v1/media/thumbnail/{mediaId}'],
  auth: 'federation',
  schema: {
    params: Type.Object({ mediaId: Type.String() }),
    query: ThumbnailQuery,
  },
  handler: async (ctx, req) => {
    const t = await getThumbnail(ctx, {
      serverName: ctx.config.serverName,
      mediaId: req.params.mediaId,
      ...thumbnailArgs(req.query),
      legacy: false,
      signal: () => req.signal,
    });
    return federationMultipart(t.file, {
      length: t.length,
      contentType: t.contentType,
      disposition: thumbnailDisposition(t.contentType),
    });
  },
});

export const federationThumbnailRoutes: Route[] = [getFederationThumbnail];
