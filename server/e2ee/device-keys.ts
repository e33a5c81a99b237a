import type { Ctx } from '../context.js';
import { getDeviceKeysJson } from './keys/store.js';

/**
 * A device's signed DeviceKeys object as its client uploaded it (POST /keys/upload), or null
 * when the device has none (or no such device). Owned by the device-keys work (issue 5).
 * The object is as stored: without `unsigned`, and without the signatures uploaded later by
 * POST /keys/signatures/upload (those are the cross-signing tables').
 */
export async function getDeviceKeys(
  ctx: Ctx,
  userId: string,
  deviceId: string,
): Promise<Record<string, unknown> | null> {
  const json = await getDeviceKeysJson(ctx.db, userId, deviceId);
  return json === undefined ? null : (JSON.parse(json) as Record<string, unknown>);
}
