import type { Queryable } from '../../db/sql.js';

/**
 * SQL for local devices' end-to-end keys and the device-list stream (migration 0018): device
 * keys, one-time keys, fallback keys and device_list_changes. Plus the two reads of room
 * membership the device-list stream needs (who shares a room with whom), on current_state
 * and the events of a window, as presence's store reads them.
 */

// --- device keys

export interface DeviceKeysRow {
  device_id: string;
  key_json: string;
}

/** A device's stored DeviceKeys JSON, if it uploaded any. */
export async function getDeviceKeysJson(
  q: Queryable,
  userId: string,
  deviceId: string,
): Promise<string | undefined> {
  return (
    await q.get<{ key_json: string }>(
      'SELECT key_json FROM e2e_device_keys WHERE user_id = ? AND device_id = ?',
      userId,
      deviceId,
    )
  )?.key_json;
}

/**
 * The device keys of a user's devices, with each device's display name: of every device
 * with keys when `deviceIds` is null, else of those named (unknown ones left out).
 */
export async function listDeviceKeys(
  q: Queryable,
  userId: string,
  deviceIds: readonly string[] | null,
): Promise<(DeviceKeysRow & { display_name: string | null })[]> {
  // The devices table is the accounts domain's: a left join on it only reads the name.
  const select = `SELECT k.device_id, k.key_json, d.display_name FROM e2e_device_keys k
     LEFT JOIN devices d ON d.user_id = k.user_id AND d.device_id = k.device_id
     WHERE k.user_id = ?`;
  if (deviceIds === null) return q.all(`${select} ORDER BY k.device_id`, userId);
  if (!deviceIds.length) return [];
  return q.all(
    `${select} AND k.device_id IN (SELECT value FROM json_each(?)) ORDER BY k.device_id`,
    userId,
    JSON.stringify(deviceIds),
  );
}

/** Stores (or replaces) a device's keys. */
export async function setDeviceKeys(
  q: Queryable,
  k: { userId: string; deviceId: string; keyJson: string; ts: number },
): Promise<void> {
  await q.run(
    `INSERT INTO e2e_device_keys (user_id, device_id, key_json, uploaded_ts) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, device_id) DO UPDATE SET key_json = excluded.key_json,
       uploaded_ts = excluded.uploaded_ts`,
    k.userId,
    k.deviceId,
    k.keyJson,
    k.ts,
  );
}

// --- one-time keys

/** The stored JSON of those of a device's one-time keys named by `keyIds` ("alg:id"). */
export async function getOneTimeKeysByIds(
  q: Queryable,
  userId: string,
  deviceId: string,
  keyIds: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!keyIds.length) return out;
  // Each id as [algorithm, key id], looked up on the unique index one by one (a match on
  // `algorithm || ':' || key_id` would read every key the device holds).
  const pairs = keyIds.map((id) => {
    const colon = id.indexOf(':');
    return [id.slice(0, colon), id.slice(colon + 1)];
  });
  const rows = await q.all<{ full_id: string; key_json: string }>(
    `SELECT k.algorithm || ':' || k.key_id AS full_id, k.key_json
     FROM json_each(?) AS w CROSS JOIN e2e_one_time_keys k
     WHERE k.user_id = ? AND k.device_id = ?
       AND k.algorithm = w.value ->> 0 AND k.key_id = w.value ->> 1`,
    JSON.stringify(pairs),
    userId,
    deviceId,
  );
  for (const r of rows) out.set(r.full_id, r.key_json);
  return out;
}

/** Adds one-time keys to a device, in the order given (the order they are claimed in). */
export async function insertOneTimeKeys(
  q: Queryable,
  userId: string,
  deviceId: string,
  keys: readonly { algorithm: string; keyId: string; keyJson: string }[],
): Promise<void> {
  for (const k of keys) {
    await q.run(
      `INSERT INTO e2e_one_time_keys (user_id, device_id, algorithm, key_id, key_json)
       VALUES (?, ?, ?, ?, ?)`,
      userId,
      deviceId,
      k.algorithm,
      k.keyId,
      k.keyJson,
    );
  }
}

/** How many one-time keys a device holds, by algorithm. */
export async function countOneTimeKeys(
  q: Queryable,
  userId: string,
  deviceId: string,
): Promise<Record<string, number>> {
  const rows = await q.all<{ algorithm: string; n: number }>(
    `SELECT algorithm, count(*) AS n FROM e2e_one_time_keys
     WHERE user_id = ? AND device_id = ? GROUP BY algorithm`,
    userId,
    deviceId,
  );
  return Object.fromEntries(rows.map((r) => [r.algorithm, r.n]));
}

/**
 * What /sync tells a device of its keys, in one statement: its one-time key counts by
 * algorithm (`used` null) and its unused fallback key algorithms (`used` 0), each read on
 * its table's index for the device.
 */
export function getKeyCountsForSync(
  q: Queryable,
  userId: string,
  deviceId: string,
): Promise<{ algorithm: string; n: number; fallback: 0 | 1 }[]> {
  return q.all(
    `SELECT algorithm, count(*) AS n, 0 AS fallback FROM e2e_one_time_keys
       WHERE user_id = ? AND device_id = ? GROUP BY algorithm
     UNION ALL
     SELECT algorithm, 1 AS n, 1 AS fallback FROM e2e_fallback_keys
       WHERE user_id = ? AND device_id = ? AND used = 0`,
    userId,
    deviceId,
    userId,
    deviceId,
  );
}

/**
 * Takes the oldest one-time key of a device for an algorithm: reads and deletes it (call
 * inside a writer unit, so no other claim can read it in between).
 */
