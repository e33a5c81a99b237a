import type { Queryable } from '../db/sql.js';

/**
 * SQL for users, devices and tokens. Every function takes the connection to use: `ctx.db`
 * to read, the writer's `tx` to write (or to read inside a write).
 */

export interface UserRow {
  user_id: string;
  password_hash: string | null;
  created_ts: number;
  admin: number;
  is_guest: number;
  user_type: string | null;
  deactivated: number;
}

export interface DeviceRow {
  user_id: string;
  device_id: string;
  display_name: string | null;
  created_ts: number;
  last_seen_ts: number | null;
  last_seen_ip: string | null;
  last_seen_user_agent: string | null;
}

export interface TokenRow {
  id: number;
  user_id: string;
  device_id: string;
  valid_until_ms: number | null;
  refresh_token_id: number | null;
  used: number;
  admin: number;
  is_guest: number;
}

export interface RefreshTokenRow {
  id: number;
  user_id: string;
  device_id: string;
  expiry_ts: number | null;
  next_token_id: number | null;
}

// --- users

export function getUser(q: Queryable, userId: string): Promise<UserRow | undefined> {
  return q.get<UserRow>('SELECT * FROM users WHERE user_id = ?', userId);
}

/** Case-insensitive lookup, for logins typed with capitals (ids are created lower-case). */
export async function findUserIdCaseInsensitive(
  q: Queryable,
  userId: string,
): Promise<string | undefined> {
  const rows = await q.all<{ user_id: string }>(
    'SELECT user_id FROM users WHERE lower(user_id) = lower(?) LIMIT 2',
    userId,
  );
  return rows.length === 1 ? rows[0]!.user_id : rows.find((r) => r.user_id === userId)?.user_id;
}

export async function insertUser(
  q: Queryable,
  u: {
    userId: string;
    passwordHash: string | null;
    createdTs: number;
    admin: boolean;
    isGuest: boolean;
    userType: string | null;
  },
): Promise<void> {
  await q.run(
    'INSERT INTO users (user_id, password_hash, created_ts, admin, is_guest, user_type) VALUES (?, ?, ?, ?, ?, ?)',
    u.userId,
    u.passwordHash,
    u.createdTs,
    u.admin ? 1 : 0,
    u.isGuest ? 1 : 0,
    u.userType,
  );
}

export async function setPasswordHash(
  q: Queryable,
  userId: string,
  hash: string | null,
): Promise<void> {
  await q.run('UPDATE users SET password_hash = ? WHERE user_id = ?', hash, userId);
}

export async function markDeactivated(q: Queryable, userId: string): Promise<void> {
  await q.run('UPDATE users SET deactivated = 1, password_hash = NULL WHERE user_id = ?', userId);
}

export async function setAdmin(q: Queryable, userId: string, admin: boolean): Promise<void> {
  await q.run('UPDATE users SET admin = ? WHERE user_id = ?', admin ? 1 : 0, userId);
}

// --- devices

export function getDevice(
  q: Queryable,
  userId: string,
  deviceId: string,
): Promise<DeviceRow | undefined> {
  return q.get<DeviceRow>(
    'SELECT * FROM devices WHERE user_id = ? AND device_id = ?',
    userId,
    deviceId,
  );
}

export function listDevices(q: Queryable, userId: string): Promise<DeviceRow[]> {
  return q.all<DeviceRow>(
    'SELECT * FROM devices WHERE user_id = ? ORDER BY created_ts, device_id',
    userId,
  );
}

/** Creates the device, or keeps an existing one of that id (a client logging in again). */
export async function upsertDevice(
  q: Queryable,
  d: { userId: string; deviceId: string; displayName: string | null; createdTs: number },
): Promise<void> {
  await q.run(
    `INSERT INTO devices (user_id, device_id, display_name, created_ts) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, device_id) DO UPDATE SET display_name = coalesce(excluded.display_name, display_name)`,
    d.userId,
    d.deviceId,
    d.displayName,
    d.createdTs,
  );
}

export async function setDeviceDisplayName(
  q: Queryable,
  userId: string,
  deviceId: string,
  name: string | null,
): Promise<number> {
  const r = await q.run(
    'UPDATE devices SET display_name = ? WHERE user_id = ? AND device_id = ?',
    name,
    userId,
    deviceId,
  );
  return r.changes;
}

export async function setDeviceLastSeen(
  q: Queryable,
  d: { userId: string; deviceId: string; ts: number; ip: string | null; userAgent: string | null },
): Promise<void> {
  await q.run(
    'UPDATE devices SET last_seen_ts = ?, last_seen_ip = ?, last_seen_user_agent = ? WHERE user_id = ? AND device_id = ?',
    d.ts,
    d.ip,
    d.userAgent,
    d.userId,
    d.deviceId,
  );
}

/** Deletes devices (their tokens go with them) and returns how many were deleted. */
export async function deleteDevices(
  q: Queryable,
  userId: string,
  deviceIds: string[],
): Promise<number> {
  let n = 0;
  for (const id of deviceIds) {
    n += (await q.run('DELETE FROM devices WHERE user_id = ? AND device_id = ?', userId, id))
      .changes;
  }
  return n;
}

