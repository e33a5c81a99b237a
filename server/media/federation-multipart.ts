import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { StreamReply } from '../http/route.js';
import { MEDIA_SAFETY_HEADERS } from './serve.js';

/**
 * The multipart/mixed answer of the federation media endpoints (/download and /thumbnail,
 * spec v1.11): exactly two parts, the media's metadata (always `{}` today) as JSON, then the
 * bytes with their Content-Type and Content-Disposition. The file is streamed, not held, and
 * closes however the answer ends (done, HEAD, the other server gone mid-way).
 */
export function federationMultipart(
  file: FileHandle,
  a: { length: number; contentType: string; disposition: string },
): StreamReply {
  const boundary = randomBytes(16).toString('hex');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
      `--${boundary}\r\nContent-Type: ${a.contentType}\r\n` +
      `Content-Disposition: ${a.disposition}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const content = file.createReadStream();
  async function* body(): AsyncGenerator<Buffer> {
    yield head;
    for await (const chunk of content) yield chunk as Buffer;
    yield tail;
  }
  const stream = Readable.from(body(), { objectMode: false });
  stream.once('close', () => content.destroy());
  return new StreamReply(
    200,
    {
      ...MEDIA_SAFETY_HEADERS,
      'Content-Type': `multipart/mixed; boundary=${boundary}`,
      'Content-Length': String(head.length + a.length + tail.length),
    },
    stream,
  );
}
