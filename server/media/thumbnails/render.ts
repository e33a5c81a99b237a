import type SharpDefault from 'sharp';
import type { Sharp } from 'sharp';
import { MatrixError } from '../../core/errors.js';
import type { ImageFormat } from './sniff.js';
import type { ThumbnailMethod } from './sizes.js';

/**
 * Image work with sharp (libvips). sharp is loaded on the first thumbnail, never at start:
 * loading libvips costs tens of MiB that a server which never sees an image need not pay.
 * Its operation cache is off and each operation uses one thread, so memory stays bounded
 * by the image at hand; decoding is refused beyond max_image_pixels (decompression bombs).
 */

type SharpModule = typeof SharpDefault;
let loading: Promise<SharpModule> | null = null;

function loadSharp(): Promise<SharpModule> {
  loading ??= import('sharp').then((m) => {
    const sharp = m.default;
    // No cache of decoded images or open files between operations: thumbnails are made
    // once and stored, so a cache would only hold memory.
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  });
  return loading;
}

/** Why an image cannot be thumbnailed; recorded per content, answered as a Matrix error. */
export type ThumbnailFailure = 'not_image' | 'corrupt' | 'too_large';

/** A thumbnailing failure that is the content's fault (not the server's). */
export class ThumbnailError extends Error {
  constructor(
    readonly failure: ThumbnailFailure,
    message: string,
    /** What the header said, when it was read (a too-large image). */
    readonly image?: ImageInfo,
  ) {
    super(message);
    this.name = 'ThumbnailError';
  }
}

/** The answer to a request for a thumbnail of content that cannot be thumbnailed. */
export function thumbnailFailureError(failure: ThumbnailFailure): MatrixError {
  // Spec (authed-content-repo.yaml): 413 M_TOO_LARGE "too large for the server to
  // thumbnail"; 400 M_UNKNOWN when the server cannot thumbnail the content.
  if (failure === 'too_large')
    return new MatrixError('M_TOO_LARGE', 'Content is too large to thumbnail', 413);
  return new MatrixError(
    'M_UNKNOWN',
    failure === 'corrupt'
      ? 'Cannot generate thumbnails for the requested content: the image cannot be decoded'
      : 'Cannot generate thumbnails for the requested content: not a JPEG, PNG, GIF or WebP image',
    400,
  );
}

/** What the header of an image says, in the orientation it is displayed in. */
export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
  /** Frames of an animated GIF or WebP (1: still). */
  pages: number;
}

/**
 * Reads an image's header (no pixels are decoded). Throws ThumbnailError when it is not an
 * image of the format its first bytes announce, or is larger than `maxPixels`.
 */
export async function probeImage(
  path: string,
  format: ImageFormat,
  maxPixels: number,
): Promise<ImageInfo> {
  const sharp = await loadSharp();
  let meta;
  try {
    // Header only, so no pixel limit here: the limit is checked below with the real size,
    // which lets the answer say "too large" rather than "corrupt".
    meta = await sharp(path, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ThumbnailError('corrupt', `unreadable image header: ${(err as Error).message}`);
  }
  if (meta.format !== format || !meta.width || !meta.height) {
    throw new ThumbnailError('not_image', `not a ${format} image (${meta.format})`);
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (width * height > maxPixels) {
    throw new ThumbnailError('too_large', `${width}x${height} is over ${maxPixels} pixels`, {
      format,
      width,
      height,
      pages: meta.pages ?? 1,
    });
  }
  return { format, width, height, pages: meta.pages ?? 1 };
}

export interface RenderedThumbnail {
  data: Buffer;
  contentType: string;
  width: number;
  height: number;
  animated: boolean;
}

/**
 * Decodes the image at `path` and makes a thumbnail of exactly `width`x`height` (sizes from
 * thumbnailGeometry, never above the image's own). JPEG for JPEG sources and PNG for the
 * others, as Synapse; animated WebP when `animated` (all frames decoded, within the same
 * pixel limit counted over every frame). Metadata (EXIF, GPS) is not copied. Throws
 * ThumbnailError for an image that cannot be decoded or is over the limit.
 */
export async function renderThumbnail(
  path: string,
  a: {
    format: ImageFormat;
    width: number;
    height: number;
    method: ThumbnailMethod;
    animated: boolean;
    maxPixels: number;
  },
): Promise<RenderedThumbnail> {
  const sharp = await loadSharp();
  let pipeline: Sharp = sharp(path, {
    limitInputPixels: a.maxPixels,
    failOn: 'error',
    autoOrient: true,
    animated: a.animated,
  }).resize(a.width, a.height, {
    // Scale sizes already have the image's aspect: 'fill' keeps the exact size computed.
    fit: a.method === 'crop' ? 'cover' : 'fill',
    position: 'centre',
  });
  let contentType: string;
  if (a.animated) {
    pipeline = pipeline.webp({ quality: 80 });
    contentType = 'image/webp';
  } else if (a.format === 'jpeg') {
    pipeline = pipeline.jpeg({ quality: 80 });
    contentType = 'image/jpeg';
  } else {
    pipeline = pipeline.png();
    contentType = 'image/png';
  }
  try {
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    return {
      data,
      contentType,
      width: info.width,
      height: info.pageHeight ?? info.height,
      animated: a.animated && (info.pages ?? 1) > 1,
    };
  } catch (err) {
    const message = (err as Error).message;
    if (/pixel limit/i.test(message)) throw new ThumbnailError('too_large', message);
    throw new ThumbnailError('corrupt', message);
  }
}
