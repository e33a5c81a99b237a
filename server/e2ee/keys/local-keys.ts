import type { Ctx } from '../../context.js';
import { userExists } from '../../accounts/users.js';
import { deviceSignaturesFor } from '../cross-signing/for-query.js';
import { keyCountsChanged } from './key-counts.js';
import * as store from './store.js';

/** user id -> device id -> the device's signed DeviceKeys (signatures merged in). */
export type DeviceKeysByUser = Record<string, Record<string, Record<string, unknown>>>;
/** user id -> device id -> key id ("signed_curve25519:AAAA") -> the key object. */
export type ClaimedKeys = Record<string, Record<string, Record<string, unknown>>>;

/**
 * The device keys of local users: `query` is user id -> device ids (empty: every device), as
 * in POST /keys/query. Every signature uploaded on a device (cross-signing) is merged into its
 * `signatures`, and `unsigned.device_display_name` is set. Unknown users and devices are left
 * out; a known user with no device keys is answered with {} (as Synapse). Used by /keys/query
 * and by federation /user/keys/query.
 */
export async function queryLocalDeviceKeys(
  ctx: Ctx,
  query: Record<string, readonly string[]>,
): Promise<DeviceKeysByUser> {
  const out: DeviceKeysByUser = {};
  for (const [userId, deviceIds] of Object.entries(query)) {
    const rows = await store.listDeviceKeys(ctx.db, userId, deviceIds.length ? deviceIds : null);
    if (!rows.length) {
      if (await userExists(ctx, userId)) out[userId] = {};
      continue;
    }
    const extra = await deviceSignaturesFor(
      ctx,
      userId,
      rows.map((r) => r.device_id),
    );
    const devices: Record<string, Record<string, unknown>> = {};
    for (const r of rows) {
      const keys = JSON.parse(r.key_json) as Record<string, unknown>;
      keys.signatures = mergeSignatures(keys.signatures, extra.get(r.device_id));
      // The spec's UnsignedDeviceInfo: the name is only there when the device has one.
      keys.unsigned = r.display_name !== null ? { device_display_name: r.display_name } : {};
      devices[r.device_id] = keys;
    }
    out[userId] = devices;
  }
  return out;
}

/** The device's own signatures with those uploaded later added (signer -> key id -> sig). */
function mergeSignatures(
  own: unknown,
  extra: Record<string, Record<string, string>> | undefined,
): Record<string, Record<string, string>> {
  const merged = { ...(own as Record<string, Record<string, string>>) };
  for (const [signer, sigs] of Object.entries(extra ?? {})) {
    merged[signer] = { ...merged[signer], ...sigs };
  }
  return merged;
}

/**
 * Claims one key per (local user, device) of `claims` (user id -> device id -> algorithm):
 * the device's oldest one-time key of that algorithm, else its fallback key of that
 * algorithm (which stays, marked used). Every key is read and deleted in one writer unit, and
 * units run one at a time, so a one-time key is handed out once even under concurrent claims.
 * Devices with neither are left out. Used by /keys/claim and federation /user/keys/claim.
 */
export async function claimLocalKeys(
  ctx: Ctx,
  claims: Record<string, Record<string, string>>,
): Promise<ClaimedKeys> {
  const wanted = Object.entries(claims).flatMap(([userId, byDevice]) =>
    Object.entries(byDevice).map(([deviceId, algorithm]) => ({ userId, deviceId, algorithm })),
  );
  if (!wanted.length) return {};
  const claimed = await ctx.writer.transaction('claim_keys', async (tx) => {
    const got: { userId: string; deviceId: string; keyId: string; json: string }[] = [];
    for (const { userId, deviceId, algorithm } of wanted) {
      const otk = await store.takeOneTimeKey(tx, userId, deviceId, algorithm);
      if (otk) {
        got.push({ userId, deviceId, keyId: `${algorithm}:${otk.key_id}`, json: otk.key_json });
        continue;
      }
      const fallback = await store.getFallbackKey(tx, userId, deviceId, algorithm);
      if (!fallback) continue;
      if (!fallback.used) await store.markFallbackKeyUsed(tx, userId, deviceId, algorithm);
      got.push({
        userId,
        deviceId,
        keyId: `${algorithm}:${fallback.key_id}`,
        json: fallback.key_json,
      });
    }
    for (const c of got) keyCountsChanged(ctx, tx, c.userId, [c.deviceId]);
    return got;
  });
  const out: ClaimedKeys = {};
  for (const c of claimed) {
    ((out[c.userId] ??= {})[c.deviceId] ??= {})[c.keyId] = JSON.parse(c.json) as Record<
      string,
      unknown
    >;
  }
  return out;
}
