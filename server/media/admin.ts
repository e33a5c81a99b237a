import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { removeContentFile } from './storage.js';
import { thumbnailsOnContentRemoved } from './thumbnails/on-delete.js';
import {
  deleteLocalMediaRow,
  deleteRemoteMediaRow,
  getLocalMediaRow,
  getRemoteMediaAccessedBefore,
  isContentInUse,
  setLocalMediaQuarantined,
} from './store.js';

/**
 * The media store's admin operations (the admin API will expose them, as Synapse's
 * /_synapse/admin/v1/media/... does). A content file is shared by every row with its hash;
 * it is removed in the writer unit that leaves no row using it, so an upload of the same
 * bytes (whose rename also runs in a writer unit) cannot interleave with the removal.
 */

/** Quarantines (or releases) a local media id: quarantined media is served as 404. */
export async function setMediaQuarantined(
  ctx: Ctx,
  mediaId: string,
  quarantined: boolean,
): Promise<void> {
  const found = await ctx.writer.transaction('media.quarantine', (tx) =>
    setLocalMediaQuarantined(tx, mediaId, quarantined),
  );
  if (!found) throw errors.notFound('Unknown media ID');
}

/** Deletes a local media id; its file goes once no other media uses the same content. */
export async function deleteLocalMedia(ctx: Ctx, mediaId: string): Promise<void> {
  await ctx.writer.transaction('media.delete_local', async (tx) => {
    const row = await getLocalMediaRow(tx, mediaId);
    if (!row) throw errors.notFound('Unknown media ID');
    await deleteLocalMediaRow(tx, mediaId);
    if (row.sha256 && !(await isContentInUse(tx, row.sha256))) {
      removeContentFile(ctx, row.sha256);
      await thumbnailsOnContentRemoved(ctx, tx, row.sha256);
    }
  });
}

/**
 * Removes other servers' media from the cache when it was last accessed before `beforeTs`
 * (Synapse's purge_media_cache); returns how many were removed. Files shared with other
 * rows stay.
 */
export async function purgeRemoteMediaCache(ctx: Ctx, beforeTs: number): Promise<number> {
  return ctx.writer.transaction('media.purge_remote_cache', async (tx) => {
    const old = await getRemoteMediaAccessedBefore(tx, beforeTs);
    for (const m of old) await deleteRemoteMediaRow(tx, m.media_origin, m.media_id);
    for (const sha of new Set(old.map((m) => m.sha256))) {
      if (!(await isContentInUse(tx, sha))) {
        removeContentFile(ctx, sha);
        await thumbnailsOnContentRemoved(ctx, tx, sha);
      }
    }
    return old.length;
  });
}
