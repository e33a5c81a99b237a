/**
 * The image formats Hearth thumbnails, told by their first bytes rather than by the content
 * type the uploader claimed. libvips has loaders for many more formats (SVG, PDF, TIFF, ...):
 * only these four ever reach it, so an SVG with a script, or anything else named .png, is
 * never rasterised (Synapse restricts Pillow the same way).
 */

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp';

/** Bytes needed by sniffImageFormat. */
export const SNIFF_BYTES = 16;

/** The format the leading bytes of a file announce, or null when it is none of the four. */
export function sniffImageFormat(head: Uint8Array): ImageFormat | null {
  const at = (i: number, bytes: number[]) => bytes.every((b, k) => head[i + k] === b);
  if (at(0, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (at(0, [0x47, 0x49, 0x46, 0x38]) && (head[4] === 0x37 || head[4] === 0x39) && head[5] === 0x61)
    return 'gif';
  if (at(0, [0x52, 0x49, 0x46, 0x46]) && at(8, [0x57, 0x45, 0x42, 0x50])) return 'webp';
  return null;
}

/**
 * The declared content types Synapse thumbnails (its thumbnail requirements); media of any
 * other declared type is not thumbnailed, whatever its bytes.
 */
const THUMBNAILABLE_TYPES = new Set([
  'image/jpeg',
  'image/jpg',
  'image/png',
  'image/gif',
  'image/webp',
]);

/** Whether media of this declared content type is thumbnailed at all. */
export function isThumbnailableType(contentType: string | null): boolean {
  if (!contentType) return false;
  return THUMBNAILABLE_TYPES.has(contentType.split(';')[0]!.trim().toLowerCase());
}
