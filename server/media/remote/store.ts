import type { Queryable } from '../../db/sql.js';

/** SQL of remote media: reads of `remote_media_cache` (migration 0024; writes in ../store.ts). */

export interface RemoteMediaRow {
  media_origin: string;
  media_id: string;
  content_type: string | null;
  upload_name: string | null;
  media_length: number;
  sha256: string;
  created_ts: number;
  last_access_ts: number;
  quarantined: number;
  authenticated: number;
}

/** One cached remote media row, or undefined. */
export function getRemoteMediaRow(
  q: Queryable,
  origin: string,
  mediaId: string,
): Promise<RemoteMediaRow | undefined> {
  return q.get<RemoteMediaRow>(
    `SELECT media_origin, media_id, content_type, upload_name, media_length, sha256, created_ts,
       last_access_ts, quarantined, authenticated
     FROM remote_media_cache WHERE media_origin = ? AND media_id = ?`,
    origin,
    mediaId,
  );
}

/** Records that cached remote media was served at `ts` (what the cache purge goes by). */
export async function touchRemoteMedia(
  q: Queryable,
  origin: string,
  mediaId: string,
  ts: number,
): Promise<void> {
  await q.run(
    'UPDATE remote_media_cache SET last_access_ts = ? WHERE media_origin = ? AND media_id = ?',
    ts,
    origin,
    mediaId,
  );
}
