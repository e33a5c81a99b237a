import type { Readable } from 'node:stream';
import type { Ctx } from '../context.js';
import { toLocalMedia } from './media-row.js';
import { getLocalMediaRow } from './store.js';
import { storeUpload } from './upload.js';

/**
 * The media repository's local media, as the other parts of it (thumbnails, URL previews,
 * remote media) read and add it. The signatures are shared by the media engineers; the
 * bodies belong to the media store (docs/media.md).
 */

export interface LocalMedia {
  /** The media id (the part after the server name in mxc://server/id). */
  mediaId: string;
  /** The content type the uploader gave (null: none given). */
  contentType: string | null;
  /** The file name the uploader gave (null: none given). */
  uploadName: string | null;
  /** Length in bytes (null: an async upload whose content has not arrived). */
  length: number | null;
  /** Hex sha256 of the content (null: not arrived yet). */
  sha256: string | null;
  /** Absolute path of the content file (null: not arrived yet). */
  path: string | null;
  /** The uploader (null: media stored by the server itself, e.g. a URL preview's image). */
  userId: string | null;
  createdTs: number;
  quarantined: boolean;
}

/** A local media item, or null when there is no such id. */
export async function getLocalMedia(ctx: Ctx, mediaId: string): Promise<LocalMedia | null> {
  const row = await getLocalMediaRow(ctx.db, mediaId);
  return row ? toLocalMedia(ctx, row) : null;
}

/**
 * Stores content the server itself fetched (a URL preview's image) as new local media:
 * streamed to disk, at most `maxBytes` (more: rejects with M_TOO_LARGE and stores
 * nothing), deduplicated by hash. No uploader, so no quota.
 */
export async function storeServerMedia(
  ctx: Ctx,
  a: { stream: Readable; contentType: string | null; uploadName: string | null; maxBytes: number },
): Promise<LocalMedia> {
  return storeUpload(ctx, {
    userId: null,
    mediaId: null,
    stream: a.stream,
    declaredLength: null,
    contentType: a.contentType,
    uploadName: a.uploadName,
    maxBytes: a.maxBytes,
  });
}
