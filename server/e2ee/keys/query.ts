import type { Requester } from '../../accounts/requester.js';
import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import { parseUserId } from '../../core/ids.js';
import { crossSigningKeysForQuery } from '../cross-signing/for-query.js';
import { withRequesterSignatures } from '../cross-signing/requester-signatures.js';
import { queryRemoteKeys } from '../federation/remote-keys.js';
import { queryLocalDeviceKeys, type DeviceKeysByUser } from './local-keys.js';

/** The answer of POST /keys/query (keys.yaml). */
export interface KeysQueryResponse {
  device_keys: DeviceKeysByUser;
  master_keys: Record<string, Record<string, unknown>>;
  self_signing_keys: Record<string, Record<string, unknown>>;
  user_signing_keys: Record<string, Record<string, unknown>>;
  failures: Record<string, Record<string, unknown>>;
}

/** The spec's recommended default wait for other servers. */
export const DEFAULT_REMOTE_TIMEOUT_MS = 10_000;
/** The longest wait for other servers a client may ask for. */
const MAX_REMOTE_TIMEOUT_MS = 60_000;

/** A request's `timeout` as the wait for other servers: the default, bounded. */
export function remoteTimeoutMs(timeout: number | undefined): number {
  return Math.min(Math.max(0, timeout ?? DEFAULT_REMOTE_TIMEOUT_MS), MAX_REMOTE_TIMEOUT_MS);
}

/**
 * POST /keys/query: the devices and keys of the users asked for (an empty device list: all
 * their devices). Local users from the keys tables, with cross-signing keys (the requester's
 * own user-signing key only) and signatures; users of other servers through their servers
 * (federation/remote-keys.ts), each server bounded by `timeout`, those that failed listed in
 * `failures` by server name.
 * @throws MatrixError 400 M_INVALID_PARAM for a malformed user id (nothing is queried).
 */
export async function queryKeys(
  ctx: Ctx,
  requester: Requester,
  a: { deviceKeys: Record<string, readonly string[]>; timeout?: number | undefined },
): Promise<KeysQueryResponse> {
  const local: Record<string, readonly string[]> = {};
  const remote: Record<string, readonly string[]> = {};
  for (const [userId, deviceIds] of Object.entries(a.deviceKeys)) {
    const parsed = parseUserId(userId);
    if (!parsed) throw errors.invalidParam(`Invalid user id: ${userId}`);
    (parsed.serverName === ctx.config.serverName ? local : remote)[userId] = deviceIds;
  }
  const hasRemote = Object.keys(remote).length > 0;
  const [deviceKeys, crossSigning, fromRemote] = await Promise.all([
    queryLocalDeviceKeys(ctx, local),
    crossSigningKeysForQuery(ctx, requester.userId, Object.keys(local)),
    hasRemote ? queryRemoteKeys(ctx, remote, remoteTimeoutMs(a.timeout)) : null,
  ]);
  // Signatures the requester's user-signing key made on remote users' master keys live only
  // here, and only the requester sees them.
  const remoteMasterKeys = fromRemote
    ? await withRequesterSignatures(ctx, requester.userId, fromRemote.master_keys)
    : {};
  return {
    device_keys: { ...fromRemote?.device_keys, ...deviceKeys },
    master_keys: { ...remoteMasterKeys, ...crossSigning.master_keys },
    self_signing_keys: { ...fromRemote?.self_signing_keys, ...crossSigning.self_signing_keys },
    user_signing_keys: crossSigning.user_signing_keys,
    failures: fromRemote?.failures ?? {},
  };
}
