import type { Ctx } from '../context.js';

/**
 * A device's signed DeviceKeys object as its client uploaded it (POST /keys/upload), or null
 * when the device has none (or no such device). Owned by the device-keys work (issue 5).
 * INTERFACE STUB: the body is filled in with the keys tables.
 */
export async function getDeviceKeys(
  _ctx: Ctx,
  _userId: string,
  _deviceId: string,
): Promise<Record<string, unknown> | null> {
  return null;
}
