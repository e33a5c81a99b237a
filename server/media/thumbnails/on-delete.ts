import type { Ctx } from '../../context.js';
import type { Tx } from '../../db/sql.js';
import { removeThumbnailFiles } from './files.js';
import { deleteThumbnailsOfContent } from './store.js';

/**
 * For the media store, inside the writer unit that removes a content file (no media uses
 * its hash any more): forgets that content's thumbnails, and removes their files once the
 * unit has committed (a rollback keeps both).
 */
export async function thumbnailsOnContentRemoved(ctx: Ctx, tx: Tx, sha256: string): Promise<void> {
  await deleteThumbnailsOfContent(tx, sha256);
  tx.afterCommit(() => {
    removeThumbnailFiles(ctx.config.mediaStorePath, sha256).catch((err: unknown) =>
      ctx.log.warn({ err, sha256 }, 'removing thumbnail files failed'),
    );
  });
}
