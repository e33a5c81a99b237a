import { getProfile } from '../../accounts/profile.js';
import { listDevicesForFederation } from '../../accounts/devices.js';
import type { Ctx } from '../../context.js';
import { assertLocalUserId } from '../local-users.js';
import { errors } from '../../core/errors.js';
import { deviceListKeys, deviceListStreamId } from '../../e2ee/federation/serve-keys.js';

/**
 * What other servers ask about this server's users: profiles (spec "Querying for
 * information", query.yaml) and device lists (spec "Device Management", user_devices.yaml).
 */

/**
 * GET /query/profile?user_id=&field=: a local user's public profile, or one field of it
 * (an unset field gives {}, as the field is then simply absent). 404 M_NOT_FOUND for an
 * unknown user.
 */
export async function queryProfile(
  ctx: Ctx,
  a: { userId: string; field?: string | undefined },
): Promise<Record<string, unknown>> {
  assertLocalUserId(ctx, a.userId);
  const profile = await getProfile(ctx, a.userId);
  if (a.field === undefined) return profile;
  return a.field in profile ? { [a.field]: profile[a.field] } : {};
}

export interface FederationDevice {
  device_id: string;
  keys?: Record<string, unknown>;
  device_display_name?: string;
}

/**
 * GET /user/devices/{userId}: a local user's devices with their keys (`keys` is left out for
 * a device without any, as Synapse does), the user's master and self-signing keys, and the
 * stream id of the user's newest m.device_list_update (server/e2ee/federation/), from which
 * the asking server applies the next updates.
 */
export async function queryUserDevices(
  ctx: Ctx,
  userId: string,
): Promise<{
  user_id: string;
  stream_id: number;
  devices: FederationDevice[];
  master_key?: Record<string, unknown>;
  self_signing_key?: Record<string, unknown>;
}> {
  assertLocalUserId(ctx, userId);
  const streamId = await deviceListStreamId(ctx, userId); // first: see deviceListStreamId
  const devices = await listDevicesForFederation(ctx, userId);
  if (!devices) throw errors.notFound(`Unknown user ${userId}`);
  const { keys, ...crossSigning } = await deviceListKeys(ctx, userId);
  return {
    user_id: userId,
    stream_id: streamId,
    devices: devices.map((d) => ({
      device_id: d.deviceId,
      ...(keys[d.deviceId] ? { keys: keys[d.deviceId] } : {}),
      ...(d.displayName !== null && ctx.config.allowDeviceNameLookupOverFederation
        ? { device_display_name: d.displayName }
        : {}),
    })),
    ...crossSigning,
  };
}
