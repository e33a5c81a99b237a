import { open } from 'node:fs/promises';
import type { Ctx } from '../../context.js';
import { randomString } from '../../core/clock.js';
import { thumbnailPath, writeFileAtomically } from './files.js';
import { probeImage, renderThumbnail, ThumbnailError, type ThumbnailFailure } from './render.js';
import { SNIFF_BYTES, sniffImageFormat, type ImageFormat } from './sniff.js';
import type { ThumbnailMethod } from './sizes.js';
import {
  getThumbnails,
  getThumbnailSource,
  insertThumbnail,
  setThumbnailSource,
  type ThumbnailRow,
} from './store.js';

/**
 * Making thumbnails: learning what a content is (once), and making one thumbnail file and
 * its row. Image work runs one job at a time per server (decoding a large image holds its
 * pixels in memory: two cores and a bounded footprint matter more than latency here), and a
 * job asked for again while queued or running is shared, not repeated.
 */

/** The content a thumbnail is made from. */
export interface ThumbnailInput {
  sha256: string;
  path: string;
}

/** What thumbnailing knows of a content that can be thumbnailed. */
export interface SourceImage {
  format: ImageFormat;
  width: number;
  height: number;
  pages: number;
}

interface JobState {
  tail: Promise<void>;
  running: Map<string, Promise<unknown>>;
}

const jobStates = new WeakMap<Ctx, JobState>();

/** Runs `fn` after this server's other image jobs; the same `key` shares one run. */
function runJob<T>(ctx: Ctx, key: string, fn: () => Promise<T>): Promise<T> {
  let state = jobStates.get(ctx);
  if (!state) jobStates.set(ctx, (state = { tail: Promise.resolve(), running: new Map() }));
  const same = state.running.get(key);
  if (same) return same as Promise<T>;
  const run = state.tail.then(fn);
  const s = state;
  s.tail = run.then(
    () => undefined,
    () => undefined,
  );
  s.running.set(key, run);
  const done = () => {
    s.running.delete(key);
  };
  run.then(done, done);
  return run;
}

/**
 * What a content is, from the record or by reading its first bytes and header (once per
 * content). Resolves with the image, or with the reason it cannot be thumbnailed; throws
 * only on server trouble (an unreadable file).
 */
export async function examineSource(
  ctx: Ctx,
  input: ThumbnailInput,
): Promise<SourceImage | ThumbnailFailure> {
  const known = await getThumbnailSource(ctx.db, input.sha256);
  if (known) {
    const image = sourceFromRow(known);
    // A size refused under a lower max_image_pixels is looked at again if it was raised.
    if (known.failure !== 'too_large' || !image) return image ?? failureOf(known.failure);
    if (image.width * image.height > ctx.config.maxImagePixels) return 'too_large';
  }
  return runJob(ctx, `examine:${input.sha256}`, async () => {
    let result: SourceImage | ThumbnailFailure;
    let header: SourceImage | undefined;
    try {
      result = await probe(ctx, input.path);
    } catch (err) {
      if (!(err instanceof ThumbnailError)) throw err;
      ctx.log.info({ sha256: input.sha256, reason: err.message }, 'media cannot be thumbnailed');
      result = err.failure;
      header = err.image;
    }
    await recordSource(ctx, input.sha256, result, header);
    return result;
  });
}

async function probe(ctx: Ctx, path: string): Promise<SourceImage> {
  const head = Buffer.alloc(SNIFF_BYTES);
  const fh = await open(path, 'r');
  try {
    await fh.read(head, 0, SNIFF_BYTES, 0);
  } finally {
    await fh.close();
  }
  const format = sniffImageFormat(head);
  if (!format) throw new ThumbnailError('not_image', 'not a JPEG, PNG, GIF or WebP file');
  const info = await probeImage(path, format, ctx.config.maxImagePixels);
  return info;
}

/**
 * Whether an animated thumbnail can be made of `src`: an animated GIF or WebP whose frames
 * together stay within max_image_pixels (each frame is decoded).
 */
