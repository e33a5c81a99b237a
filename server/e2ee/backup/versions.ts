import type { Requester } from '../../accounts/requester.js';
import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import { checkAuthData } from './algorithms.js';
import * as store from './store.js';

/**
 * Backup versions (client-server API, "Server-side key backups"; key_backup.yaml). Backups
 * are per user: every read and write is keyed by the requester, so one user never sees or
 * touches another's. Version numbers count up per user and are never reused (a deleted
 * version keeps its number). The current backup is the newest version not deleted: as in
 * Synapse, deleting the newest makes the one before it current again.
 */

export interface BackupInfo {
  algorithm: string;
  auth_data: Record<string, unknown>;
  count: number;
  etag: string;
  version: string;
}

/** Backups are not among the endpoints the spec's "Guest Access" module opens to guests. */
export function assertNotGuest(requester: Requester): void {
  if (requester.isGuest) {
    throw new MatrixError('M_GUEST_ACCESS_FORBIDDEN', 'Guests cannot use key backup', 403);
  }
}

/**
 * A version as the wire carries it ("1", "2", ...), or null for a string that names no
 * version Hearth could have made (no version of that name exists, so callers answer 404).
 */
export function parseVersion(version: string): number | null {
  return /^[1-9][0-9]{0,14}$/.test(version) ? Number(version) : null;
}

export const unknownVersion = (): MatrixError => errors.notFound('Unknown backup version');

/**
 * POST /room_keys/version: makes a new backup, which becomes the current one.
 * @throws MatrixError 400 M_BAD_JSON for auth_data its algorithm cannot use.
 */
export async function createBackupVersion(
  ctx: Ctx,
  requester: Requester,
  a: { algorithm: string; authData: Record<string, unknown> },
): Promise<{ version: string }> {
  assertNotGuest(requester);
  checkAuthData(a.algorithm, a.authData);
  const userId = requester.userId;
  const version = await ctx.writer.transaction('create_backup_version', async (tx) => {
    const next = (await store.getMaxVersion(tx, userId)) + 1;
    await store.insertVersion(tx, {
      userId,
      version: next,
      algorithm: a.algorithm,
      authDataJson: JSON.stringify(a.authData),
    });
    return next;
  });
  ctx.log.info({ userId, version }, 'key backup version created');
  return { version: String(version) };
}

/**
 * GET /room_keys/version and GET /room_keys/version/{version}: the backup's algorithm,
 * auth_data, key count and etag. `version` undefined: the current backup.
 * @throws MatrixError 404 M_NOT_FOUND when there is no current backup, or no such version
 * (deleted ones included).
 */
export async function getBackupVersion(
  ctx: Ctx,
  requester: Requester,
  version: string | undefined,
): Promise<BackupInfo> {
  assertNotGuest(requester);
  const userId = requester.userId;
  let row: store.VersionRow | undefined;
  if (version === undefined) {
    row = await store.getCurrentVersion(ctx.db, userId);
    if (!row) throw errors.notFound('No current backup version');
  } else {
    const n = parseVersion(version);
    row = n === null ? undefined : await store.getVersion(ctx.db, userId, n);
    if (!row || row.deleted) throw unknownVersion();
  }
  return {
    algorithm: row.algorithm,
    auth_data: JSON.parse(row.auth_data_json) as Record<string, unknown>,
    count: await store.countSessions(ctx.db, userId, row.version),
    etag: String(row.etag),
    version: String(row.version),
  };
}

/**
 * PUT /room_keys/version/{version}: replaces the backup's auth_data; nothing else may
 * change. Its keys and etag stay as they are.
 * @throws MatrixError 400 M_INVALID_PARAM when the body's `version` differs from the path's
 * or `algorithm` differs from the backup's; 404 M_NOT_FOUND for no such version; 400
 * M_BAD_JSON for auth_data the algorithm cannot use.
 */
export async function updateBackupVersion(
  ctx: Ctx,
  requester: Requester,
  a: {
    version: string;
    bodyVersion: string | undefined;
    algorithm: string;
    authData: Record<string, unknown>;
  },
): Promise<Record<string, never>> {
  assertNotGuest(requester);
  if (a.bodyVersion !== undefined && a.bodyVersion !== a.version) {
    throw errors.invalidParam('The version in the body does not match the version in the path');
  }
  const n = parseVersion(a.version);
  if (n === null) throw unknownVersion();
  const userId = requester.userId;
  await ctx.writer.transaction('update_backup_version', async (tx) => {
    const row = await store.getVersion(tx, userId, n);
    if (!row || row.deleted) throw unknownVersion();
    if (row.algorithm !== a.algorithm) {
      throw errors.invalidParam('The algorithm does not match the backup');
    }
    checkAuthData(a.algorithm, a.authData);
    await store.setAuthData(tx, userId, n, JSON.stringify(a.authData));
  });
  return {};
}

/**
 * DELETE /room_keys/version/{version}: deletes the backup and every key in it. Deleting a
 * version deleted before succeeds (spec: "or the specified backup was previously deleted").
 * @throws MatrixError 404 M_NOT_FOUND for a version that never existed.
 */
export async function deleteBackupVersion(
  ctx: Ctx,
  requester: Requester,
  version: string,
): Promise<Record<string, never>> {
  assertNotGuest(requester);
  const n = parseVersion(version);
  if (n === null) throw unknownVersion();
  const userId = requester.userId;
  const keys = await ctx.writer.transaction('delete_backup_version', async (tx) => {
    const row = await store.getVersion(tx, userId, n);
    if (!row) throw unknownVersion();
    if (row.deleted) return null;
    const deleted = await store.deleteSessions(tx, { userId, version: n });
    await store.markVersionDeleted(tx, userId, n);
    return deleted;
  });
  if (keys !== null) ctx.log.info({ userId, version: n, keys }, 'key backup version deleted');
  return {};
}
