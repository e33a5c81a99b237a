import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import { parseUserId } from '../../core/ids.js';
import { claimRemoteKeys } from '../federation/remote-keys.js';
import { claimLocalKeys, type ClaimedKeys } from './local-keys.js';
import { remoteTimeoutMs } from './query.js';

/**
 * POST /keys/claim: one key per device asked for (user id -> device id -> algorithm): a
 * one-time key, handed out once, else the device's fallback key. Local devices from the keys
 * tables (local-keys.ts), devices of other servers through their servers, each bounded by
 * `timeout`, those that failed listed in `failures`. Devices with no key are left out.
 * @throws MatrixError 400 M_INVALID_PARAM for a malformed user id (nothing is claimed).
 */
export async function claimKeys(
  ctx: Ctx,
  a: { oneTimeKeys: Record<string, Record<string, string>>; timeout?: number | undefined },
): Promise<{ one_time_keys: ClaimedKeys; failures: Record<string, Record<string, unknown>> }> {
  const local: Record<string, Record<string, string>> = {};
  const remote: Record<string, Record<string, string>> = {};
  for (const [userId, byDevice] of Object.entries(a.oneTimeKeys)) {
    const parsed = parseUserId(userId);
    if (!parsed) throw errors.invalidParam(`Invalid user id: ${userId}`);
    (parsed.serverName === ctx.config.serverName ? local : remote)[userId] = byDevice;
  }
  const hasRemote = Object.keys(remote).length > 0;
  const [mine, theirs] = await Promise.all([
    claimLocalKeys(ctx, local),
    hasRemote ? claimRemoteKeys(ctx, remote, remoteTimeoutMs(a.timeout)) : null,
  ]);
  return {
    one_time_keys: { ...theirs?.one_time_keys, ...mine },
    failures: theirs?.failures ?? {},
  };
}