export function canAnimate(ctx: Ctx, src: SourceImage): boolean {
  return (
    src.pages > 1 &&
    (src.format === 'gif' || src.format === 'webp') &&
    src.width * src.height * src.pages <= ctx.config.maxImagePixels
  );
}

/**
 * The thumbnail of `input` at exactly `size` (from thumbnailGeometry), made and stored if
 * there is none yet (or `force`: its file went missing). The file is complete and in place
 * before its row is committed. Throws ThumbnailError when the image cannot be decoded;
 * the content is then recorded as corrupt (or too large) for later requests.
 */
export function makeThumbnail(
  ctx: Ctx,
  input: ThumbnailInput,
  src: SourceImage,
  size: { width: number; height: number; method: ThumbnailMethod },
  opts: { animated: boolean; pregenerated: boolean; force?: boolean },
): Promise<ThumbnailRow> {
  const key = `make:${input.sha256}:${size.method}:${size.width}x${size.height}:${opts.animated}`;
  return runJob(ctx, key, async () => {
    if (!opts.force) {
      const existing = await findThumbnail(ctx, input.sha256, size, opts.animated);
      if (existing) return existing;
    }
    let out;
    try {
      out = await renderThumbnail(input.path, {
        format: src.format,
        ...size,
        animated: opts.animated,
        maxPixels: ctx.config.maxImagePixels,
      });
    } catch (err) {
      // An animation too large to decode whole says nothing against the still image.
      if (err instanceof ThumbnailError && !(opts.animated && err.failure === 'too_large')) {
        ctx.log.info({ sha256: input.sha256, reason: err.message }, 'image cannot be decoded');
        await recordSource(ctx, input.sha256, err.failure);
      }
      throw err;
    }
    const row = {
      sha256: input.sha256,
      method: size.method,
      width: size.width,
      height: size.height,
      animated: opts.animated,
      contentType: out.contentType,
      length: out.data.length,
      pregenerated: opts.pregenerated,
      ts: ctx.clock.now(),
    };
    await writeFileAtomically(
      thumbnailPath(ctx.config.mediaStorePath, row),
      out.data,
      randomString(ctx.random, 8),
    );
    await ctx.writer.transaction('media.thumbnail.insert', (tx) => insertThumbnail(tx, row));
    return (await findThumbnail(ctx, input.sha256, size, opts.animated))!;
  });
}

async function findThumbnail(
  ctx: Ctx,
  sha256: string,
  size: { width: number; height: number; method: ThumbnailMethod },
  animated: boolean,
): Promise<ThumbnailRow | undefined> {
  const rows = await getThumbnails(ctx.db, sha256, animated);
  return rows.find(
    (r) => r.method === size.method && r.width === size.width && r.height === size.height,
  );
}

async function recordSource(
  ctx: Ctx,
  sha256: string,
  result: SourceImage | ThumbnailFailure,
  /** For a failure: what the header said, if it was read. */
  header?: SourceImage,
): Promise<void> {
  const image = typeof result === 'string' ? (header ?? null) : result;
  const known = image ? null : await getThumbnailSource(ctx.db, sha256);
  await ctx.writer.transaction('media.thumbnail.source', (tx) =>
    setThumbnailSource(tx, {
      sha256,
      // A failure found while decoding keeps what the header said (the size, for too_large).
      format: image?.format ?? known?.format ?? null,
      width: image?.width ?? known?.width ?? null,
      height: image?.height ?? known?.height ?? null,
      pages: image?.pages ?? known?.pages ?? null,
      failure: typeof result === 'string' ? result : null,
      ts: ctx.clock.now(),
    }),
  );
}

function sourceFromRow(row: {
  format: string | null;
  width: number | null;
  height: number | null;
  pages: number | null;
  failure: string | null;
}): SourceImage | null {
  if (row.failure && row.failure !== 'too_large') return null;
  if (!row.format || !row.width || !row.height) return null;
  return {
    format: row.format as ImageFormat,
    width: row.width,
    height: row.height,
    pages: row.pages ?? 1,
  };
}

function failureOf(failure: string | null): ThumbnailFailure {
  return failure === 'too_large' || failure === 'not_image' ? failure : 'corrupt';
}
