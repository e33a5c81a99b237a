import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { downloadMedia } from '../download.js';

/**
 * The authed-content-repo module (data/api/client-server/authed-content-repo.yaml, spec
 * 1.11): downloads and config under /_matrix/client/v1/media, with an access token.
 * Thumbnails and URL previews are the thumbnails and preview parts' routes.
 */

/**
 * GET /_matrix/client/v1/media/download/{serverName}/{mediaId}[/{fileName}] — download.
 * - Every local media is served here, whatever enable_authenticated_media says.
 * - Range requests (206, 416); the file name from the path, else the upload name, in
 *   Content-Disposition; inline only for the spec's safe types.
 */
export const getDownload = route({
  method: 'GET',
  paths: [
    '/_matrix/client/v1/media/download/{serverName}/{mediaId}',
    '/_matrix/client/v1/media/download/{serverName}/{mediaId}/{fileName}',
  ],
  auth: 'required',
  schema: {
    params: Type.Object({
      serverName: Type.String(),
      mediaId: Type.String(),
      fileName: Type.Optional(Type.String()),
    }),
    query: Type.Object({ timeout_ms: Type.Optional(Type.String()) }),
  },
  handler: (ctx, req) =>
    downloadMedia(ctx, {
      ...req.params,
      fileName: req.params.fileName ?? null,
      legacy: false,
      timeoutMs: req.query.timeout_ms,
      signal: () => req.signal,
      range: req.headers.range,
      ifNoneMatch: req.headers['if-none-match'],
    }),
});

/** GET /_matrix/client/v1/media/config — the upload size limit (m.upload.size). */
export const getConfig = route({
  method: 'GET',
  paths: ['/_matrix/client/v1/media/config'],
  auth: 'required',
  handler: async (ctx) => ({ 'm.upload.size': ctx.config.maxUploadSize }),
});

export const authedContentRepoRoutes = [getDownload, getConfig];
