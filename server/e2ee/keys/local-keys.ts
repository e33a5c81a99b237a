import type { Ctx } from '../../context.js';

/** user id -> device id -> the device's signed DeviceKeys (signatures merged in). */
export type DeviceKeysByUser = Record<string, Record<string, Record<string, unknown>>>;
/** user id -> device id -> key id ("signed_curve25519:AAAA") -> the key object. */
export type ClaimedKeys = Record<string, Record<string, Record<string, unknown>>>;

/**
 * The device keys of local users: `query` is user id -> device ids (empty: every device), as
 * in POST /keys/query. Every signature uploaded on a device (cross-signing) is merged into its
 * `signatures`, and `unsigned.device_display_name` is set. Unknown users and devices are left
 * out. Used by /keys/query and by federation /user/keys/query. INTERFACE STUB (owner:
 * device-keys engineer).
 */
export async function queryLocalDeviceKeys(
  _ctx: Ctx,
  _query: Record<string, readonly string[]>,
): Promise<DeviceKeysByUser> {
  return {};
}

/**
 * Claims one key per (local user, device) of `claims` (user id -> device id -> algorithm):
 * a one-time key, handed out once even under concurrent claims, else the fallback key. Devices
 * with neither are left out. Used by /keys/claim and federation /user/keys/claim.
 * INTERFACE STUB (owner: device-keys engineer).
 */
export async function claimLocalKeys(
  _ctx: Ctx,
  _claims: Record<string, Record<string, string>>,
): Promise<ClaimedKeys> {
  return {};
}
