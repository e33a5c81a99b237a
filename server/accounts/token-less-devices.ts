import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import * as store from './store.js';

/**
 * Devices that no client logs in as: MSC3814's dehydrated devices (server/e2ee/dehydrated/).
 * They are devices like any other (listed, keys queried, to-device messages delivered),
 * only without access tokens. Removing one is `removeDevices` (./sessions.ts).
 */

/** Whether the user has a device of that id, read inside `tx`. */
export async function hasDevice(tx: Tx, userId: string, deviceId: string): Promise<boolean> {
  return (await store.getDevice(tx, userId, deviceId)) !== undefined;
}

/** Adds a device without a session (no access token), inside `tx`. */
export async function addTokenLessDevice(
  ctx: Ctx,
  tx: Tx,
  d: { userId: string; deviceId: string; displayName: string | null },
): Promise<void> {
  await store.upsertDevice(tx, { ...d, createdTs: ctx.clock.now() });
}
