import type { Queryable, SqlValue } from '../db/sql.js';

/**
 * SQL of the admin API's user views: accounts with their profile (users, profiles), as
 * Synapse's List Accounts API pages and sorts them, and the admin's changes to an account
 * that the client API never makes (user type, reactivation).
 */

export interface AdminUserRow {
  user_id: string;
  created_ts: number;
  admin: number;
  is_guest: number;
  user_type: string | null;
  deactivated: number;
  displayname: string | null;
  avatar_url: string | null;
  /** The newest last-seen time of the user's devices. */
  last_seen_ts: number | null;
}

export interface UserFilter {
  /** Localpart or display name contains (case-insensitive). */
  name?: string | undefined;
  /** User id contains (ignored when `name` is given, as Synapse does). */
  userId?: string | undefined;
  guests: boolean;
  deactivated: boolean;
  /** true: only admins; false: no admins; undefined: both. */
  admins?: boolean | undefined;
}

/** Sort keys (Synapse's order_by values) and their SQL. */
export const USER_ORDER: Record<string, string> = {
  name: 'u.user_id',
  is_guest: 'u.is_guest',
  admin: 'u.admin',
  user_type: 'u.user_type',
  deactivated: 'u.deactivated',
  shadow_banned: '0',
  locked: '0',
  displayname: 'displayname',
  avatar_url: 'avatar_url',
  creation_ts: 'u.created_ts',
  last_seen_ts: 'last_seen_ts',
};

const SELECT_USERS = `SELECT u.user_id, u.created_ts, u.admin, u.is_guest, u.user_type, u.deactivated,
    (SELECT json_extract(value_json, '$') FROM profiles p
      WHERE p.user_id = u.user_id AND p.field = 'displayname') AS displayname,
    (SELECT json_extract(value_json, '$') FROM profiles p
      WHERE p.user_id = u.user_id AND p.field = 'avatar_url') AS avatar_url,
    (SELECT max(last_seen_ts) FROM devices d WHERE d.user_id = u.user_id) AS last_seen_ts
  FROM users u`;

function likeArg(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function whereOf(f: UserFilter): { sql: string; args: SqlValue[] } {
  const conds: string[] = [];
  const args: SqlValue[] = [];
  if (f.name !== undefined) {
    conds.push(
      `(substr(u.user_id, 2, instr(u.user_id, ':') - 2) LIKE ? ESCAPE '\\' OR coalesce(displayname, '') LIKE ? ESCAPE '\\')`,
    );
    args.push(likeArg(f.name), likeArg(f.name));
  } else if (f.userId !== undefined) {
    conds.push(`u.user_id LIKE ? ESCAPE '\\'`);
    args.push(likeArg(f.userId));
  }
  if (!f.guests) conds.push('u.is_guest = 0');
  if (!f.deactivated) conds.push('u.deactivated = 0');
  if (f.admins !== undefined) conds.push(`u.admin = ${f.admins ? 1 : 0}`);
  return { sql: conds.length ? `WHERE ${conds.join(' AND ')}` : '', args };
}

/** One page of accounts matching `f`, sorted by `orderBy` (a USER_ORDER key) then id. */
export function listUsers(
  q: Queryable,
  f: UserFilter,
  page: { orderBy: string; dir: 'f' | 'b'; from: number; limit: number },
): Promise<AdminUserRow[]> {
  const w = whereOf(f);
  const dir = page.dir === 'b' ? 'DESC' : 'ASC';
  const col = USER_ORDER[page.orderBy] ?? 'u.user_id';
  return q.all<AdminUserRow>(
    `SELECT * FROM (${SELECT_USERS}) u ${w.sql}
     ORDER BY ${col} ${dir}, u.user_id ${dir} LIMIT ? OFFSET ?`,
    ...w.args,
    page.limit,
    page.from,
  );
}

/** How many accounts match `f` (the list's total). */
export async function countUsers(q: Queryable, f: UserFilter): Promise<number> {
  const w = whereOf(f);
  const row = await q.get<{ n: number }>(
    `SELECT count(*) AS n FROM (${SELECT_USERS}) u ${w.sql}`,
    ...w.args,
  );
  return row?.n ?? 0;
}

/** One account with its profile, deactivated or not. */
export function getAdminUser(q: Queryable, userId: string): Promise<AdminUserRow | undefined> {
  return q.get<AdminUserRow>(`${SELECT_USERS} WHERE u.user_id = ?`, userId);
}

/** Sets the account's user type (null: a regular user). */
export async function setUserType(
  q: Queryable,
  userId: string,
  userType: string | null,
): Promise<void> {
  await q.run('UPDATE users SET user_type = ? WHERE user_id = ?', userType, userId);
}

/** Lets a deactivated account log in again (with the password set beside it). */
export async function markReactivated(q: Queryable, userId: string): Promise<void> {
  await q.run('UPDATE users SET deactivated = 0 WHERE user_id = ?', userId);
}
