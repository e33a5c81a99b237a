import { errors, MatrixError } from '../core/errors.js';
import type { Ctx } from '../context.js';
import { requireOwnAccountUia } from './account.js';
import type { Requester } from './requester.js';
import { markDeviceListChanged } from '../e2ee/device-lists.js';
import { removeDevices } from './sessions.js';
import * as store from './store.js';
import { finishUia } from './uia.js';

/** Device management (spec: client-server API, "Device management"). */

const MAX_DISPLAY_NAME_LENGTH = 100;

export interface DeviceInfo {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

function toInfo(d: store.DeviceRow): DeviceInfo {
  return {
    device_id: d.device_id,
    ...(d.display_name !== null ? { display_name: d.display_name } : {}),
    ...(d.last_seen_ip !== null ? { last_seen_ip: d.last_seen_ip } : {}),
    ...(d.last_seen_ts !== null ? { last_seen_ts: d.last_seen_ts } : {}),
  };
}

export async function listDevices(ctx: Ctx, requester: Requester): Promise<DeviceInfo[]> {
  return (await store.listDevices(ctx.db, requester.userId)).map(toInfo);
}

/** The ids of any user's devices (to deliver to-device messages to them). */
export async function listDeviceIdsOf(ctx: Ctx, userId: string): Promise<string[]> {
  return (await store.listDevices(ctx.db, userId)).map((d) => d.device_id);
}

/**
 * A local user's devices as other servers see them (GET /_matrix/federation/v1/user/devices):
 * ids and display names, nothing of where they were last seen. Null for an unknown user.
 */
export async function listDevicesForFederation(
  ctx: Ctx,
  userId: string,
): Promise<{ deviceId: string; displayName: string | null }[] | null> {
  if (!(await store.getUser(ctx.db, userId))) return null;
  return (await store.listDevices(ctx.db, userId)).map((d) => ({
    deviceId: d.device_id,
    displayName: d.display_name,
  }));
}

export async function getDevice(
  ctx: Ctx,
  requester: Requester,
  deviceId: string,
): Promise<DeviceInfo> {
  const d = await store.getDevice(ctx.db, requester.userId, deviceId);
  if (!d) throw errors.notFound('No device with that id');
  return toInfo(d);
}

/** PUT /devices/{deviceId}: renames one of the user's devices (creating is for appservices). */
export async function renameDevice(
  ctx: Ctx,
  requester: Requester,
  deviceId: string,
  name: string | undefined,
): Promise<void> {
  if (name !== undefined && [...name].length > MAX_DISPLAY_NAME_LENGTH) {
    throw new MatrixError(
      'M_TOO_LARGE',
      `Device display name is too long (${MAX_DISPLAY_NAME_LENGTH} at most)`,
      400,
    );
  }
  const found = await ctx.writer.transaction('rename_device', async (tx) => {
    const device = await store.getDevice(tx, requester.userId, deviceId);
    if (!device) return false;
    if (name !== undefined && name !== device.display_name) {
      await store.setDeviceDisplayName(tx, requester.userId, deviceId, name);
      // Others see the name in /keys/query (unsigned.device_display_name).
      await markDeviceListChanged(ctx, tx, requester.userId, [deviceId]);
    }
    return true;
  });
  if (!found) throw errors.notFound('No device with that id');
}

/**
 * DELETE /devices/{id} and POST /delete_devices, after UIA. Unknown ids are ignored by both
 * (spec: 200 when "the device was successfully removed, or had been removed previously").
 */
export async function deleteDevices(
  ctx: Ctx,
  requester: Requester,
  deviceIds: string[],
  auth: unknown,
  op: { uri: string; method: string },
): Promise<void> {
  const uia = await requireOwnAccountUia(ctx, requester, auth, op.uri, op.method);
  await ctx.writer.transaction('delete_devices', async (tx) => {
    await removeDevices(ctx, tx, requester.userId, deviceIds);
    await finishUia(tx, uia);
  });
}

/**
 * Records when and from where a device was last seen. At most one write per device a
 * minute, off the request's path.
 */
export function noteDeviceSeen(
  ctx: Ctx,
  requester: Requester,
  ip: string | null,
  userAgent: string | null,
): void {
  const key = `${requester.userId}|${requester.deviceId}`;
  const now = ctx.clock.now();
  const last = ctx.caches.deviceLastSeen.get(key);
  if (last !== undefined && now - last < 60_000) return;
  ctx.caches.deviceLastSeen.set(key, now);
  ctx.writer
    .transaction('update_device_last_seen', (tx) =>
      store.setDeviceLastSeen(tx, {
        userId: requester.userId,
        deviceId: requester.deviceId,
        ts: now,
        ip,
        userAgent,
      }),
    )
    .catch((err: unknown) => ctx.log.warn({ err }, 'could not record device last seen'));
}
