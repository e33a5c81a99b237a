import { performance } from 'node:perf_hooks';
import type { Ctx } from '../context.js';
import { errors, HttpError, MatrixError } from '../core/errors.js';
import type { StreamReply } from '../http/route.js';
import { checkMediaAddress } from './ids.js';
import { findRemoteMediaToServe } from './remote/remote-media.js';
import type { LocalMedia } from './local-media.js';
import { toLocalMedia } from './media-row.js';
import { MEDIA_SAFETY_HEADERS, mediaReply } from './serve.js';
import { getLocalMediaRow, type LocalMediaRow } from './store.js';
import { mediaArrivedKey } from './upload.js';

/** The spec's default wait for an async upload's content (timeout_ms). */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 20_000;
/** The most a download waits, whatever timeout_ms asks (Synapse's cap). */
export const MAX_DOWNLOAD_TIMEOUT_MS = 60_000;

/** Local media that can be served: its content is there. */
export type ServableMedia = LocalMedia & { path: string; length: number; sha256: string };

/**
 * Finds media to download, as a client asked for it:
 * - 400 M_INVALID_PARAM for a malformed server name or media id;
 * - 404 M_NOT_FOUND for another server's media (remote media is not fetched yet), an
 *   unknown id, quarantined media, and, on the legacy unauthenticated endpoints, media
 *   uploaded while enable_authenticated_media was on (Synapse's rule: such media is served
 *   only by /_matrix/client/v1/media; turning the option off serves it again);
 * - for an async upload whose content has not arrived, waits up to `timeoutMs` (capped)
 *   for it, then 504 M_NOT_YET_UPLOADED.
 * Another server's media is found by findRemoteMediaToServe (remote/remote-media.ts) when
 * `remote` is given (downloads), fetched from its origin unless `remote.allow` is false;
 * without `remote` (thumbnails) it stays 404.
 */
export async function findMediaToServe(
  ctx: Ctx,
  a: {
    serverName: string;
    mediaId: string;
    legacy: boolean;
    timeoutMs: number;
    /**
     * The request's abort signal, asked for only when the download must wait (an async
     * upload not arrived): making one for every request costs a share of serving a file.
     */
    signal: () => AbortSignal;
    remote?: { allow: boolean };
  },
): Promise<ServableMedia> {
  checkMediaAddress(a.serverName, a.mediaId);
  if (a.serverName !== ctx.config.serverName) {
    if (!a.remote) throw errors.notFound('Remote media is not available');
    return findRemoteMediaToServe(ctx, {
      origin: a.serverName,
      mediaId: a.mediaId,
      legacy: a.legacy,
      allowRemote: a.remote.allow,
      timeoutMs: Math.min(Math.max(0, a.timeoutMs), MAX_DOWNLOAD_TIMEOUT_MS),
    });
  }
  // A wait is a real duration (as /sync's long-poll), not a point on the injectable clock.
  const deadline = performance.now() + Math.min(Math.max(0, a.timeoutMs), MAX_DOWNLOAD_TIMEOUT_MS);
  for (;;) {
    const row = await getLocalMediaRow(ctx.db, a.mediaId);
    if (!row || !isServable(ctx, row, a.legacy)) throw errors.notFound('Media not found');
    if (row.sha256 !== null) return toLocalMedia(ctx, row) as ServableMedia;
    if (row.created_ts < ctx.clock.now() - ctx.config.unusedExpirationTimeMs) {
      throw errors.notFound('Media not found');
    }
    const left = deadline - performance.now();
    const signal = a.signal();
    if (left <= 0 || signal.aborted) throw notYetUploaded();
    // Woken by the upload's commit (storeUpload notifies this key), or at the deadline.
    await ctx.notifier.wait([mediaArrivedKey(a.mediaId)], left, signal);
  }
}

function isServable(ctx: Ctx, row: LocalMediaRow, legacy: boolean): boolean {
  if (row.quarantined) return false;
  if (legacy && row.authenticated && ctx.config.enableAuthenticatedMedia) return false;
  return true;
}

function notYetUploaded(): MatrixError {
  return new MatrixError('M_NOT_YET_UPLOADED', 'Media has not been uploaded yet', 504);
}

/**
 * A download as a client asked for it (findMediaToServe, then mediaReply), with the media
 * safety headers on its errors too.
 */
export async function downloadMedia(
  ctx: Ctx,
  a: {
    serverName: string;
    mediaId: string;
    fileName: string | null;
    legacy: boolean;
    timeoutMs: string | undefined;
    /** See findMediaToServe. */
    signal: () => AbortSignal;
    range: string | undefined;
    ifNoneMatch: string | undefined;
    /** The legacy endpoints' allow_remote (default true): "false" answers 404 unfetched. */
    allowRemote?: string | undefined;
  },
): Promise<StreamReply> {
  try {
    if (a.timeoutMs !== undefined && !/^\d{1,10}$/.test(a.timeoutMs)) {
      throw errors.invalidParam('timeout_ms must be an integer');
    }
    const timeoutMs = a.timeoutMs === undefined ? DEFAULT_DOWNLOAD_TIMEOUT_MS : Number(a.timeoutMs);
    const media = await findMediaToServe(ctx, {
      ...a,
      timeoutMs,
      remote: { allow: a.allowRemote !== 'false' },
    });
    return await mediaReply(media, {
      fileName: a.fileName,
      range: a.range,
      ifNoneMatch: a.ifNoneMatch,
      // Authenticated answers are for one user: no shared cache may keep them.
      cacheControl: a.legacy ? 'public, max-age=86400, s-maxage=86400' : 'private, max-age=86400',
    });
  } catch (err) {
    if (err instanceof HttpError) {
      throw new HttpError(err.status, err.body, { ...err.headers, ...MEDIA_SAFETY_HEADERS });
    }
    throw err;
  }
}
