import type { Ctx } from '../../context.js';
import type { Tx } from '../../db/sql.js';
import { removeDeviceSignatures } from '../cross-signing/device-removal.js';
import { markDeviceListChanged } from '../device-lists.js';
import { keyCountsChanged } from './key-counts.js';
import * as store from './store.js';

/**
 * What end-to-end encryption does when devices are removed (logout, device deletion,
 * deactivation), inside the removal's own writer unit: their device keys, one-time keys and
 * fallback keys go, with the signatures uploaded on them (a later login may reuse the id with new keys, and nobody may claim keys
 * of a device that is gone), and the device list changes, so that users sharing a room see
 * the user in device_lists.changed and other servers are told the devices were deleted.
 */
export async function removeDeviceKeys(
  ctx: Ctx,
  tx: Tx,
  userId: string,
  deviceIds: readonly string[],
): Promise<void> {
  if (!deviceIds.length) return;
  await store.deleteKeysOfDevices(tx, userId, deviceIds);
  keyCountsChanged(ctx, tx, userId, deviceIds);
  // Signatures of the old keys would be false ones on a later device of the same id.
  await removeDeviceSignatures(ctx, tx, userId, deviceIds);
  await markDeviceListChanged(ctx, tx, userId, deviceIds);
}
