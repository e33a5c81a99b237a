import type { Readable } from 'node:stream';
import type { Ctx } from '../context.js';
import { errors, MatrixError } from '../core/errors.js';
import type { Tx } from '../db/sql.js';
import type { LocalMedia } from './local-media.js';
import { toLocalMedia } from './media-row.js';
import { checkUploadQuota } from './quota.js';
import { commitContent, discardContent, receiveContent } from './storage.js';
import { getLocalMediaRow, insertLocalMedia, setPendingMediaContent } from './store.js';
import { newMediaId } from './ids.js';
import { thumbnailsAfterUpload } from './thumbnails/on-upload.js';

/** The key a download waiting for an async upload's content listens on (ctx.notifier). */
export function mediaArrivedKey(mediaId: string): string {
  return `media:${mediaId}`;
}

/** 413 M_TOO_LARGE for a declared length over the limit: refused before reading any byte. */
export function checkDeclaredLength(declared: number | null, maxBytes: number): void {
  if (declared !== null && declared > maxBytes) {
    throw errors.tooLarge(`Upload is larger than the limit of ${maxBytes} bytes`);
  }
}

/**
 * Stores one upload: the body streamed to a temp file (hashed, size-limited while it
 * arrives), then in one writer unit the quota checked on the real size, the row added
 * (or, for `mediaId`, the async upload's row filled in) and the file moved into place.
 * Nothing is left behind on any failure. Once committed, the thumbnailer is told (not
 * awaited; its errors are logged).
 *
 * Throws M_TOO_LARGE (413), M_RESOURCE_LIMIT_EXCEEDED (400, the quota), or for an async
 * upload M_CANNOT_OVERWRITE_MEDIA (409) when its content arrived meanwhile.
 */
export async function storeUpload(
  ctx: Ctx,
  a: {
    userId: string | null;
    /** An async upload's id (its row exists, without content); null: a new id. */
    mediaId: string | null;
    stream: Readable;
    declaredLength: number | null;
    contentType: string | null;
    uploadName: string | null;
    maxBytes: number;
  },
): Promise<LocalMedia> {
  checkDeclaredLength(a.declaredLength, a.maxBytes);
  if (a.userId) await checkUploadQuota(ctx, ctx.db, a.userId, a.declaredLength ?? 0);
  const received = await receiveContent(ctx, a.stream, a.maxBytes);
  const mediaId = a.mediaId ?? newMediaId(ctx);
  const now = ctx.clock.now();
  const authenticated = ctx.config.enableAuthenticatedMedia;
  let media: LocalMedia;
  try {
    media = await ctx.writer.transaction('media.store_upload', async (tx: Tx) => {
      if (a.userId) await checkUploadQuota(ctx, tx, a.userId, received.length);
      const content = {
        contentType: a.contentType,
        uploadName: a.uploadName,
        length: received.length,
        sha256: received.sha256,
        authenticated,
      };
      if (a.mediaId) {
        const filled = await setPendingMediaContent(tx, { mediaId, uploadTs: now, ...content });
        if (!filled) throw cannotOverwrite();
      } else {
        await insertLocalMedia(tx, {
          mediaId,
          userId: a.userId,
          createdTs: now,
          uploadTs: now,
          ...content,
        });
      }
      // Last, so that a failure above leaves the temp file for discardContent below.
      commitContent(ctx, received);
      tx.afterCommit(() => ctx.notifier.notify([mediaArrivedKey(mediaId)]));
      const row = await getLocalMediaRow(tx, mediaId);
      return toLocalMedia(ctx, row!);
    });
  } catch (err) {
    discardContent(received);
    throw err;
  }
  thumbnailsAfterUpload(ctx, media).catch((err: unknown) => {
    ctx.log.warn({ err, mediaId }, 'thumbnails after upload failed');
  });
  return media;
}

/** 409 M_CANNOT_OVERWRITE_MEDIA: an async upload's content is already there. */
export function cannotOverwrite(): MatrixError {
  return new MatrixError('M_CANNOT_OVERWRITE_MEDIA', 'Media ID already has content', 409);
}
