import type { Requester } from '../../accounts/requester.js';
import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import type { Tx } from '../../db/sql.js';
import { markDeviceListChanged } from '../device-lists.js';
import { keyCountsChanged } from './key-counts.js';
import * as store from './store.js';
import { sameOneTimeKey, validateUpload, type ValidUpload } from './validate-upload.js';

/**
 * POST /keys/upload (client-server API, "End-to-End Encryption"): a device publishes its
 * identity keys, one-time keys and fallback keys.
 */

export interface UploadBody {
  device_keys?: unknown;
  one_time_keys?: unknown;
  fallback_keys?: unknown;
}

/**
 * Stores what the requester's device uploads, in one writer unit, and answers its one-time
 * key counts (`signed_curve25519` always listed, 0 when none, as Synapse does: clients read
 * that count to decide how many keys to upload).
 * @throws MatrixError 400 (validate-upload.ts, storeUploadedKeys) for bad input; nothing is
 *   stored.
 */
export async function uploadKeys(
  ctx: Ctx,
  requester: Requester,
  body: UploadBody,
): Promise<{ one_time_key_counts: Record<string, number> }> {
  const { userId, deviceId } = requester;
  const upload = validateUpload(userId, deviceId, body);
  const counts = await ctx.writer.transaction('upload_keys', (tx) =>
    storeUploadedKeys(ctx, tx, userId, deviceId, upload),
  );
  return { one_time_key_counts: { signed_curve25519: 0, ...counts } };
}

/**
 * Stores a checked upload (validateUpload) for a device inside `tx`, and resolves with the
 * device's one-time key counts by algorithm. Exported for uploads made for a device other
 * than the requester's own (a dehydrated device's keys, MSC3814), in their own unit.
 * - Device keys: stored when new or different from the stored ones (replaced, as Synapse
 *   does; an identical re-upload changes nothing), and then the device list changes: the
 *   device's user shows in device_lists.changed, and other servers are told.
 * - One-time keys: added in upload order; an id already held with the same key (signatures
 *   aside) is skipped, with another key it is 400 M_INVALID_PARAM, thrown inside the unit so
 *   that nothing of the upload is stored.
 * - Fallback keys: replace the device's key of their algorithm, unused; the same key again
 *   keeps its used flag (Synapse), so a retried upload cannot revive a used key.
 */
export async function storeUploadedKeys(
  ctx: Ctx,
  tx: Tx,
  userId: string,
  deviceId: string,
  upload: ValidUpload,
): Promise<Record<string, number>> {
  if (upload.deviceKeysJson !== null) {
    const old = await store.getDeviceKeysJson(tx, userId, deviceId);
    if (old !== upload.deviceKeysJson) {
      await store.setDeviceKeys(tx, {
        userId,
        deviceId,
        keyJson: upload.deviceKeysJson,
        ts: ctx.clock.now(),
      });
      await markDeviceListChanged(ctx, tx, userId, [deviceId]);
    }
  }
  if (upload.oneTimeKeys.length) {
    const ids = upload.oneTimeKeys.map((k) => `${k.algorithm}:${k.keyId}`);
    const held = await store.getOneTimeKeysByIds(tx, userId, deviceId, ids);
    const fresh = upload.oneTimeKeys.filter((k) => {
      const id = `${k.algorithm}:${k.keyId}`;
      const stored = held.get(id);
      if (stored === undefined) return true;
      if (!sameOneTimeKey(stored, k.keyJson)) {
        throw errors.invalidParam(`One-time key ${id} already exists with another key`);
      }
      return false;
    });
    await store.insertOneTimeKeys(tx, userId, deviceId, fresh);
    if (fresh.length) keyCountsChanged(ctx, tx, userId, [deviceId]);
  }
  for (const k of upload.fallbackKeys) {
    const old = await store.getFallbackKey(tx, userId, deviceId, k.algorithm);
    if (old && old.key_id === k.keyId && old.key_json === k.keyJson) continue;
    await store.setFallbackKey(tx, { userId, deviceId, ...k });
    keyCountsChanged(ctx, tx, userId, [deviceId]);
  }
  return store.countOneTimeKeys(tx, userId, deviceId);
}
