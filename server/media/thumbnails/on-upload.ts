import type { Ctx } from '../../context.js';
import type { LocalMedia } from '../local-media.js';
import { pregenerateThumbnails } from './pregenerate.js';
import { isThumbnailableType } from './sniff.js';

/**
 * Called by the media store once an upload's content is stored (not awaited by the upload's
 * answer; errors are the thumbnailer's to log): makes the thumbnails Synapse pre-generates
 * for images (thumbnail_sizes). Never rejects: an image that cannot be thumbnailed is
 * recorded as such, and anything else is logged.
 */
export async function thumbnailsAfterUpload(ctx: Ctx, media: LocalMedia): Promise<void> {
  if (!media.sha256 || !media.path || !isThumbnailableType(media.contentType)) return;
  try {
    await pregenerateThumbnails(ctx, { sha256: media.sha256, path: media.path });
  } catch (err) {
    ctx.log.warn({ err, mediaId: media.mediaId }, 'thumbnailing an upload failed');
  }
}
