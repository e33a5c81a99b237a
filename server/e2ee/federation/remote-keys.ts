import type { Ctx } from '../../context.js';
import { userServerOf } from '../../core/ids.js';
import { isObject } from '../../core/is-object.js';
import {
  heldDeviceList,
  keepQueriedDeviceLists,
  type HeldDeviceList,
} from '../../federation/receive/device-lists.js';
import type { ClaimedKeys, DeviceKeysByUser } from '../keys/local-keys.js';
import { askServer, type Failure } from './ask-server.js';
import { checkedClaimedKey, checkedCrossSigningKey, checkedDeviceKeys } from './check-keys.js';

/** What the servers of remote users answered, merged, plus the servers that failed. */
export interface RemoteKeysQueryResult {
  device_keys: DeviceKeysByUser;
  master_keys: Record<string, Record<string, unknown>>;
  self_signing_keys: Record<string, Record<string, unknown>>;
  /** server name -> an error object (as /keys/query's `failures`) */
  failures: Record<string, Record<string, unknown>>;
}

const V1 = '/_matrix/federation/v1';

/** Groups the entries of a map keyed by user id by the users' servers (other than this one). */
function byServer<T>(ctx: Ctx, entries: Iterable<[string, T]>): Map<string, Map<string, T>> {
  const out = new Map<string, Map<string, T>>();
  for (const [userId, v] of entries) {
    const server = userServerOf(userId);
    if (server === undefined || server === ctx.config.serverName) continue;
    const forServer = out.get(server) ?? new Map<string, T>();
    forServer.set(userId, v);
    out.set(server, forServer);
  }
  return out;
}

/**
 * The keys of users of other servers (`query`: remote user id -> device ids, empty for all),
 * from the local cache where the user's device list is tracked and fresh, otherwise by
 * federation POST /user/keys/query to each server in parallel, each bounded by `timeoutMs`.
 * - A server's answer is checked: only the users asked of it, only devices asked (all when
 *   none were named), device keys of exactly that user and device, signed by the device
 *   (./check-keys.ts); whatever fails is left out. A server that fails, answers with an
 *   error or does not answer in time is listed under `failures`; the others still answer.
 * - A whole list learnt this way for a user who shares a room here is kept, so the next
 *   query is answered from here (receive/device-lists.ts keeps it up to date).
 * - Malformed user ids and users of this server are the caller's: they are skipped.
 */
export async function queryRemoteKeys(
  ctx: Ctx,
  query: Record<string, readonly string[]>,
  timeoutMs: number,
): Promise<RemoteKeysQueryResult> {
  const result: RemoteKeysQueryResult = {
    device_keys: {},
    master_keys: {},
    self_signing_keys: {},
    failures: {},
  };
  const toAsk = new Map<string, Map<string, readonly string[]>>();
  for (const [server, users] of byServer(ctx, Object.entries(query))) {
    for (const [userId, deviceIds] of users) {
      const held = await heldDeviceList(ctx, userId);
      if (held) {
        addList(result, userId, deviceIds, held);
        continue;
      }
      const forServer = toAsk.get(server) ?? new Map<string, readonly string[]>();
      toAsk.set(server, forServer.set(userId, deviceIds));
    }
  }
  await Promise.all(
    [...toAsk].map(([server, users]) => queryServer(ctx, server, users, timeoutMs, result)),
  );
  return result;
}

