import type { Ctx } from '../context.js';
import type { LocalMedia } from './local-media.js';
import { contentPath } from './storage.js';
import type { LocalMediaRow } from './store.js';

/** The row as the other media parts see it. */
export function toLocalMedia(ctx: Ctx, row: LocalMediaRow): LocalMedia {
  return {
    mediaId: row.media_id,
    contentType: row.content_type,
    uploadName: row.upload_name,
    length: row.media_length,
    sha256: row.sha256,
    path: row.sha256 ? contentPath(ctx, row.sha256) : null,
    userId: row.user_id,
    createdTs: row.created_ts,
    quarantined: row.quarantined === 1,
  };
}
