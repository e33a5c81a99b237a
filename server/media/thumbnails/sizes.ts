/**
 * Thumbnail geometry and choice, pure: what size a thumbnail of an image comes out at, and
 * which stored thumbnail best answers a request (Synapse's rules, so clients see the sizes
 * they see from Synapse).
 */

export type ThumbnailMethod = 'crop' | 'scale';

export interface ThumbnailSize {
  width: number;
  height: number;
  method: ThumbnailMethod;
}

/**
 * The size a thumbnail of a `src` image comes out at for a requested size and method.
 * Never larger than the image in either dimension (spec: servers MUST NOT upscale).
 * - scale: the largest size of the image's aspect that fits in the request.
 * - crop: the request's aspect; the requested size when the image covers it, else the
 *   largest region of that aspect the image holds, unscaled.
 */
export function thumbnailGeometry(
  src: { width: number; height: number },
  req: ThumbnailSize,
): { width: number; height: number } {
  const { width: w, height: h } = src;
  if (req.method === 'scale') {
    // Synapse's aspect(): fit inside, rounding down, at least one pixel.
    let tw: number;
    let th: number;
    if (req.width * h < req.height * w) {
      tw = req.width;
      th = Math.max(Math.floor((req.width * h) / w), 1);
    } else {
      tw = Math.max(Math.floor((req.height * w) / h), 1);
      th = req.height;
    }
    if (tw > w || th > h) return { width: w, height: h };
    return { width: tw, height: th };
  }
  if (w >= req.width && h >= req.height) return { width: req.width, height: req.height };
  // The image cannot cover the request without upscaling: keep its pixels and crop it to
  // the request's aspect.
  if (w * req.height > h * req.width) {
    return { width: Math.max(Math.floor((h * req.width) / req.height), 1), height: h };
  }
  return { width: w, height: Math.max(Math.floor((w * req.height) / req.width), 1) };
}

export interface StoredThumbnail {
  width: number;
  height: number;
  method: ThumbnailMethod;
  length: number;
}

/**
 * The stored thumbnail that best answers a request, as Synapse chooses (its
 * `_select_thumbnail`): only thumbnails of the requested method; those at least as big as
 * the request in one dimension are preferred over the rest; among them, for crop the
 * closest aspect, then one at least as big in both dimensions, then the closest size; for
 * scale the closest size; ties go to the smaller file, then to the earlier one.
 */
export function selectThumbnail<T extends StoredThumbnail>(
  candidates: readonly T[],
  want: ThumbnailSize,
): T | null {
  const { width: dw, height: dh } = want;
  const big: { key: number[]; t: T }[] = [];
  const small: { key: number[]; t: T }[] = [];
  for (const t of candidates) {
    if (t.method !== want.method) continue;
    const size = Math.abs((dw - t.width) * (dh - t.height));
    const key =
      want.method === 'crop'
        ? [
            Math.abs(dw * t.height - dh * t.width),
            dw <= t.width && dh <= t.height ? 0 : 1,
            size,
            t.length,
          ]
        : [size, t.length];
    (t.width >= dw || t.height >= dh ? big : small).push({ key, t });
  }
  const pool = big.length ? big : small;
  let best: { key: number[]; t: T } | null = null;
  for (const c of pool) if (!best || lessThan(c.key, best.key)) best = c;
  return best?.t ?? null;
}

function lessThan(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