export async function takeOneTimeKey(
  q: Queryable,
  userId: string,
  deviceId: string,
  algorithm: string,
): Promise<{ key_id: string; key_json: string } | undefined> {
  const row = await q.get<{ id: number; key_id: string; key_json: string }>(
    `SELECT id, key_id, key_json FROM e2e_one_time_keys
     WHERE user_id = ? AND device_id = ? AND algorithm = ? ORDER BY id LIMIT 1`,
    userId,
    deviceId,
    algorithm,
  );
  if (!row) return undefined;
  await q.run('DELETE FROM e2e_one_time_keys WHERE id = ?', row.id);
  return row;
}

// --- fallback keys

export interface FallbackKeyRow {
  key_id: string;
  key_json: string;
  used: number;
}

/** A device's fallback key for an algorithm. */
export function getFallbackKey(
  q: Queryable,
  userId: string,
  deviceId: string,
  algorithm: string,
): Promise<FallbackKeyRow | undefined> {
  return q.get<FallbackKeyRow>(
    `SELECT key_id, key_json, used FROM e2e_fallback_keys
     WHERE user_id = ? AND device_id = ? AND algorithm = ?`,
    userId,
    deviceId,
    algorithm,
  );
}

/** Sets a device's fallback key for an algorithm (replacing any), unused. */
export async function setFallbackKey(
  q: Queryable,
  k: { userId: string; deviceId: string; algorithm: string; keyId: string; keyJson: string },
): Promise<void> {
  await q.run(
    `INSERT INTO e2e_fallback_keys (user_id, device_id, algorithm, key_id, key_json, used)
     VALUES (?, ?, ?, ?, ?, 0)
     ON CONFLICT (user_id, device_id, algorithm) DO UPDATE SET key_id = excluded.key_id,
       key_json = excluded.key_json, used = 0`,
    k.userId,
    k.deviceId,
    k.algorithm,
    k.keyId,
    k.keyJson,
  );
}

/** Marks a device's fallback key for an algorithm used (it was handed out by a claim). */
export async function markFallbackKeyUsed(
  q: Queryable,
  userId: string,
  deviceId: string,
  algorithm: string,
): Promise<void> {
  await q.run(
    'UPDATE e2e_fallback_keys SET used = 1 WHERE user_id = ? AND device_id = ? AND algorithm = ?',
    userId,
    deviceId,
    algorithm,
  );
}

// --- removal

/** Deletes every key of a user's devices `deviceIds` (device, one-time and fallback keys). */
export async function deleteKeysOfDevices(
  q: Queryable,
  userId: string,
  deviceIds: readonly string[],
): Promise<void> {
  if (!deviceIds.length) return;
  const ids = JSON.stringify(deviceIds);
  for (const table of ['e2e_device_keys', 'e2e_one_time_keys', 'e2e_fallback_keys']) {
    await q.run(
      `DELETE FROM ${table} WHERE user_id = ? AND device_id IN (SELECT value FROM json_each(?))`,
      userId,
      ids,
    );
  }
}

// --- the device-list stream

/** The newest position of the device-list stream (0 when nothing changed yet). */
export async function getDeviceListStreamId(q: Queryable): Promise<number> {
  return (
    (await q.get<{ pos: number | null }>('SELECT max(stream_id) AS pos FROM device_list_changes'))
      ?.pos ?? 0
  );
}

/** Appends a change of `userId`'s devices to the stream; returns its position. */
export async function insertDeviceListChange(q: Queryable, userId: string): Promise<number> {
  return (await q.run('INSERT INTO device_list_changes (user_id) VALUES (?)', userId))
    .lastInsertRowid;
}

/** The users whose devices changed at a position in (after, upTo]. */
export async function getDeviceListChangesBetween(
  q: Queryable,
  after: number,
  upTo: number,
): Promise<string[]> {
  const rows = await q.all<{ user_id: string }>(
    `SELECT DISTINCT user_id FROM device_list_changes WHERE stream_id > ? AND stream_id <= ?`,
    after,
    upTo,
  );
  return rows.map((r) => r.user_id);
}

// --- who shares a room (read from the rooms' current state and events)

/** The users joined (current state) to any of `roomIds`, on current_state's primary key. */
export async function getJoinedMembersOfRooms(
  q: Queryable,
  roomIds: readonly string[],
): Promise<Set<string>> {
  if (!roomIds.length) return new Set();
  const rows = await q.all<{ user_id: string }>(
    `SELECT DISTINCT c.state_key AS user_id FROM current_state c
     JOIN event_json_by_id j ON j.event_id = c.event_id
     WHERE c.room_id IN (SELECT value FROM json_each(?)) AND c.type = 'm.room.member'
       AND json_extract(j.json, '$.content.membership') = 'join'`,
    JSON.stringify(roomIds),
  );
  return new Set(rows.map((r) => r.user_id));
}

/**
 * The served membership events of `roomIds` at positions in (after, upTo], oldest first:
 * whose membership changed, and to what. Read on events_by_room (room, position).
 */
export function getMembershipChangesInRooms(
  q: Queryable,
  roomIds: readonly string[],
  after: number,
  upTo: number,
): Promise<{ room_id: string; user_id: string; membership: string | null }[]> {
  if (!roomIds.length || upTo <= after) return Promise.resolve([]);
  return q.all(
    `SELECT e.room_id, e.state_key AS user_id,
       json_extract(j.json, '$.content.membership') AS membership
     FROM events e JOIN event_json j ON j.stream_ordering = e.stream_ordering
     WHERE e.room_id IN (SELECT value FROM json_each(?)) AND e.stream_ordering > ?
       AND e.stream_ordering <= ? AND e.type = 'm.room.member' AND e.state_key IS NOT NULL
       AND e.outlier = 0 AND e.rejected_reason IS NULL
     ORDER BY e.stream_ordering`,
    JSON.stringify(roomIds),
    after,
    upTo,
  );
}