export async function deleteAllDevicesExcept(
  q: Queryable,
  userId: string,
  keep: string | null,
): Promise<void> {
  await q.run('DELETE FROM devices WHERE user_id = ? AND device_id IS NOT ?', userId, keep);
}

// --- access and refresh tokens

export async function insertAccessToken(
  q: Queryable,
  t: {
    tokenHash: string;
    userId: string;
    deviceId: string;
    createdTs: number;
    validUntilMs: number | null;
    refreshTokenId: number | null;
  },
): Promise<number> {
  const r = await q.run(
    `INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts, valid_until_ms, refresh_token_id)
     VALUES (?, ?, ?, ?, ?, ?)`,
    t.tokenHash,
    t.userId,
    t.deviceId,
    t.createdTs,
    t.validUntilMs,
    t.refreshTokenId,
  );
  return r.lastInsertRowid;
}

export function getAccessToken(q: Queryable, tokenHash: string): Promise<TokenRow | undefined> {
  return q.get<TokenRow>(
    `SELECT t.id, t.user_id, t.device_id, t.valid_until_ms, t.refresh_token_id, t.used, u.admin, u.is_guest
     FROM access_tokens t JOIN users u ON u.user_id = t.user_id
     WHERE t.token_hash = ? AND u.deactivated = 0`,
    tokenHash,
  );
}

export async function markAccessTokenUsed(q: Queryable, tokenId: number): Promise<void> {
  await q.run('UPDATE access_tokens SET used = 1 WHERE id = ?', tokenId);
}

export async function deleteAccessToken(q: Queryable, tokenId: number): Promise<void> {
  await q.run('DELETE FROM access_tokens WHERE id = ?', tokenId);
}

/** The hashes of every access token of a user, so caches can drop them. */
export async function listAccessTokenHashes(q: Queryable, userId: string): Promise<string[]> {
  const rows = await q.all<{ token_hash: string }>(
    'SELECT token_hash FROM access_tokens WHERE user_id = ?',
    userId,
  );
  return rows.map((r) => r.token_hash);
}

export async function deleteAccessTokensOfUser(q: Queryable, userId: string): Promise<void> {
  await q.run('DELETE FROM access_tokens WHERE user_id = ?', userId);
}

export async function insertRefreshToken(
  q: Queryable,
  t: {
    tokenHash: string;
    userId: string;
    deviceId: string;
    createdTs: number;
    expiryTs: number | null;
  },
): Promise<number> {
  const r = await q.run(
    'INSERT INTO refresh_tokens (token_hash, user_id, device_id, created_ts, expiry_ts) VALUES (?, ?, ?, ?, ?)',
    t.tokenHash,
    t.userId,
    t.deviceId,
    t.createdTs,
    t.expiryTs,
  );
  return r.lastInsertRowid;
}

export function getRefreshToken(
  q: Queryable,
  tokenHash: string,
): Promise<RefreshTokenRow | undefined> {
  return q.get<RefreshTokenRow>(
    'SELECT id, user_id, device_id, expiry_ts, next_token_id FROM refresh_tokens WHERE token_hash = ?',
    tokenHash,
  );
}

export async function setNextRefreshToken(q: Queryable, id: number, nextId: number): Promise<void> {
  await q.run('UPDATE refresh_tokens SET next_token_id = ? WHERE id = ?', nextId, id);
}

/** Deletes the refresh token that was exchanged for `nextId` (and its access tokens). */
export async function deletePredecessorRefreshToken(q: Queryable, nextId: number): Promise<void> {
  await q.run('DELETE FROM refresh_tokens WHERE next_token_id = ?', nextId);
}

export async function deleteRefreshToken(q: Queryable, id: number): Promise<void> {
  await q.run('DELETE FROM refresh_tokens WHERE id = ?', id);
}

export async function listAccessTokenHashesOfDevices(
  q: Queryable,
  userId: string,
  deviceIds: string[],
): Promise<string[]> {
  const out: string[] = [];
  for (const id of deviceIds) {
    const rows = await q.all<{ token_hash: string }>(
      'SELECT token_hash FROM access_tokens WHERE user_id = ? AND device_id = ?',
      userId,
      id,
    );
    out.push(...rows.map((r) => r.token_hash));
  }
  return out;
}

export async function listAccessTokenHashesOfRefreshToken(
  q: Queryable,
  refreshTokenId: number,
): Promise<string[]> {
  const rows = await q.all<{ token_hash: string }>(
    'SELECT token_hash FROM access_tokens WHERE refresh_token_id = ?',
    refreshTokenId,
  );
  return rows.map((r) => r.token_hash);
}

export async function listAccessTokenHashesOfPredecessor(
  q: Queryable,
  nextId: number,
): Promise<string[]> {
  const rows = await q.all<{ token_hash: string }>(
    `SELECT a.token_hash FROM access_tokens a JOIN refresh_tokens r ON a.refresh_token_id = r.id
     WHERE r.next_token_id = ?`,
    nextId,
  );
  return rows.map((r) => r.token_hash);
}

/** How many active (not deactivated) server admins there are. */
export async function countAdmins(q: Queryable): Promise<number> {
  const row = await q.get<{ n: number }>(
    'SELECT COUNT(*) AS n FROM users WHERE admin = 1 AND deactivated = 0',
  );
  return row?.n ?? 0;
}
