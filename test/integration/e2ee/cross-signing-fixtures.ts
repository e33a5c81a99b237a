import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { signingKeyFromSeed, type SigningKey } from '../../../server/core/signing.js';
import type { TestServer } from '../../helpers/server.js';
import { PW, signAs, V3, type Device } from './keys-fixtures.js';

/**
 * What the cross-signing tests share: real ed25519 cross-signing keys (key id
 * `ed25519:<public key>`, as clients name them) and the objects a client uploads.
 */

export type Usage = 'master' | 'self_signing' | 'user_signing';

/** A new ed25519 key named by its public key, as cross-signing keys are. */
export function crossSigningKeyPair(): SigningKey {
  const seed = randomBytes(32);
  const probe = signingKeyFromSeed('probe', seed);
  return signingKeyFromSeed(probe.publicKeyBase64, seed);
}

/** A CrossSigningKey object for `userId`, signed by `signer` (the master key) if given. */
export function csKey(
  userId: string,
  usage: Usage,
  key: SigningKey,
  signer?: SigningKey,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const obj = {
    user_id: userId,
    usage: [usage],
    keys: { [key.keyId]: key.publicKeyBase64 },
    ...extra,
  };
  return signer ? signAs(obj, userId, signer) : obj;
}

export interface CrossSigningKeys {
  master: SigningKey;
  selfSigning: SigningKey;
  userSigning: SigningKey;
  body: Record<string, Record<string, unknown>>;
}

/** A fresh set of three keys for `userId` and the upload body that publishes them. */
export function newCrossSigningKeys(userId: string): CrossSigningKeys {
  const master = crossSigningKeyPair();
  const selfSigning = crossSigningKeyPair();
  const userSigning = crossSigningKeyPair();
  return {
    master,
    selfSigning,
    userSigning,
    body: {
      master_key: csKey(userId, 'master', master),
      self_signing_key: csKey(userId, 'self_signing', selfSigning, master),
      user_signing_key: csKey(userId, 'user_signing', userSigning, master),
    },
  };
}

export function uploadSigningKeys(s: TestServer, d: Device, body: unknown) {
  return s.req('POST', `${V3}/keys/device_signing/upload`, { token: d.token, body });
}

/** Uploads a fresh set of keys for a user who has none yet (no UIA needed). */
export async function bootstrap(s: TestServer, d: Device): Promise<CrossSigningKeys> {
  const keys = newCrossSigningKeys(d.userId);
  const r = await uploadSigningKeys(s, d, keys.body);
  expect(r.statusCode, r.body).toBe(200);
  return keys;
}

/** Uploads keys through the password UIA flow: the 401 challenge, then the password. */
export async function uploadWithPassword(s: TestServer, d: Device, body: Record<string, unknown>) {
  const first = await uploadSigningKeys(s, d, body);
  expect(first.statusCode, first.body).toBe(401);
  return uploadSigningKeys(s, d, {
    ...body,
    auth: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: d.userId },
      password: PW,
      session: first.json().session,
    },
  });
}

export function uploadSignatures(s: TestServer, d: Device, body: unknown) {
  return s.req('POST', `${V3}/keys/signatures/upload`, { token: d.token, body });
}

/** Uploads signatures; expects a 200 and returns its `failures`. */
export async function uploadSignaturesOk(s: TestServer, d: Device, body: unknown) {
  const r = await uploadSignatures(s, d, body);
  expect(r.statusCode, r.body).toBe(200);
  return r.json().failures as Record<string, Record<string, { errcode: string }>>;
}

/** user id -> key id -> errcode, from a `failures` object. */
export function errcodes(failures: Record<string, Record<string, { errcode: string }>>) {
  return Object.fromEntries(
    Object.entries(failures).map(([u, byKey]) => [
      u,
      Object.fromEntries(Object.entries(byKey).map(([k, e]) => [k, e.errcode])),
    ]),
  );
}
