import type { Ctx } from '../../context.js';
import type { Tx } from '../../db/sql.js';
import * as store from './store.js';

/**
 * Drops the signatures uploaded on devices that are being removed, inside the removal's
 * writer unit: a later login may reuse a device id with new keys, and a signature of the old
 * keys merged into the new ones would be a false one. For the device-removal path
 * (server/e2ee/keys/device-removal.ts), which also marks the device list changed.
 */
export async function removeDeviceSignatures(
  _ctx: Ctx,
  tx: Tx,
  userId: string,
  deviceIds: readonly string[],
): Promise<void> {
  for (const deviceId of deviceIds) await store.deleteSignaturesOn(tx, userId, deviceId);
}
