import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { getRoom } from '../events/store.js';
import { deleteLocalMedia, purgeRemoteMediaCache, setMediaQuarantined } from '../media/admin.js';
import { getRemoteMediaRow } from '../media/remote/store.js';
import {
  getLocalMediaRow,
  setLocalMediaQuarantined,
  setRemoteMediaQuarantined,
} from '../media/store.js';
import * as store from './media-store.js';
import { nextToken } from './paging.js';
import { assertRoomId } from './rooms.js';
import { existingUser } from './users.js';

/**
 * The admin API's media operations (Synapse's Media Admin API shapes) over the media
 * repository's own (media/admin.ts): a user's uploads, usage per user, quarantine,
 * deletion and the remote cache purge.
 */

type Page = { from: number; limit: number; orderBy: string; dir: 'f' | 'b' };

function shownMedia(m: store.UserMediaRow): Record<string, unknown> {
  return {
    media_id: m.media_id,
    media_type: m.content_type,
    media_length: m.media_length,
    upload_name: m.upload_name,
    created_ts: m.created_ts,
    last_access_ts: m.created_ts,
    quarantined_by: m.quarantined ? 'admin' : null,
    safe_from_quarantine: false,
  };
}

/** GET /v1/users/{userId}/media: a page of the user's uploads. */
export async function listUserMedia(
  ctx: Ctx,
  userId: string,
  p: Page,
): Promise<Record<string, unknown>> {
  await existingUser(ctx, userId);
  const rows = await store.listUserMedia(ctx.db, userId, p);
  const total = await store.countUserMedia(ctx.db, userId);
  return { media: rows.map(shownMedia), ...nextToken(p.from, rows.length, total), total };
}

/** DELETE /v1/users/{userId}/media: deletes the page of the user's uploads that GET shows. */
export async function deleteUserMedia(
  ctx: Ctx,
  userId: string,
  p: Page,
): Promise<Record<string, unknown>> {
  await existingUser(ctx, userId);
  const rows = await store.listUserMedia(ctx.db, userId, p);
  const deleted: string[] = [];
  for (const m of rows) {
    await deleteLocalMedia(ctx, m.media_id);
    deleted.push(m.media_id);
  }
  ctx.log.info({ userId, deleted: deleted.length }, "a user's media deleted by an admin");
  return { deleted_media: deleted, total: deleted.length };
}

/** GET /v1/statistics/users/media: how many files and bytes each user uploaded. */
export async function mediaUsage(
  ctx: Ctx,
  f: store.UsageFilter,
  p: Page,
): Promise<Record<string, unknown>> {
  const rows = await store.listMediaUsage(ctx.db, f, p);
  const total = await store.countMediaUsers(ctx.db, f);
  return { users: rows, ...nextToken(p.from, rows.length, total), total };
}

/**
 * POST /v1/media/quarantine|unquarantine/{server}/{mediaId}: local media, or another
 * server's media cached here; 404 when neither is known.
 */
export async function quarantineMedia(
  ctx: Ctx,
  serverName: string,
  mediaId: string,
  quarantined: boolean,
): Promise<void> {
  if (serverName === ctx.config.serverName) {
    await setMediaQuarantined(ctx, mediaId, quarantined);
  } else {
    const found = await ctx.writer.transaction('media.quarantine_remote', (tx) =>
      setRemoteMediaQuarantined(tx, serverName, mediaId, quarantined),
    );
    if (!found) throw errors.notFound('Unknown media ID');
  }
  ctx.log.info({ serverName, mediaId, quarantined }, 'media quarantine changed');
}

/**
 * POST /v1/room/{roomId}/media/quarantine: quarantines every media the room's events point
 * to that is stored here (local, or cached from other servers); returns how many.
 */
export async function quarantineRoomMedia(ctx: Ctx, roomId: string): Promise<number> {
  assertRoomId(roomId);
  if (!(await getRoom(ctx.db, roomId))) throw errors.notFound('Room not found');
  let n = 0;
  for (const url of await store.listRoomMediaUrls(ctx.db, roomId)) {
    const m = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(url);
    if (!m) continue;
    const [, server, mediaId] = m as unknown as [string, string, string];
    const found = await ctx.writer.transaction('media.quarantine_room', async (tx) => {
      return server === ctx.config.serverName
        ? setLocalMediaQuarantined(tx, mediaId, true)
        : setRemoteMediaQuarantined(tx, server, mediaId, true);
    });
    if (found) n++;
  }
  ctx.log.info({ roomId, quarantined: n }, "a room's media quarantined");
  return n;
}

/** DELETE /v1/media/{server}/{mediaId}: deletes local media (400 for other servers'). */
export async function deleteMedia(
  ctx: Ctx,
  serverName: string,
  mediaId: string,
): Promise<Record<string, unknown>> {
  if (serverName !== ctx.config.serverName)
    throw errors.invalidParam('Can only delete local media');
  await deleteLocalMedia(ctx, mediaId);
  return { deleted_media: [mediaId], total: 1 };
}

/** POST /v1/purge_media_cache?before_ts=: drops remote media not accessed since then. */
export async function purgeMediaCache(ctx: Ctx, beforeTs: number): Promise<{ deleted: number }> {
  return { deleted: await purgeRemoteMediaCache(ctx, beforeTs) };
}

/** GET /v1/media/{server}/{mediaId}: what is stored of one media; 404 when nothing. */
export async function mediaInfo(
  ctx: Ctx,
  serverName: string,
  mediaId: string,
): Promise<Record<string, unknown>> {
  if (serverName === ctx.config.serverName) {
    const m = await getLocalMediaRow(ctx.db, mediaId);
    if (!m) throw errors.notFound('Unknown media ID');
    return {
      media_info: {
        media_origin: null,
        user_id: m.user_id,
        media_id: m.media_id,
        media_type: m.content_type,
        media_length: m.media_length,
        upload_name: m.upload_name,
        created_ts: m.created_ts,
        last_access_ts: m.upload_ts ?? m.created_ts,
        quarantined_by: m.quarantined ? 'admin' : null,
        authenticated: m.authenticated === 1,
        safe_from_quarantine: false,
        sha256: m.sha256,
      },
    };
  }
  const r = await getRemoteMediaRow(ctx.db, serverName, mediaId);
  if (!r) throw errors.notFound('Unknown media ID');
  return {
    media_info: {
      media_origin: r.media_origin,
      user_id: null,
      media_id: r.media_id,
      media_type: r.content_type,
      media_length: r.media_length,
      upload_name: r.upload_name,
      created_ts: r.created_ts,
      last_access_ts: r.last_access_ts,
      quarantined_by: r.quarantined ? 'admin' : null,
      authenticated: r.authenticated === 1,
      safe_from_quarantine: false,
      sha256: r.sha256,
    },
  };
}
