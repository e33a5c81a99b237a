import { Type } from '@sinclair/typebox';
import type { IncomingHttpHeaders } from 'node:http';
import { errors } from '../../core/errors.js';
import { route } from '../../http/route.js';
import { createPendingMedia, uploadPendingMedia } from '../async-upload.js';
import { downloadMedia } from '../download.js';
import { mxcUri } from '../ids.js';
import { storeUpload } from '../upload.js';

/**
 * The content-repo module (data/api/client-server/content-repo.yaml): uploads, the async
 * upload flow, and the deprecated unauthenticated downloads and config under
 * /_matrix/media/v3 (also served under r0, as Synapse does). Thumbnails and URL previews
 * are the thumbnails and preview parts' routes.
 */

/** What an upload request says of its body: declared length, content type, file name. */
function uploadHeaders(headers: IncomingHttpHeaders, filename: string | undefined) {
  const cl = headers['content-length'];
  if (cl !== undefined && !/^\d{1,15}$/.test(cl)) {
    throw errors.invalidParam('Content-Length must be a number');
  }
  return {
    declaredLength: cl === undefined ? null : Number(cl),
    contentType: headers['content-type'] || null,
    uploadName: filename || null,
  };
}

/**
 * POST /_matrix/media/v3/upload — upload content; answers its mxc:// URI.
 * - The body is streamed to disk (rawBody), never held in memory; max_upload_size is
 *   checked from Content-Length before reading and again while reading: 413 M_TOO_LARGE.
 * - media_upload_limits: 400 M_RESOURCE_LIMIT_EXCEEDED (Synapse's answer).
 */
export const postUpload = route({
  method: 'POST',
  paths: ['/_matrix/media/v3/upload', '/_matrix/media/r0/upload'],
  auth: 'required',
  rawBody: true,
  schema: { query: Type.Object({ filename: Type.Optional(Type.String()) }) },
  async handler(ctx, req) {
    const media = await storeUpload(ctx, {
      userId: req.requester.userId,
      mediaId: null,
      stream: req.bodyStream,
      maxBytes: ctx.config.maxUploadSize,
      ...uploadHeaders(req.headers, req.query.filename),
    });
    return { content_uri: mxcUri(ctx, media.mediaId) };
  },
});

/** POST /_matrix/media/v1/create — reserve an mxc:// URI to upload to later (429 past the pending limit). */
export const postCreate = route({
  method: 'POST',
  paths: ['/_matrix/media/v1/create'],
  auth: 'required',
  handler: (ctx, req) => createPendingMedia(ctx, req.requester.userId),
});

/**
 * PUT /_matrix/media/v3/upload/{serverName}/{mediaId} — the content of a created media id.
 * - 403 M_FORBIDDEN for anyone but its creator, 409 M_CANNOT_OVERWRITE_MEDIA once it has
 *   content, 404 M_NOT_FOUND for an unknown or expired id; otherwise as POST /upload.
 */
export const putUpload = route({
  method: 'PUT',
  paths: [
    '/_matrix/media/v3/upload/{serverName}/{mediaId}',
    '/_matrix/media/r0/upload/{serverName}/{mediaId}',
  ],
  auth: 'required',
  rawBody: true,
  schema: {
    params: Type.Object({ serverName: Type.String(), mediaId: Type.String() }),
    query: Type.Object({ filename: Type.Optional(Type.String()) }),
  },
  async handler(ctx, req) {
    await uploadPendingMedia(ctx, {
      userId: req.requester.userId,
      ...req.params,
      stream: req.bodyStream,
      ...uploadHeaders(req.headers, req.query.filename),
    });
    return {};
  },
});

const DownloadParams = Type.Object({
  serverName: Type.String(),
  mediaId: Type.String(),
  fileName: Type.Optional(Type.String()),
});
const DownloadQuery = Type.Object({
  timeout_ms: Type.Optional(Type.String()),
  allow_remote: Type.Optional(Type.String()),
  allow_redirect: Type.Optional(Type.String()),
});

/**
 * GET /_matrix/media/v3/download/{serverName}/{mediaId}[/{fileName}] — deprecated
 * unauthenticated download.
 * - With enable_authenticated_media (default on), media uploaded while it was on is 404
 *   here (docs/media.md); older media is served as before.
 */
export const getLegacyDownload = route({
  method: 'GET',
  paths: [
    '/_matrix/media/v3/download/{serverName}/{mediaId}',
    '/_matrix/media/v3/download/{serverName}/{mediaId}/{fileName}',
    '/_matrix/media/r0/download/{serverName}/{mediaId}',
    '/_matrix/media/r0/download/{serverName}/{mediaId}/{fileName}',
  ],
  auth: 'none',
  schema: { params: DownloadParams, query: DownloadQuery },
  handler: (ctx, req) =>
    downloadMedia(ctx, {
      ...req.params,
      fileName: req.params.fileName ?? null,
      legacy: true,
      timeoutMs: req.query.timeout_ms,
      allowRemote: req.query.allow_remote,
      signal: () => req.signal,
      range: req.headers.range,
      ifNoneMatch: req.headers['if-none-match'],
    }),
});

/** GET /_matrix/media/v3/config — the upload size limit (m.upload.size). */
export const getLegacyConfig = route({
  method: 'GET',
  paths: ['/_matrix/media/v3/config', '/_matrix/media/r0/config'],
  auth: 'required',
  handler: async (ctx) => ({ 'm.upload.size': ctx.config.maxUploadSize }),
});

export const contentRepoRoutes = [
  postUpload,
  postCreate,
  putUpload,
  getLegacyDownload,
  getLegacyConfig,
];
