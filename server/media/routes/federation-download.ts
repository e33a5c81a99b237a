import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { errors } from '../../core/errors.js';
import { StreamReply, route, type Route } from '../../http/route.js';
import { DEFAULT_DOWNLOAD_TIMEOUT_MS, findMediaToServe, type ServableMedia } from '../download.js';
import { contentDisposition, MEDIA_SAFETY_HEADERS } from '../serve.js';

/**
 * The multipart/mixed answer of GET /_matrix/federation/v1/media/download (spec v1.11):
 * exactly two parts, the metadata (`{}`) as JSON, then the content with its Content-Type
 * and Content-Disposition. The file is opened before answering (a missing file is a 404,
 * not a cut-off answer) and streamed.
 */
async function multipartMedia(media: ServableMedia): Promise<StreamReply> {
  const boundary = randomBytes(16).toString('hex');
  const contentType = media.contentType ?? 'application/octet-stream';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
      `--${boundary}\r\nContent-Type: ${contentType}\r\n` +
      `Content-Disposition: ${contentDisposition(contentType, media.uploadName)}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  let handle;
  try {
    handle = await open(media.path, 'r');
  } catch {
    throw errors.notFound('Media not found');
  }
  const file = handle.createReadStream();
  async function* body(): AsyncGenerator<Buffer> {
    yield head;
    for await (const chunk of file) yield chunk as Buffer;
    yield tail;
  }
  const stream = Readable.from(body(), { objectMode: false });
  // However the answer ends (done, HEAD, the other server gone), the file closes with it.
  stream.once('close', () => file.destroy());
  return new StreamReply(
    200,
    {
      ...MEDIA_SAFETY_HEADERS,
      'Content-Type': `multipart/mixed; boundary=${boundary}`,
      'Content-Length': String(head.length + media.length + tail.length),
    },
    stream,
  );
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
