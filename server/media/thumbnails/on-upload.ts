import type { Ctx } from '../../context.js';
import type { LocalMedia } from '../local-media.js';

/**
 * Called by the media store once an upload's content is stored (not awaited by the upload's
 * answer; errors are the thumbnailer's to log): makes the thumbnails Synapse pre-generates
 * for images. INTERFACE STUB (owner: thumbnails engineer).
 */
export async function thumbnailsAfterUpload(_ctx: Ctx, _media: LocalMedia): Promise<void> {}
