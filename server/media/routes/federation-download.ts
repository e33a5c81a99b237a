import { open } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import { errors } from '../../core/errors.js';
import { route, type Route, type StreamReply } from '../../http/route.js';
import { DEFAULT_DOWNLOAD_TIMEOUT_MS, findMediaToServe, type ServableMedia } from '../download.js';
import { federationMultipart } from '../federation-multipart.js';
import { contentDisposition } from '../serve.js';

/**
 * The multipart/mixed answer of GET /_matrix/federation/v1/media/download: the file is
 * opened before answering (a missing file is a 404, not a cut-off answer).
 */
async function multipartMedia(media: ServableMedia): Promise<StreamReply> {
  let handle;
  try {
    handle = await open(media.path, 'r');
  } catch {
    throw errors.notFound('Media not found');
  }
  const contentType = media.contentType ?? 'application/octet-stream';
  return federationMultipart(handle, {
    length: media.length,
    contentType,
    disposition: contentDisposition(contentType, media.uploadName),
  });
}

/**
 * GET /_matrix/federation/v1/media/download/{mediaId} — this server's media for another
 * server (content_repository.yaml).
 * - Any local media may be asked for (authenticated media included: the other server serves
 *   it to its users only on the authenticated endpoints).
 * - 404 M_NOT_FOUND for unknown, expired or quarantined media; an async upload whose content
 *   has not arrived is waited for up to timeout_ms (default 20 s, capped at 60 s), then 504
 *   M_NOT_YET_UPLOADED, as for clients.
 */
export const getFederationDownload = route({
  method: 'GET',
  paths: ['/_matrix/federation/v1/media/download/{mediaId}'],
  auth: 'federation',
  schema: {
    params: Type.Object({ mediaId: Type.String() }),
    query: Type.Object({ timeout_ms: Type.Optional(Type.String()) }),
  },
  handler: async (ctx, req) => {
    const t = req.query.timeout_ms;
    if (t !== undefined && !/^\d{1,10}$/.test(t)) {
      throw errors.invalidParam('timeout_ms must be an integer');
    }
    const media = await findMediaToServe(ctx, {
      serverName: ctx.config.serverName,
      mediaId: req.params.mediaId,
      legacy: false,
      timeoutMs: t === undefined ? DEFAULT_DOWNLOAD_TIMEOUT_MS : Number(t),
      signal: () => req.signal,
    });
    return multipartMedia(media);
  },
});

export const federationDownloadRoutes: Route[] = [getFederationDownload];
