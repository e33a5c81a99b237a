import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import type { ServableMedia } from '../download.js';
import { contentPath } from '../storage.js';
import { fetchRemoteMedia } from './fetch.js';
import { getRemoteMediaRow, touchRemoteMedia, type RemoteMediaRow } from './store.js';

/** Fetches in flight per server, by `origin/mediaId`: concurrent downloads share one. */
const inFlight = new WeakMap<Ctx, Map<string, Promise<void>>>();

/**
 * Another server's media, as a client asked for it (docs/media.md, "Remote media"):
 * - from the remote media cache when it is there (the origin is not asked again);
 * - 404 M_NOT_FOUND for quarantined media; on the legacy endpoints (`legacy`) while
 *   enable_authenticated_media is on, for media cached for the authenticated endpoints, and
 *   for anything not cached (Synapse fetches no remote media for them then);
 * - 404 without asking the origin when `allowRemote` is false;
 * - otherwise fetched from its origin (fetchRemoteMedia), one fetch for all the concurrent
 *   downloads of the same media, and served from the cache.
 */
export async function findRemoteMediaToServe(
  ctx: Ctx,
  a: { origin: string; mediaId: string; legacy: boolean; allowRemote: boolean; timeoutMs: number },
): Promise<ServableMedia> {
  const legacyLocked = a.legacy && ctx.config.enableAuthenticatedMedia;
  const cached = await getRemoteMediaRow(ctx.db, a.origin, a.mediaId);
  if (cached) {
    const media = servable(ctx, cached, legacyLocked);
    noteAccess(ctx, cached);
    return media;
  }
  if (!a.allowRemote || legacyLocked) throw errors.notFound('Media not found');
  const key = `${a.origin}/${a.mediaId}`;
  let fetches = inFlight.get(ctx);
  if (!fetches) inFlight.set(ctx, (fetches = new Map()));
  let fetch = fetches.get(key);
  if (!fetch) {
    const map = fetches;
    fetch = fetchRemoteMedia(ctx, a).finally(() => map.delete(key));
    fetches.set(key, fetch);
  }
  await fetch;
  const row = await getRemoteMediaRow(ctx.db, a.origin, a.mediaId);
  if (!row) throw errors.notFound('Media not found');
  return servable(ctx, row, legacyLocked);
}

/** Access is recorded at most hourly: a write per download would cost more than it tells. */
const ACCESS_GRANULARITY_MS = 3_600_000;

/**
 * Keeps last_access_ts (by which purgeRemoteMediaCache removes old media) roughly current,
 * without holding up the answer; a failure only makes the media look older.
 */
function noteAccess(ctx: Ctx, row: RemoteMediaRow): void {
  const now = ctx.clock.now();
  if (now - row.last_access_ts < ACCESS_GRANULARITY_MS) return;
  ctx.writer
    .transaction('media.touch_remote', (tx) =>
      touchRemoteMedia(tx, row.media_origin, row.media_id, now),
    )
    .catch((err: unknown) => ctx.log.warn({ err }, 'remote media: recording access failed'));
}

function servable(ctx: Ctx, row: RemoteMediaRow, legacyLocked: boolean): ServableMedia {
  if (row.quarantined || (legacyLocked && row.authenticated)) {
    throw errors.notFound('Media not found');
  }
  return {
    mediaId: row.media_id,
    contentType: row.content_type,
    uploadName: row.upload_name,
    length: row.media_length,
    sha256: row.sha256,
    path: contentPath(ctx, row.sha256),
    userId: null,
    createdTs: row.created_ts,
    quarantined: false,
  };
}
