import { expect } from 'vitest';
import type { TestServer } from '../../helpers/server.js';

/** Shared by the key backup tests (backup-*.test.ts). */

export const V3 = '/_matrix/client/v3';
export const ALGORITHM = 'm.megolm_backup.v1.curve25519-aes-sha2';
export type User = { userId: string; token: string; deviceId: string };

/** auth_data as a client sends it (the server only checks that public_key is there). */
export function authData(publicKey = 'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo') {
  return { public_key: publicKey, signatures: { '@x:test.local': { 'ed25519:X': 'sig' } } };
}

/** KeyBackupData with session_data shaped as m.megolm_backup.v1 makes it. */
export function keyData(
  isVerified: boolean,
  firstMessageIndex: number,
  forwardedCount: number,
  tag = 'a',
) {
  return {
    first_message_index: firstMessageIndex,
    forwarded_count: forwardedCount,
    is_verified: isVerified,
    session_data: {
      ephemeral: 'KYWsSzH1GVdoEnEK9EY+7oDsBo4OvqJ1/IVBnNNJ6xM',
      ciphertext: `ciphertext+${tag}+${'x'.repeat(400)}`,
      mac: 'QzKV/fgAs4U',
    },
  };
}

/** Creates a backup; returns its version string. */
export async function createBackup(s: TestServer, u: User, body?: unknown): Promise<string> {
  const r = await s.req('POST', `${V3}/room_keys/version`, {
    token: u.token,
    body: body ?? { algorithm: ALGORITHM, auth_data: authData() },
  });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().version as string;
}

/** GET /room_keys/version[/{version}], as status and body. */
export async function getVersion(s: TestServer, u: User, version?: string) {
  const path = version === undefined ? '' : `/${encodeURIComponent(version)}`;
  return s.req('GET', `${V3}/room_keys/version${path}`, { token: u.token });
}

/** The /room_keys/keys path of a scope: every room, one room, or one session. */
export function keysPath(version: string, roomId?: string, sessionId?: string): string {
  let p = `${V3}/room_keys/keys`;
  if (roomId !== undefined) p += `/${encodeURIComponent(roomId)}`;
  if (sessionId !== undefined) p += `/${encodeURIComponent(sessionId)}`;
  return `${p}?version=${encodeURIComponent(version)}`;
}
