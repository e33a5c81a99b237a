import type { Ctx } from '../../context.js';
import type { ClaimedKeys, DeviceKeysByUser } from '../keys/local-keys.js';

/** What the servers of remote users answered, merged, plus the servers that failed. */
export interface RemoteKeysQueryResult {
  device_keys: DeviceKeysByUser;
  master_keys: Record<string, Record<string, unknown>>;
  self_signing_keys: Record<string, Record<string, unknown>>;
  /** server name -> an error object (as /keys/query's `failures`) */
  failures: Record<string, Record<string, unknown>>;
}

/**
 * The keys of users of other servers (`query`: remote user id -> device ids, empty for all),
 * from the local cache where the user's device list is tracked and fresh, otherwise by
 * federation POST /user/keys/query to each server in parallel, each bounded by `timeoutMs`.
 * INTERFACE STUB (owner: federation-keys engineer).
 */
export async function queryRemoteKeys(
  _ctx: Ctx,
  _query: Record<string, readonly string[]>,
  _timeoutMs: number,
): Promise<RemoteKeysQueryResult> {
  return { device_keys: {}, master_keys: {}, self_signing_keys: {}, failures: {} };
}

/**
 * Claims keys of remote users' devices (`claims`: user id -> device id -> algorithm) by
 * federation POST /user/keys/claim, one request per server in parallel, each bounded by
 * `timeoutMs`. INTERFACE STUB (owner: federation-keys engineer).
 */
export async function claimRemoteKeys(
  _ctx: Ctx,
  _claims: Record<string, Record<string, string>>,
  _timeoutMs: number,
): Promise<{ one_time_keys: ClaimedKeys; failures: Record<string, Record<string, unknown>> }> {
  return { one_time_keys: {}, failures: {} };
}
