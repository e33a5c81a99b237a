import type { Readable } from 'node:stream';
import type { Ctx } from '../context.js';

/**
 * The media repository's local media, as the other parts of it (thumbnails, URL previews,
 * remote media) read and add it. INTERFACE STUB (owner: media-core engineer): the bodies are
 * filled in with the media store; the signatures are agreed.
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
export async function getLocalMedia(_ctx: Ctx, _mediaId: string): Promise<LocalMedia | null> {
  return null;
}

/**
 * Stores content the server itself fetched (a URL preview's image) as new local media:
 * streamed to disk, at most `maxBytes` (more: rejects with M_TOO_LARGE and stores
 * nothing), deduplicated by hash. INTERFACE STUB.
 */
export async function storeServerMedia(
  _ctx: Ctx,
  _a: { stream: Readable; contentType: string | null; uploadName: string | null; maxBytes: number },
): Promise<LocalMedia> {
  throw new Error('storeServerMedia: not built yet');
}