/** Asks one server for its users' keys, and adds what passes the checks to `result`. */
async function queryServer(
  ctx: Ctx,
  server: string,
  users: Map<string, readonly string[]>,
  timeoutMs: number,
  result: RemoteKeysQueryResult,
): Promise<void> {
  const answer = await askServer(
    ctx,
    server,
    `${V1}/user/keys/query`,
    { device_keys: Object.fromEntries(users) },
    timeoutMs,
  );
  if (!answer.ok) {
    result.failures[server] = answer.failure;
    return;
  }
  const { body } = answer;
  const deviceKeys = isObject(body.device_keys) ? body.device_keys : {};
  const masters = isObject(body.master_keys) ? body.master_keys : {};
  const selfSignings = isObject(body.self_signing_keys) ? body.self_signing_keys : {};
  const toKeep: ({ userId: string } & HeldDeviceList)[] = [];
  for (const [userId, deviceIds] of users) {
    const devices = deviceKeys[userId];
    if (!isObject(devices)) continue;
    const list: HeldDeviceList = {
      devices: Object.entries(devices).map(([deviceId, keys]) => ({
        deviceId,
        displayName: null,
        keys,
      })),
      masterKey: masters[userId],
      selfSigningKey: selfSignings[userId],
    };
    const kept = addList(result, userId, deviceIds, list);
    if (!deviceIds.length) toKeep.push({ userId, ...kept });
  }
  try {
    await keepQueriedDeviceLists(ctx, toKeep);
  } catch (err) {
    // The answer stands; the list is asked for again next time.
    ctx.log.warn({ err, server }, 'could not keep the device lists another server sent');
  }
}

/**
 * Adds the devices of `list` that pass the checks (and were asked for) and the user's
 * cross-signing keys to `result`; returns what passed, as the cache keeps it.
 */
function addList(
  result: RemoteKeysQueryResult,
  userId: string,
  deviceIds: readonly string[],
  list: HeldDeviceList,
): HeldDeviceList {
  const wanted = deviceIds.length ? new Set(deviceIds) : null;
  const forUser: Record<string, Record<string, unknown>> = {};
  const passed: HeldDeviceList['devices'] = [];
  for (const d of list.devices) {
    if (wanted && !wanted.has(d.deviceId)) continue;
    const keys = checkedDeviceKeys(d.keys, userId, d.deviceId, d.displayName ?? undefined);
    if (!keys) continue;
    forUser[d.deviceId] = keys;
    const name = (keys.unsigned as { device_display_name?: string } | undefined)
      ?.device_display_name;
    const { unsigned: _unsigned, ...signed } = keys;
    passed.push({ deviceId: d.deviceId, displayName: name ?? null, keys: signed });
  }
  result.device_keys[userId] = forUser;
  const master = checkedCrossSigningKey(list.masterKey, userId, 'master');
  const selfSigning = checkedCrossSigningKey(list.selfSigningKey, userId, 'self_signing');
  if (master) result.master_keys[userId] = master;
  if (selfSigning) result.self_signing_keys[userId] = selfSigning;
  return { devices: passed, masterKey: master, selfSigningKey: selfSigning };
}

/**
 * Claims keys of remote users' devices (`claims`: user id -> device id -> algorithm) by
 * federation POST /user/keys/claim, one request per server in parallel, each bounded by
 * `timeoutMs`. Of each answer, one key of the algorithm asked is kept per device asked of
 * that server; servers that fail are listed under `failures`.
 */
export async function claimRemoteKeys(
  ctx: Ctx,
  claims: Record<string, Record<string, string>>,
  timeoutMs: number,
): Promise<{ one_time_keys: ClaimedKeys; failures: Record<string, Record<string, unknown>> }> {
  const oneTimeKeys: ClaimedKeys = {};
  const failures: Record<string, Failure> = {};
  const servers = byServer(ctx, Object.entries(claims));
  await Promise.all(
    [...servers].map(async ([server, users]) => {
      const answer = await askServer(
        ctx,
        server,
        `${V1}/user/keys/claim`,
        { one_time_keys: Object.fromEntries(users) },
        timeoutMs,
      );
      if (!answer.ok) {
        failures[server] = answer.failure;
        return;
      }
      const claimed = isObject(answer.body.one_time_keys) ? answer.body.one_time_keys : {};
      for (const [userId, byDevice] of users) {
        const forUser = claimed[userId];
        if (!isObject(forUser)) continue;
        for (const [deviceId, algorithm] of Object.entries(byDevice)) {
          const key = checkedClaimedKey(forUser[deviceId], algorithm);
          if (key) (oneTimeKeys[userId] ??= {})[deviceId] = key;
        }
      }
    }),
  );
  return { one_time_keys: oneTimeKeys, failures };
}
