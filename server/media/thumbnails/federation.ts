import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { StreamReply, route, type Route } from '../../http/route.js';
import { MEDIA_SAFETY_HEADERS } from '../serve.js';
import { thumbnailArgs, thumbnailDisposition, ThumbnailQuery } from './params.js';
import { getThumbnail, type ThumbnailFile } from './thumbnail.js';

/**
 * The multipart/mixed answer of the federation media endpoints (spec v1.11): exactly two
 * parts, the media's metadata (always `{}` today) as JSON, then the bytes with their
 * Content-Type and Content-Disposition. The thumbnail file is streamed, not held.
 */
function multipartThumbnail(t: ThumbnailFile): StreamReply {
  const boundary = randomBytes(16).toString('hex');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
      `--${boundary}\r\nContent-Type: ${t.contentType}\r\n` +
      `Content-Disposition: ${thumbnailDisposition(t.contentType)}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const file = t.file.createReadStream();
  async function* body(): AsyncGenerator<Buffer> {
    yield head;
    for await (const chunk of file) yield chunk as Buffer;
    yield tail;
  }
  const stream = Readable.from(body(), { objectMode: false });
  // However the answer ends (done, HEAD, the other server gone mid-way), the file closes
  // with it rather than waiting for the garbage collector.
  stream.once('close', () => file.destroy());
  return new StreamReply(
    200,
    {
      ...MEDIA_SAFETY_HEADERS,
      'Content-Type': `multipart/mixed; boundary=${boundary}`,
      'Content-Length': String(head.length + t.length + tail.length),
    },
    stream,
  );
}

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
    return multipartThumbnail(t);
  },
});

export const federationThumbnailRoutes: Route[] = [getFederationThumbnail];
