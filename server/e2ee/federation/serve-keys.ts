import type { Ctx } from '../../context.js';
import { crossSigningKeysForQuery } from '../cross-signing/for-query.js';
import { claimLocalKeys, queryLocalDeviceKeys, type ClaimedKeys } from '../keys/local-keys.js';
import { getDeviceListStreamId } from './store.js';
import { assertLocalUserId } from '../../federation/local-users.js';

/**
 * What other servers ask of this server's users' keys (server-server "End-to-End
 * Encryption": POST /user/keys/query and /user/keys/claim; "Device Management": the keys in
 * GET /user/devices). Another server never sees a user-signing key (only its owner may).
 */

/**
 * 400 M_INVALID_PARAM, before anything is read or claimed, when a requested user id is
 * malformed or of another server ("Requested users must be local to the receiving
 * homeserver"; Synapse answers 400 too).
 */
function assertLocalUsers(ctx: Ctx, userIds: Iterable<string>): void {
  for (const userId of userIds) assertLocalUserId(ctx, userId);
}

/**
 * POST /user/keys/query: the device keys (with every signature uploaded on them) and the
 * master and self-signing keys of local users; each user asked appears in `device_keys`,
 * with {} when they have no keys or do not exist (as Synapse answers).
 */
export async function queryKeysForServer(
  ctx: Ctx,
  query: Record<string, readonly string[]>,
): Promise<{
  device_keys: Record<string, Record<string, Record<string, unknown>>>;
  master_keys: Record<string, Record<string, unknown>>;
  self_signing_keys: Record<string, Record<string, unknown>>;
}> {
  const userIds = Object.keys(query);
  assertLocalUsers(ctx, userIds);
  const found = await queryLocalDeviceKeys(ctx, query);
  if (!ctx.config.allowDeviceNameLookupOverFederation) {
    // Device names stay with their owner unless the config shares them (as in Synapse).
    for (const byDevice of Object.values(found)) {
      for (const [deviceId, { unsigned: _unsigned, ...signed }] of Object.entries(byDevice)) {
        byDevice[deviceId] = signed;
      }
    }
  }
  const cross = await crossSigningKeysForQuery(ctx, null, userIds);
  return {
    device_keys: Object.fromEntries(userIds.map((u) => [u, found[u] ?? {}])),
    master_keys: cross.master_keys,
    self_signing_keys: cross.self_signing_keys,
  };
}

/**
 * POST /user/keys/claim: one key per local (user, device) asked, a one-time key if one is
 * left, else the fallback key; devices with neither are left out.
 */
export async function claimKeysForServer(
  ctx: Ctx,
  claims: Record<string, Record<string, string>>,
): Promise<{ one_time_keys: ClaimedKeys }> {
  assertLocalUsers(ctx, Object.keys(claims));
  return { one_time_keys: await claimLocalKeys(ctx, claims) };
}

/** What GET /user/devices adds to a local user's devices: keys, stream id, cross-signing. */
export interface DeviceListKeys {
  /** device id -> its DeviceKeys with signatures (no `unsigned`), for devices with keys */
  keys: Record<string, Record<string, unknown>>;
  master_key?: Record<string, unknown>;
  self_signing_key?: Record<string, unknown>;
}

/**
 * The user's device-list stream id: the stream_id of their newest m.device_list_update
 * (./announce.ts), which GET /user/devices answers with so that the asking server can
 * apply the updates after it. Read it before the devices, so the devices read are at
 * least as new as the id (an update applied again changes nothing; one missed would).
 */
export function deviceListStreamId(ctx: Ctx, userId: string): Promise<number> {
  return getDeviceListStreamId(ctx.db, userId);
}

/** The keys of a local user's devices and their cross-signing keys, for GET /user/devices. */
export async function deviceListKeys(ctx: Ctx, userId: string): Promise<DeviceListKeys> {
  const byDevice = (await queryLocalDeviceKeys(ctx, { [userId]: [] }))[userId] ?? {};
  const keys: Record<string, Record<string, unknown>> = {};
  for (const [deviceId, k] of Object.entries(byDevice)) {
    const { unsigned: _unsigned, ...signed } = k;
    keys[deviceId] = signed;
  }
  const cross = await crossSigningKeysForQuery(ctx, null, [userId]);
  const master = cross.master_keys[userId];
  const selfSigning = cross.self_signing_keys[userId];
  return {
    keys,
    ...(master ? { master_key: master } : {}),
    ...(selfSigning ? { self_signing_key: selfSigning } : {}),
  };
}
