import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ThumbnailMethod } from './sizes.js';

/**
 * Where thumbnail files live: under the media store, in `thumbnails/`, one folder per
 * content (by sha256, fanned out by its first bytes as the content files are).
 */

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
};

/** The folder holding every thumbnail of a content. */
export function thumbnailDir(mediaStorePath: string, sha256: string): string {
  return join(mediaStorePath, 'thumbnails', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

/** The file of one thumbnail. */
export function thumbnailPath(
  mediaStorePath: string,
  t: {
    sha256: string;
    method: ThumbnailMethod | string;
    width: number;
    height: number;
    animated: boolean;
    contentType: string;
  },
): string {
  const ext = EXTENSIONS[t.contentType] ?? 'bin';
  const name = `${t.width}x${t.height}-${t.method}${t.animated ? '-animated' : ''}.${ext}`;
  return join(thumbnailDir(mediaStorePath, t.sha256), name);
}

/**
 * Writes a file whole or not at all: into a temporary name beside it, flushed to disk, then
 * renamed into place. A crash leaves at worst a stray temporary file, never a short
 * thumbnail under its real name.
 */
export async function writeFileAtomically(
  path: string,
  data: Buffer,
  tmpSuffix: string,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${tmpSuffix}.tmp`;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Removes every thumbnail file of a content (for when the content itself goes). */
export async function removeThumbnailFiles(mediaStorePath: string, sha256: string): Promise<void> {
  await rm(thumbnailDir(mediaStorePath, sha256), { recursive: true, force: true });
}
