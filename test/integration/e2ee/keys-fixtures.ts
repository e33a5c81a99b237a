import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import {
  signPayload,
  signingKeyFromSeed,
  signingPayload,
  type SigningKey,
} from '../../../server/core/signing.js';
import type { TestServer } from '../../helpers/server.js';

/**
 * What the keys tests share: a device with a real ed25519 key that signs its DeviceKeys as a
 * client does (spec appendices, "Signing JSON"), and short forms of the keys endpoints.
 */

export const V3 = '/_matrix/client/v3';
export const PW = 'correct horse battery staple';

export interface Device {
  userId: string;
  token: string;
  deviceId: string;
}

/** A device's ed25519 identity key, named ed25519:<device id>. */
export function deviceSigningKey(deviceId: string): SigningKey {
  return signingKeyFromSeed(deviceId, randomBytes(32));
}

/** Adds `key`'s signature (as `userId`) to `obj`. */
export function signAs<T extends Record<string, unknown>>(
  obj: T,
  userId: string,
  key: SigningKey,
): T & { signatures: Record<string, Record<string, string>> } {
  const existing = (obj.signatures ?? {}) as Record<string, Record<string, string>>;
  return {
    ...obj,
    signatures: {
      ...existing,
      [userId]: { ...existing[userId], [key.keyId]: signPayload(signingPayload(obj), key) },
    },
  };
}

/** A device's DeviceKeys, signed by its own ed25519 key. */
export function signedDeviceKeys(
  d: Device,
  key = deviceSigningKey(d.deviceId),
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return signAs(
    {
      user_id: d.userId,
      device_id: d.deviceId,
      algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
      keys: {
        [`curve25519:${d.deviceId}`]: randomBytes(32).toString('base64').replace(/=+$/, ''),
        [`ed25519:${d.deviceId}`]: key.publicKeyBase64,
      },
      ...extra,
    },
    d.userId,
    key,
  );
}

/** `n` signed one-time keys `signed_curve25519:<prefix><i>`, signed by `key`. */
export function oneTimeKeys(
  d: Device,
  key: SigningKey,
  n: number,
  prefix = 'k',
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (let i = 0; i < n; i++) {
    out[`signed_curve25519:${prefix}${i}`] = signAs(
      { key: randomBytes(32).toString('base64').replace(/=+$/, '') },
      d.userId,
      key,
    );
  }
  return out;
}

export function upload(s: TestServer, d: Device, body: unknown) {
  return s.req('POST', `${V3}/keys/upload`, { token: d.token, body });
}

export async function uploadOk(s: TestServer, d: Device, body: unknown) {
  const r = await upload(s, d, body);
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as { one_time_key_counts: Record<string, number> };
}

export async function query(s: TestServer, d: Device, deviceKeys: Record<string, string[]>) {
  const r = await s.req('POST', `${V3}/keys/query`, {
    token: d.token,
    body: { device_keys: deviceKeys },
  });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as {
    device_keys: Record<string, Record<string, Record<string, unknown>>>;
    failures: Record<string, unknown>;
    master_keys: Record<string, unknown>;
    self_signing_keys: Record<string, unknown>;
    user_signing_keys: Record<string, unknown>;
  };
}

export async function claim(
  s: TestServer,
  d: Device,
  want: Record<string, Record<string, string>>,
) {
  const r = await s.req('POST', `${V3}/keys/claim`, {
    token: d.token,
    body: { one_time_keys: want },
  });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as {
    one_time_keys: Record<string, Record<string, Record<string, unknown>>>;
    failures: Record<string, unknown>;
  };
}

export interface SyncBody {
  next_batch: string;
  device_lists?: { changed: string[]; left: string[] };
  device_one_time_keys_count?: Record<string, number>;
  device_unused_fallback_key_types?: string[];
}

export async function sync(s: TestServer, d: Device, since?: string, timeout = 0) {
  const qs = new URLSearchParams({ timeout: String(timeout), ...(since ? { since } : {}) });
  const r = await s.req('GET', `${V3}/sync?${qs}`, { token: d.token });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as SyncBody;
}

/** Another device of the user, by password login. */
export async function login(s: TestServer, u: Device): Promise<Device> {
  const r = await s.req('POST', `${V3}/login`, {
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: u.userId },
      password: PW,
    },
  });
  expect(r.statusCode).toBe(200);
  return { userId: u.userId, token: r.json().access_token, deviceId: r.json().device_id };
}

/** A room of `owner` that `others` join. */
export async function sharedRoom(s: TestServer, owner: Device, ...others: Device[]) {
  const r = await s.req('POST', `${V3}/createRoom`, {
    token: owner.token,
    body: { preset: 'public_chat' },
  });
  expect(r.statusCode).toBe(200);
  const roomId = r.json().room_id as string;
  for (const o of others) await join(s, o, roomId);
  return roomId;
}

export async function join(s: TestServer, d: Device, roomId: string) {
  const r = await s.req('POST', `${V3}/join/${encodeURIComponent(roomId)}`, {
    token: d.token,
    body: {},
  });
  expect(r.statusCode, r.body).toBe(200);
}

export async function leave(s: TestServer, d: Device, roomId: string) {
  const r = await s.req('POST', `${V3}/rooms/${encodeURIComponent(roomId)}/leave`, {
    token: d.token,
    body: {},
  });
  expect(r.statusCode, r.body).toBe(200);
}
