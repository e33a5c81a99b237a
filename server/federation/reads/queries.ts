import { getProfile } from '../../accounts/profile.js';
import { listDevicesForFederation } from '../../accounts/devices.js';
import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import { parseUserId } from '../../core/ids.js';

/**
 * What other servers ask about this server's users: profiles (spec "Querying for
 * information", query.yaml) and device lists (spec "Device Management", user_devices.yaml).
 */

/** 400 for a malformed user id or one of another server; the spec asks for local users only. */
function assertLocalUserId(ctx: Ctx, userId: string): void {
  const parsed = parseUserId(userId);
  if (!parsed) throw errors.invalidParam(`Invalid user id: ${userId}`);
  if (parsed.serverName !== ctx.config.serverName) {
    throw errors.invalidParam(`User ${userId} is not hosted on this server`);
  }
}

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
  device_display_name?: string;
}

/**
 * GET /user/devices/{userId}: a local user's devices. `keys` is left out until devices
 * have E2EE keys (Synapse leaves it out for a device without keys), and `stream_id` is 0
 * until device list updates are sent (m.device_list_update counts from it).
 */
export async function queryUserDevices(
  ctx: Ctx,
  userId: string,
): Promise<{ user_id: string; stream_id: number; devices: FederationDevice[] }> {
  assertLocalUserId(ctx, userId);
  const devices = await listDevicesForFederation(ctx, userId);
  if (!devices) throw errors.notFound(`Unknown user ${userId}`);
  return {
    user_id: userId,
    stream_id: 0,
    devices: devices.map((d) => ({
      device_id: d.deviceId,
      ...(d.displayName !== null ? { device_display_name: d.displayName } : {}),
    })),
  };
}
