import { listDevicesForFederation } from '../../accounts/devices.js';
import type { Ctx } from '../../context.js';
import type { Tx } from '../../db/sql.js';
import { destinationsForUser } from '../../federation/sender/destinations.js';
import { deviceListUpdateEdu } from '../../federation/sender/edus.js';
import { queueEduForDestinations } from '../../federation/sender/queue.js';
import { queryLocalDeviceKeys } from '../keys/local-keys.js';
import { takeDeviceListStreamIds } from './store.js';

/**
 * A ctx whose reads go through the writer unit `tx`, so that what the unit itself wrote (a
 * device's new keys, a deleted device, a room just joined) is what the EDUs carry.
 */
export function readingThrough(ctx: Ctx, tx: Tx): Ctx {
  return { ...ctx, db: tx };
}

/**
 * Tells the other servers that share a room with local user `userId` that devices `deviceIds`
 * changed (new or changed keys, new display name, deleted): one m.device_list_update EDU per
 * device, with a stream_id increasing per user and prev_id chaining them, queued inside the
 * writer unit `tx` and sent once it commits. Called by markDeviceListChanged.
 * - The stream ids are taken even when no server shares a room: a server that shared one
 *   before and shares one again then sees a gap, and reads the whole list again (spec
 *   server-server "Device Management"), instead of applying one update to an old list.
 * - Updates are made one after another, so each names only the one before it in prev_id
 *   (none for the user's first).
 * - `keys` is the device's DeviceKeys with every signature uploaded on it (a new
 *   cross-signing signature is announced too, as the spec asks); `deleted` when the device
 *   is gone by the end of the unit.
 */
export async function announceDeviceListChange(
  ctx: Ctx,
  tx: Tx,
  userId: string,
  deviceIds: readonly string[],
): Promise<void> {
  const ids = [...new Set(deviceIds)];
  if (!ids.length) return;
  let prev = await takeDeviceListStreamIds(tx, userId, ids.length);
  const inUnit = readingThrough(ctx, tx);
  const destinations = await destinationsForUser(inUnit, userId);
  if (!destinations.length) return;
  const devices = new Map(
    ((await listDevicesForFederation(inUnit, userId)) ?? []).map((d) => [d.deviceId, d]),
  );
  const keys = (await queryLocalDeviceKeys(inUnit, { [userId]: ids }))[userId] ?? {};
  for (const deviceId of ids) {
    const streamId = prev + 1;
    const content: Record<string, unknown> = {
      user_id: userId,
      device_id: deviceId,
      stream_id: streamId,
      prev_id: prev > 0 ? [prev] : [],
    };
    const device = devices.get(deviceId);
    if (!device) content.deleted = true;
    else {
      if (device.displayName !== null && ctx.config.allowDeviceNameLookupOverFederation) {
        content.device_display_name = device.displayName;
      }
      const deviceKeys = keys[deviceId];
      if (deviceKeys) {
        // `unsigned` is what this server adds for its clients; the EDU carries the keys only.
        const { unsigned: _unsigned, ...signed } = deviceKeys;
        content.keys = signed;
      }
    }
    await queueEduForDestinations(ctx, tx, deviceListUpdateEdu(content), destinations);
    prev = streamId;
  }
}
