import { open } from 'node:fs/promises';
import { errors } from '../core/errors.js';
import { StreamReply } from '../http/route.js';
import type { ServableMedia } from './download.js';

/**
 * How media content is answered: the safety headers on every answer, Content-Disposition
 * inline only for types that cannot run script, ranges, and the content hash as ETag.
 */

/** Spec, "Serving inline content" (Synapse's INLINE_CONTENT_TYPES): all else is attachment. */
const INLINE_CONTENT_TYPES = new Set([
  'text/css',
  'text/plain',
  'text/csv',
  'application/json',
  'application/ld+json',
  'image/jpeg',
  'image/gif',
  'image/png',
  'image/apng',
  'image/webp',
  'image/avif',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'audio/mp4',
  'audio/webm',
  'audio/aac',
  'audio/mpeg',
  'audio/ogg',
  'audio/wave',
  'audio/wav',
  'audio/x-wav',
  'audio/x-pn-wav',
  'audio/flac',
  'audio/x-flac',
]);

/** On every media answer, errors included (the spec's recommended policy, with media-src). */
export const MEDIA_SAFETY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; " +
    "style-src 'unsafe-inline'; media-src 'self'; object-src 'self';",
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

/** `inline` or `attachment`, with the file name as RFC 6266 `filename*=utf-8''...`. */
export function contentDisposition(contentType: string, fileName: string | null): string {
  const base = contentType.split(';')[0]!.trim().toLowerCase();
  const kind = INLINE_CONTENT_TYPES.has(base) ? 'inline' : 'attachment';
  if (!fileName) return kind;
  // RFC 5987 attr-char: encodeURIComponent leaves ' ( ) * ! unescaped, which are not.
  const encoded = encodeURIComponent(fileName).replace(
    /['()*!]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename*=utf-8''${encoded}`;
}

/**
 * One `bytes=` range of a `length`-byte file: [start, end] inclusive, 'unsatisfiable', or
 * null to send the whole file (no header, a malformed one, or several ranges, which
 * RFC 9110 lets a server answer with the whole content).
 */
export function parseRange(
  header: string | undefined,
  length: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, length - suffix), end: length - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= length) return 'unsatisfiable';
  return { start, end };
}

/**
 * The answer for a download: 200 with the whole file, 206 with one range, 416 for a range
 * past the end, 304 when If-None-Match names its hash. The file is opened before
 * answering, so a missing file is a 404 rather than a cut-off answer.
 */
export async function mediaReply(
  media: ServableMedia,
  a: {
    fileName: string | null;
    range: string | undefined;
    ifNoneMatch: string | undefined;
    cacheControl: string;
  },
): Promise<StreamReply> {
  const contentType = withCharset(media.contentType ?? 'application/octet-stream');
  const etag = `"${media.sha256}"`;
  const headers: Record<string, string> = {
    ...MEDIA_SAFETY_HEADERS,
    'Content-Type': contentType,
    'Content-Disposition': contentDisposition(contentType, a.fileName ?? media.uploadName),
    'Cache-Control': a.cacheControl,
    'Accept-Ranges': 'bytes',
    ETag: etag,
  };
  if (a.ifNoneMatch && a.ifNoneMatch.split(',').some((t) => t.trim() === etag)) {
    return new StreamReply(304, headers, null);
  }
  const range = parseRange(a.range, media.length);
  if (range === 'unsatisfiable') {
    return new StreamReply(
      416,
      { ...headers, 'Content-Range': `bytes */${media.length}`, 'Content-Length': '0' },
      null,
    );
  }
  let handle;
  try {
    handle = await open(media.path, 'r');
  } catch {
    throw errors.notFound('Media not found');
  }
  if (media.length === 0) {
    await handle.close();
    return new StreamReply(200, { ...headers, 'Content-Length': '0' }, null);
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? media.length - 1;
  // The stream owns the handle from here: it closes it when done or destroyed.
  const stream = handle.createReadStream({ start, end });
  headers['Content-Length'] = String(end - start + 1);
  if (range) {
    headers['Content-Range'] = `bytes ${start}-${end}/${media.length}`;
    return new StreamReply(206, headers, stream);
  }
  return new StreamReply(200, headers, stream);
}

/** Text without a charset is declared UTF-8, as Synapse does (browsers otherwise guess). */
function withCharset(contentType: string): string {
  if (/^text\//i.test(contentType) && !/charset=/i.test(contentType)) {
    return `${contentType}; charset=utf-8`;
  }
  return contentType;
}
