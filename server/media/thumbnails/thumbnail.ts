import { open, type FileHandle } from 'node:fs/promises';
import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import { findMediaToServe } from '../download.js';
import { thumbnailPath } from './files.js';
import {
  canAnimate,
  examineSource,
  makeThumbnail,
  type SourceImage,
  type ThumbnailInput,
} from './generate.js';
import { pregeneratedSizes, pregenerateThumbnails, thumbnailKey } from './pregenerate.js';
import { ThumbnailError, thumbnailFailureError } from './render.js';
import { isThumbnailableType } from './sniff.js';
import { selectThumbnail, thumbnailGeometry, type ThumbnailMethod } from './sizes.js';
import { getThumbnails, type ThumbnailRow } from './store.js';

/** The largest width or height a client may ask for (larger: 400 M_INVALID_PARAM). */
export const MAX_THUMBNAIL_DIMENSION = 10_000;

export interface ThumbnailRequest {
  serverName: string;
  mediaId: string;
  width: number;
  height: number;
  method: ThumbnailMethod;
  /** The client prefers an animated thumbnail (spec: `animated=true`). */
  animated: boolean;
  timeoutMs: number;
  /** Asked on a legacy unauthenticated endpoint (/_matrix/media/v3). */
  legacy: boolean;
  /** The request's abort signal, made only if the media must be waited for (download.ts). */
  signal: () => AbortSignal;
  /**
   * Set for clients' requests: another server's media is fetched into the remote media
   * cache (unless `allow` is false) and thumbnailed here, as Synapse does. Unset for the
   * federation endpoint, which serves only this server's media.
   */
  remote?: { allow: boolean };
}

/** A thumbnail file opened for sending. */
export interface ThumbnailFile {
  file: FileHandle;
  length: number;
  contentType: string;
  width: number;
  height: number;
}

/**
 * The thumbnail answering a client's request (spec: GET /_matrix/client/v1/media/thumbnail).
 * - 400 M_INVALID_PARAM: width or height outside 1..MAX_THUMBNAIL_DIMENSION, a bad id;
 * - 404 M_NOT_FOUND: unknown or quarantined media (as downloads answer; remote media only
 *   for clients' requests), or no thumbnail of the requested method among thumbnail_sizes;
 * - 502/504 as a remote download: the origin failed, timed out, or sent too much;
 * - 504 M_NOT_YET_UPLOADED: an async upload whose content did not arrive in time;
 * - 400 M_UNKNOWN: content that is not a JPEG, PNG, GIF or WebP image, or cannot be decoded;
 * - 413 M_TOO_LARGE: an image over max_image_pixels.
 * Without dynamic_thumbnails, the best pre-generated size (Synapse's choice); with it, the
 * exact size, made once and kept. Animated (WebP) only when asked and the image is.
 */
export async function getThumbnail(ctx: Ctx, a: ThumbnailRequest): Promise<ThumbnailFile> {
  for (const [name, v] of [
    ['width', a.width],
    ['height', a.height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_THUMBNAIL_DIMENSION) {
      throw errors.invalidParam(`${name} must be an integer from 1 to ${MAX_THUMBNAIL_DIMENSION}`);
    }
  }
  const media = await findMediaToServe(ctx, a);
  if (!isThumbnailableType(media.contentType)) {
    throw new MatrixError(
      'M_UNKNOWN',
      `Cannot generate thumbnails for content of type ${media.contentType ?? '(none)'}`,
      400,
    );
  }
  const input = { sha256: media.sha256, path: media.path };
  try {
    const src = await examineSource(ctx, input);
    if (typeof src === 'string') throw thumbnailFailureError(src);
    const still = ctx.config.dynamicThumbnails
      ? await makeThumbnail(
          ctx,
          input,
          src,
          { ...thumbnailGeometry(src, a), method: a.method },
          { animated: false, pregenerated: false },
        )
      : await choosePregenerated(ctx, input, src, a);
    const row =
      a.animated && canAnimate(ctx, src) ? await animatedOf(ctx, input, src, still) : still;
    return await openThumbnail(ctx, input, src, row);
  } catch (err) {
    if (err instanceof ThumbnailError) throw thumbnailFailureError(err.failure);
    throw err;
  }
}

/**
 * Synapse's choice among the thumbnail_sizes of this image. Those not made yet (the
 * upload's run still going, or cut short by a restart) are made first: the request joins
 * the run's jobs rather than repeating them, and never settles for a smaller size that
 * merely happened to be ready.
 */
async function choosePregenerated(
  ctx: Ctx,
  input: ThumbnailInput,
  src: SourceImage,
  want: { width: number; height: number; method: ThumbnailMethod },
): Promise<ThumbnailRow> {
  const wanted = new Set(pregeneratedSizes(ctx, src).map(thumbnailKey));
  const read = async () =>
    (await getThumbnails(ctx.db, input.sha256, false)).filter((r) => wanted.has(thumbnailKey(r)));
  let pregenerated = await read();
  if (pregenerated.length < wanted.size) {
    const result = await pregenerateThumbnails(ctx, input);
    if (typeof result === 'string') throw thumbnailFailureError(result);
    pregenerated = await read();
  }
  if (!pregenerated.length) {
    throw new MatrixError(
      'M_UNKNOWN',
      'Cannot find any thumbnails for the requested media (dynamic thumbnails are disabled)',
      400,
    );
  }
  const chosen = selectThumbnail(
    pregenerated.map((r) => ({ ...r, method: r.method as ThumbnailMethod })),
    want,
  );
  if (!chosen) throw errors.notFound(`No ${want.method} thumbnail of this media`);
  return chosen;
}

/** The animated version of a still thumbnail's size; the still one if it cannot be made. */
async function animatedOf(
  ctx: Ctx,
  input: ThumbnailInput,
  src: SourceImage,
  still: ThumbnailRow,
): Promise<ThumbnailRow> {
  try {
    return await makeThumbnail(
      ctx,
      input,
      src,
      { width: still.width, height: still.height, method: still.method as ThumbnailMethod },
      { animated: true, pregenerated: false },
    );
  } catch (err) {
    if (err instanceof ThumbnailError && err.failure === 'too_large') return still;
    throw err;
  }
}

/** Opens a thumbnail's file; one whose file went missing is made again. */
async function openThumbnail(
  ctx: Ctx,
  input: ThumbnailInput,
  src: SourceImage,
  row: ThumbnailRow,
): Promise<ThumbnailFile> {
  const key = {
    sha256: row.sha256,
    method: row.method,
    width: row.width,
    height: row.height,
    animated: row.animated === 1,
    contentType: row.content_type,
  };
  const path = thumbnailPath(ctx.config.mediaStorePath, key);
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch {
    ctx.log.warn({ path }, 'thumbnail file missing: making it again');
    await makeThumbnail(
      ctx,
      input,
      src,
      { width: row.width, height: row.height, method: row.method as ThumbnailMethod },
      { animated: key.animated, pregenerated: row.pregenerated === 1, force: true },
    );
    file = await open(path, 'r');
  }
  const { size } = await file.stat();
  return {
    file,
    length: size,
    contentType: row.content_type,
    width: row.width,
    height: row.height,
  };
}
