import type { Readable } from 'node:stream';
import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { checkMediaAddress, mxcUri, newMediaId } from './ids.js';
import type { LocalMedia } from './local-media.js';
import {
  countPendingUploads,
  getLocalMediaRow,
  getOldestPendingUploadTs,
  insertLocalMedia,
} from './store.js';
import { cannotOverwrite, storeUpload } from './upload.js';

/**
 * The async upload flow (spec 1.7, MSC2246): POST /_matrix/media/v1/create reserves a media
 * id; its creator then PUTs the content to /_matrix/media/v3/upload/{serverName}/{mediaId}
 * before it expires (Synapse's `unused_expiration_time`).
 */

/**
 * Reserves a media id for `userId`. 429 M_LIMIT_EXCEEDED when the user creates too fast
 * (rc_media_create) or already has `max_pending_media_uploads` ids awaiting content (as the
 * spec asks; retry_after_ms is when the oldest of them expires).
 */
export async function createPendingMedia(
  ctx: Ctx,
  userId: string,
): Promise<{ content_uri: string; unused_expires_at: number }> {
  const retry = ctx.rateLimiter.take(`media-create:${userId}`, ctx.config.rateLimits.mediaCreate);
  if (retry) throw errors.limitExceeded(retry);
  const mediaId = newMediaId(ctx);
  const now = ctx.clock.now();
  const expiry = ctx.config.unusedExpirationTimeMs;
  await ctx.writer.transaction('media.create_pending', async (tx) => {
    const since = now - expiry;
    if ((await countPendingUploads(tx, userId, since)) >= ctx.config.maxPendingMediaUploads) {
      const oldest = (await getOldestPendingUploadTs(tx, userId, since)) ?? now;
      throw errors.limitExceeded(Math.max(1, oldest + expiry - now));
    }
    await insertLocalMedia(tx, {
      mediaId,
      userId,
      contentType: null,
      uploadName: null,
      length: null,
      sha256: null,
      createdTs: now,
      uploadTs: null,
      authenticated: ctx.config.enableAuthenticatedMedia,
    });
  });
  return { content_uri: mxcUri(ctx, mediaId), unused_expires_at: now + expiry };
}

/**
 * Uploads the content of a created media id, as Synapse checks it: 404 for another
 * server's name, an unknown or expired id; 403 M_FORBIDDEN for anyone but its creator;
 * 409 M_CANNOT_OVERWRITE_MEDIA once it has content. Then as any upload (storeUpload).
 */
export async function uploadPendingMedia(
  ctx: Ctx,
  a: {
    userId: string;
    serverName: string;
    mediaId: string;
    stream: Readable;
    declaredLength: number | null;
    contentType: string | null;
    uploadName: string | null;
  },
): Promise<LocalMedia> {
  checkMediaAddress(a.serverName, a.mediaId);
  if (a.serverName !== ctx.config.serverName) {
    throw errors.notFound('Cannot upload to media of another server');
  }
  const row = await getLocalMediaRow(ctx.db, a.mediaId);
  if (!row) throw errors.notFound('Unknown media ID');
  if (row.user_id !== a.userId) {
    throw errors.forbidden('You must be the creator of the media to upload to it');
  }
  if (row.sha256 !== null) throw cannotOverwrite();
  if (row.created_ts < ctx.clock.now() - ctx.config.unusedExpirationTimeMs) {
    throw errors.notFound('Media ID has expired');
  }
  return storeUpload(ctx, { ...a, maxBytes: ctx.config.maxUploadSize });
}
