import { Readable } from 'node:stream';
import type { Ctx } from '../../context.js';
import { storeServerMedia } from '../local-media.js';
import type { OpenedUrl } from './fetch.js';

/** What a stored image adds to a preview (spec: GET /preview_url, matrix:image:size). */
export interface ImageFields {
  'og:image': string;
  'og:image:type': string;
  'matrix:image:size': number;
  'og:image:width'?: number;
  'og:image:height'?: number;
}

/** Decompression-bomb guard for reading an image's size (sharp's default is the same order). */
const MAX_PIXELS = 268_402_689;

/**
 * Stores an opened image answer as local media of this server (streamed, at most
 * `maxBytes`) and describes it for the preview: its mxc:// URI, type, size and, when
 * sharp can read them, its dimensions. Null, with a log line, when it cannot be stored
 * (too large, not an image, the media store failing): the preview then has no image.
 */
export async function storePreviewImage(
  ctx: Ctx,
  opened: Pick<OpenedUrl, 'body' | 'close' | 'url'>,
  a: { contentType: string; maxBytes: number },
): Promise<ImageFields | null> {
  try {
    const media = await storeServerMedia(ctx, {
      stream: opened.body,
      contentType: a.contentType,
      uploadName: fileNameOf(opened.url),
      maxBytes: a.maxBytes,
    });
    const fields: ImageFields = {
      'og:image': `mxc://${ctx.config.serverName}/${media.mediaId}`,
      'og:image:type': media.contentType ?? a.contentType,
      'matrix:image:size': media.length ?? 0,
    };
    const dims = media.path ? await imageSize(media.path) : null;
    if (dims) {
      fields['og:image:width'] = dims.width;
      fields['og:image:height'] = dims.height;
    }
    return fields;
  } catch (err) {
    ctx.log.warn(
      { err, url: opened.url.href },
      'URL preview: image not stored; the preview has none',
    );
    return null;
  } finally {
    opened.close();
  }
}

/** A data: URL's content as an opened answer, or null when it is not a base64/plain image. */
export function openDataUrl(
  url: URL,
  maxBytes: number,
): (OpenedUrl & { contentType: string }) | null {
  const m = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url.href);
  if (!m) return null;
  const contentType = (m[1] || 'text/plain').toLowerCase();
  const base64 = /;base64/i.test(m[2] ?? '');
  let bytes: Buffer;
  try {
    bytes = base64
      ? Buffer.from(decodeURIComponent(m[3]!), 'base64')
      : Buffer.from(decodeURIComponent(m[3]!));
  } catch {
    return null;
  }
  if (bytes.length > maxBytes) return null;
  return {
    url,
    contentType,
    headers: {},
    body: Readable.from([bytes]),
    close: () => {},
    truncateAtLimit: () => {},
  };
}

/** Width and height from the image's header (sharp loaded on first use), or null. */
async function imageSize(path: string): Promise<{ width: number; height: number } | null> {
  try {
    const sharp = (await import('sharp')).default;
    const meta = await sharp(path, { limitInputPixels: MAX_PIXELS }).metadata();
    return meta.width && meta.height ? { width: meta.width, height: meta.height } : null;
  } catch {
    return null;
  }
}

function fileNameOf(url: URL): string | null {
  if (url.protocol === 'data:') return null;
  const last = url.pathname.split('/').pop();
  if (!last) return null;
  try {
    return decodeURIComponent(last).slice(0, 255) || null;
  } catch {
    return null;
  }
}
