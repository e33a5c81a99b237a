import { expect } from 'vitest';
import { computeRegistrationMac } from '../../../server/accounts/shared-secret.js';
import type { TestServer } from '../../helpers/server.js';

/** Helpers of the admin API tests: an admin made by shared-secret registration, and checks. */

export interface Session {
  userId: string;
  token: string;
}

/** Registers a server admin through /_synapse/admin/v1/register, as register_new_matrix_user does. */
export async function registerAdmin(s: TestServer, username: string): Promise<Session> {
  const { nonce } = (await s.req('GET', '/_synapse/admin/v1/register')).json();
  const body = { nonce, username, password: 'pw-for-admin', admin: true };
  const res = await s.req('POST', '/_synapse/admin/v1/register', {
    body: { ...body, mac: computeRegistrationMac('test-shared-secret', body) },
  });
  expect(res.statusCode).toBe(200);
  return { userId: res.json().user_id, token: res.json().access_token };
}

/** Asserts an answer's status and errcode. */
export function expectError(
  res: { statusCode: number; json(): Record<string, unknown> },
  status: number,
  errcode: string,
): void {
  expect([res.statusCode, res.json().errcode]).toEqual([status, errcode]);
}

export const enc = encodeURIComponent;

/** Creates a room as `token`'s user; returns its id. */
export async function createRoom(
  s: TestServer,
  token: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const res = await s.req('POST', '/_matrix/client/v3/createRoom', { token, body });
  expect(res.statusCode).toBe(200);
  return res.json().room_id as string;
}

/** Joins a room. */
export async function join(s: TestServer, token: string, roomId: string) {
  return s.req('POST', `/_matrix/client/v3/join/${enc(roomId)}`, { token, body: {} });
}

/** Every table with a room_id column that holds a row of `roomId`. */
export async function tablesHoldingRoom(s: TestServer, roomId: string): Promise<string[]> {
  const tables = await s.ctx.db.all<{ name: string }>(
    `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
     WHERE m.type = 'table' AND c.name = 'room_id'`,
  );
  const out: string[] = [];
  for (const { name } of tables) {
    const n = await s.ctx.db.get<{ n: number }>(
      `SELECT count(*) AS n FROM "${name}" WHERE room_id = ?`,
      roomId,
    );
    if (n!.n > 0) out.push(name);
  }
  return out;
}
