import type { Ctx } from '../../context.js';
import { examineSource, makeThumbnail, type SourceImage, type ThumbnailInput } from './generate.js';
import { ThumbnailError, type ThumbnailFailure } from './render.js';
import { thumbnailGeometry, type ThumbnailMethod } from './sizes.js';

/**
 * Makes the configured thumbnail_sizes of a content (those not made yet), still images
 * only: animated thumbnails are made when first asked for. Sizes that come out the same
 * for this image (a small image: every size is the image itself) are made once. Resolves
 * with the image, or with why it cannot be thumbnailed; throws only on server trouble.
 */
export async function pregenerateThumbnails(
  ctx: Ctx,
  input: ThumbnailInput,
): Promise<SourceImage | ThumbnailFailure> {
  const src = await examineSource(ctx, input);
  if (typeof src === 'string') return src;
  for (const size of pregeneratedSizes(ctx, src)) {
    try {
      await makeThumbnail(ctx, input, src, size, { animated: false, pregenerated: true });
    } catch (err) {
      // The image is undecodable: every other size would fail the same way.
      if (err instanceof ThumbnailError) return err.failure;
      throw err;
    }
  }
  return src;
}

/** The thumbnails thumbnail_sizes asks of this image, each distinct output size once. */
export function pregeneratedSizes(
  ctx: Ctx,
  src: SourceImage,
): { width: number; height: number; method: ThumbnailMethod }[] {
  const out = new Map<string, { width: number; height: number; method: ThumbnailMethod }>();
  for (const size of ctx.config.thumbnailSizes) {
    const g = { ...thumbnailGeometry(src, size), method: size.method };
    out.set(thumbnailKey(g), g);
  }
  return [...out.values()];
}

/** One thumbnail's identity among a content's still thumbnails. */
export function thumbnailKey(t: { method: string; width: number; height: number }): string {
  return `${t.method}:${t.width}x${t.height}`;
}
