import { Type } from '@sinclair/typebox';
import { parseSize } from './units.js';

/**
 * The thumbnail keys of homeserver.yaml (Synapse's names), their schema and their
 * resolution, kept together so the shared config files only spread them in
 * (server/media/thumbnails/, docs/media.md "Thumbnails").
 */

const Size = Type.Union([Type.Integer({ minimum: 0 }), Type.String()], {
  description: 'a number of pixels, or a string like "32M"',
});

/** The keys, spread into ConfigSchema. */
export const THUMBNAIL_KEYS = {
  dynamic_thumbnails: Type.Optional(Type.Boolean()),
  max_image_pixels: Type.Optional(Size),
  thumbnail_sizes: Type.Optional(
    Type.Array(
      Type.Object({
        width: Type.Integer({ minimum: 1 }),
        height: Type.Integer({ minimum: 1 }),
        method: Type.Union([Type.Literal('crop'), Type.Literal('scale')]),
      }),
    ),
  ),
};

export interface ThumbnailSizeConfig {
  width: number;
  height: number;
  method: 'crop' | 'scale';
}

/** Synapse's `thumbnail_sizes` default: the sizes the spec says servers SHOULD produce. */
export const DEFAULT_THUMBNAIL_SIZES: readonly ThumbnailSizeConfig[] = [
  { width: 32, height: 32, method: 'crop' },
  { width: 96, height: 96, method: 'crop' },
  { width: 320, height: 240, method: 'scale' },
  { width: 640, height: 480, method: 'scale' },
  { width: 800, height: 600, method: 'scale' },
];

export interface ThumbnailConfig {
  /**
   * Synapse's `dynamic_thumbnails` (default false): a thumbnail of exactly the requested
   * size is made on demand (and kept); off, the best of the pre-generated sizes is served.
   */
  dynamicThumbnails: boolean;
  /** Synapse's `max_image_pixels` (default 32M): larger images are never decoded. */
  maxImagePixels: number;
  /** Synapse's `thumbnail_sizes`: made for each image once it is uploaded. */
  thumbnailSizes: ThumbnailSizeConfig[];
}

interface RawThumbnails {
  dynamic_thumbnails?: boolean;
  max_image_pixels?: number | string;
  thumbnail_sizes?: ThumbnailSizeConfig[];
}

/** Resolves the keys; a bad value adds a problem to `later` (reported with the others). */
export function resolveThumbnailConfig(c: RawThumbnails, later: string[]): ThumbnailConfig {
  let maxImagePixels = 32 * 1024 * 1024;
  if (c.max_image_pixels !== undefined) {
    const n = parseSize(c.max_image_pixels);
    if (n === null || n < 1)
      later.push('max_image_pixels: expected a number of pixels such as "32M"');
    else maxImagePixels = n;
  }
  return {
    dynamicThumbnails: c.dynamic_thumbnails ?? false,
    maxImagePixels,
    thumbnailSizes: (c.thumbnail_sizes ?? DEFAULT_THUMBNAIL_SIZES).map((s) => ({ ...s })),
  };
}
