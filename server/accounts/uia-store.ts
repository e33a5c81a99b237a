import type { Queryable } from '../db/sql.js';

/** SQL for User-Interactive Auth sessions and registration tokens. */

export interface UiaSessionRow {
  session_id: string;
  created_ts: number;
  uri: string;
  method: string;
  user_id: string | null;
  completed_json: string;
  params_json: string;
}

export interface RegistrationTokenRow {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

export async function insertUiaSession(
  q: Queryable,
  s: {
    sessionId: string;
    createdTs: number;
    uri: string;
    method: string;
    userId: string | null;
    params: unknown;
  },
): Promise<void> {
  await q.run(
    'INSERT INTO ui_auth_sessions (session_id, created_ts, uri, method, user_id, params_json) VALUES (?, ?, ?, ?, ?, ?)',
    s.sessionId,
    s.createdTs,
    s.uri,
    s.method,
    s.userId,
    JSON.stringify(s.params),
  );
}

export function getUiaSession(q: Queryable, sessionId: string): Promise<UiaSessionRow | undefined> {
  return q.get<UiaSessionRow>('SELECT * FROM ui_auth_sessions WHERE session_id = ?', sessionId);
}

export async function setUiaCompleted(
  q: Queryable,
  sessionId: string,
  completed: Record<string, unknown>,
): Promise<void> {
  await q.run(
    'UPDATE ui_auth_sessions SET completed_json = ? WHERE session_id = ?',
    JSON.stringify(completed),
    sessionId,
  );
}

export async function deleteUiaSession(q: Queryable, sessionId: string): Promise<void> {
  await q.run('DELETE FROM ui_auth_sessions WHERE session_id = ?', sessionId);
}

export function listExpiredUiaSessions(q: Queryable, before: number): Promise<UiaSessionRow[]> {
  return q.all<UiaSessionRow>('SELECT * FROM ui_auth_sessions WHERE created_ts < ?', before);
}

// --- registration tokens

export function getRegistrationToken(
  q: Queryable,
  token: string,
): Promise<RegistrationTokenRow | undefined> {
  return q.get<RegistrationTokenRow>('SELECT * FROM registration_tokens WHERE token = ?', token);
}

export function listRegistrationTokens(q: Queryable): Promise<RegistrationTokenRow[]> {
  return q.all<RegistrationTokenRow>('SELECT * FROM registration_tokens ORDER BY token');
}

export async function insertRegistrationToken(
  q: Queryable,
  t: { token: string; usesAllowed: number | null; expiryTime: number | null },
): Promise<boolean> {
  const r = await q.run(
    'INSERT INTO registration_tokens (token, uses_allowed, expiry_time) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    t.token,
    t.usesAllowed,
    t.expiryTime,
  );
  return r.changes === 1;
}

export async function updateRegistrationToken(
  q: Queryable,
  token: string,
  t: { usesAllowed: number | null; expiryTime: number | null },
): Promise<void> {
  await q.run(
    'UPDATE registration_tokens SET uses_allowed = ?, expiry_time = ? WHERE token = ?',
    t.usesAllowed,
    t.expiryTime,
    token,
  );
}

export async function deleteRegistrationToken(q: Queryable, token: string): Promise<boolean> {
  return (await q.run('DELETE FROM registration_tokens WHERE token = ?', token)).changes === 1;
}

/** Moves a token use between pending (a session holds it) and completed (an account used it). */
export async function adjustRegistrationTokenUses(
  q: Queryable,
  token: string,
  deltaPending: number,
  deltaCompleted: number,
): Promise<void> {
  await q.run(
    'UPDATE registration_tokens SET pending = max(0, pending + ?), completed = completed + ? WHERE token = ?',
    deltaPending,
    deltaCompleted,
    token,
  );
}
