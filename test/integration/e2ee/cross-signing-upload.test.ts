import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import {
  bootstrap,
  crossSigningKeyPair,
  csKey,
  newCrossSigningKeys,
  uploadSigningKeys,
  uploadWithPassword,
} from './cross-signing-fixtures.js';
import { PW, query, sharedRoom, sync, V3, type Device } from './keys-fixtures.js';

/** POST /keys/device_signing/upload (spec: cross_signing.yaml), seen through /keys/query. */

let s: TestServer;
let n = 0;
beforeAll(async () => {
  s = await createTestServer({ allow_guest_access: true });
});
afterAll(() => s.close());

const user = () => s.register(`xs${++n}`) as Promise<Device>;

/** The user's keys as `viewer` sees them, by kind. */
async function keysOf(viewer: Device, userId: string) {
  const q = await query(s, viewer, { [userId]: [] });
  return {
    master: q.master_keys[userId] as Record<string, unknown> | undefined,
    selfSigning: q.self_signing_keys[userId] as Record<string, unknown> | undefined,
    userSigning: q.user_signing_keys[userId] as Record<string, unknown> | undefined,
  };
}

describe('bootstrap', () => {
  it('stores the three keys without UIA when the user has none; the owner sees all three, others no user-signing key', async () => {
    const alice = await user();
    const bob = await user();
    const keys = newCrossSigningKeys(alice.userId);
    const r = await uploadSigningKeys(s, alice, keys.body);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({});

    expect(await keysOf(alice, alice.userId)).toEqual({
      master: keys.body.master_key,
      selfSigning: keys.body.self_signing_key,
      userSigning: keys.body.user_signing_key,
    });
    expect(await keysOf(bob, alice.userId)).toEqual({
      master: keys.body.master_key,
      selfSigning: keys.body.self_signing_key,
      userSigning: undefined,
    });
  });

  it('accepts the same keys again without UIA (a retried upload)', async () => {
    const alice = await user();
    const keys = await bootstrap(s, alice);
    const again = await uploadSigningKeys(s, alice, keys.body);
    expect(again.statusCode, again.body).toBe(200);
    // A subset of the stored keys is no new key either.
    const part = await uploadSigningKeys(s, alice, { master_key: keys.body.master_key });
    expect(part.statusCode, part.body).toBe(200);
  });

  it('puts the user in device_lists.changed of those who share a room', async () => {
    const alice = await user();
    const bob = await user();
    await sharedRoom(s, alice, bob);
    const since = (await sync(s, bob)).next_batch;
    await bootstrap(s, alice);
    const next = await sync(s, bob, since);
    expect(next.device_lists?.changed).toContain(alice.userId);
  });
});

describe('user-interactive auth', () => {
  it('asks for the password to replace a key, and replaces it once given', async () => {
    const alice = await user();
    const old = await bootstrap(s, alice);
    const fresh = newCrossSigningKeys(alice.userId);

    const challenge = await uploadSigningKeys(s, alice, fresh.body);
    expect(challenge.statusCode).toBe(401);
    expect(challenge.json().flows).toEqual([{ stages: ['m.login.password'] }]);
    expect(challenge.json().session).toEqual(expect.any(String));
    // Nothing changed yet.
    expect((await keysOf(alice, alice.userId)).master).toEqual(old.body.master_key);

    const done = await uploadWithPassword(s, alice, fresh.body);
    expect(done.statusCode, done.body).toBe(200);
    expect(await keysOf(alice, alice.userId)).toEqual({
      master: fresh.body.master_key,
      selfSigning: fresh.body.self_signing_key,
      userSigning: fresh.body.user_signing_key,
    });
  });

  it('asks for UIA to replace only the self-signing key', async () => {
    const alice = await user();
    const keys = await bootstrap(s, alice);
    const ssk = csKey(alice.userId, 'self_signing', crossSigningKeyPair(), keys.master);
    const r = await uploadSigningKeys(s, alice, { self_signing_key: ssk });
    expect(r.statusCode).toBe(401);
    const done = await uploadWithPassword(s, alice, { self_signing_key: ssk });
    expect(done.statusCode, done.body).toBe(200);
    expect((await keysOf(alice, alice.userId)).selfSigning).toEqual(ssk);
  });

  it('lets only one of two concurrent first uploads in without UIA', async () => {
    const alice = await user();
    const one = newCrossSigningKeys(alice.userId);
    const two = newCrossSigningKeys(alice.userId);
    const [r1, r2] = await Promise.all([
      uploadSigningKeys(s, alice, one.body),
      uploadSigningKeys(s, alice, two.body),
    ]);
    expect([r1.statusCode, r2.statusCode].sort()).toEqual([200, 401]);
    const winner = r1.statusCode === 200 ? one : two;
    expect((await keysOf(alice, alice.userId)).master).toEqual(winner.body.master_key);
  });

  it('refuses a wrong password and keeps the old keys', async () => {
    const alice = await user();
    const old = await bootstrap(s, alice);
    const fresh = newCrossSigningKeys(alice.userId);
    const first = await uploadSigningKeys(s, alice, fresh.body);
    const wrong = await uploadSigningKeys(s, alice, {
      ...fresh.body,
      auth: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: alice.userId },
        password: `not ${PW}`,
        session: first.json().session,
      },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().errcode).toBe('M_FORBIDDEN');
    expect((await keysOf(alice, alice.userId)).master).toEqual(old.body.master_key);
  });

  it('drops the self-signing and user-signing keys a new master key has not signed', async () => {
    const alice = await user();
    await bootstrap(s, alice);
    const master = csKey(alice.userId, 'master', crossSigningKeyPair());
    const done = await uploadWithPassword(s, alice, { master_key: master });
    expect(done.statusCode, done.body).toBe(200);
    expect(await keysOf(alice, alice.userId)).toEqual({
      master,
      selfSigning: undefined,
      userSigning: undefined,
    });
  });
});

describe('bad input changes nothing', () => {
  const cases: [
    string,
    (userId: string, other: string) => Record<string, unknown>,
    number,
    string,
  ][] = [
    [
      "another user's key",
      (_u, other) => ({ master_key: csKey(other, 'master', crossSigningKeyPair()) }),
      400,
      'M_INVALID_PARAM',
    ],
    [
      'a master key with the wrong usage',
      (u) => ({ master_key: csKey(u, 'self_signing', crossSigningKeyPair()) }),
      400,
      'M_INVALID_PARAM',
    ],
    [
      'two public keys in one key',
      (u) => {
        const a = crossSigningKeyPair();
        const b = crossSigningKeyPair();
        return {
          master_key: {
            user_id: u,
            usage: ['master'],
            keys: { [a.keyId]: a.publicKeyBase64, [b.keyId]: b.publicKeyBase64 },
          },
        };
      },
      400,
      'M_INVALID_PARAM',
    ],
    [
      'a key id that is not its public key',
      (u) => {
        const a = crossSigningKeyPair();
        return {
          master_key: { user_id: u, usage: ['master'], keys: { 'ed25519:abc': a.publicKeyBase64 } },
        };
      },
      400,
      'M_INVALID_PARAM',
    ],
    [
      'a public key that is not 32 bytes of base64',
      (u) => ({
        master_key: { user_id: u, usage: ['master'], keys: { 'ed25519:abc': 'abc' } },
      }),
      400,
      'M_INVALID_PARAM',
    ],
    [
      'usage that is not an array',
      (u) => ({
        master_key: { ...csKey(u, 'master', crossSigningKeyPair()), usage: 'master' },
      }),
      400,
      'M_BAD_JSON',
    ],
    [
      'a master key that is not an object',
      () => ({ master_key: 'ed25519:abc' }),
      400,
      'M_BAD_JSON',
    ],
    [
      'a fraction, which canonical JSON cannot hold',
      (u) => ({ master_key: csKey(u, 'master', crossSigningKeyPair(), undefined, { x: 1.5 }) }),
      400,
      'M_BAD_JSON',
    ],
    [
      'a self-signing key not signed by the master key',
      (u) => ({
        master_key: csKey(u, 'master', crossSigningKeyPair()),
        self_signing_key: csKey(u, 'self_signing', crossSigningKeyPair()),
      }),
      400,
      'M_INVALID_SIGNATURE',
    ],
    [
      'a user-signing key signed by another key',
      (u) => ({
        master_key: csKey(u, 'master', crossSigningKeyPair()),
        user_signing_key: csKey(u, 'user_signing', crossSigningKeyPair(), crossSigningKeyPair()),
      }),
      400,
      'M_INVALID_SIGNATURE',
    ],
    [
      'a self-signing key with a forged master signature',
      (u) => {
        const master = crossSigningKeyPair();
        const ssk = csKey(u, 'self_signing', crossSigningKeyPair(), master);
        const sigs = ssk.signatures as Record<string, Record<string, string>>;
        sigs[u]![master.keyId] = 'A'.repeat(86);
        return { master_key: csKey(u, 'master', master), self_signing_key: ssk };
      },
      400,
      'M_INVALID_SIGNATURE',
    ],
    [
      'a self-signing key and no master key anywhere',
      (u) => ({
        self_signing_key: csKey(u, 'self_signing', crossSigningKeyPair(), crossSigningKeyPair()),
      }),
      400,
      'M_MISSING_PARAM',
    ],
    ['no key at all from a user without keys', () => ({}), 400, 'M_MISSING_PARAM'],
    [
      'the same key as master and self-signing key',
      (u) => {
        const k = crossSigningKeyPair();
        return {
          master_key: csKey(u, 'master', k),
          self_signing_key: csKey(u, 'self_signing', k, k),
        };
      },
      400,
      'M_INVALID_PARAM',
    ],
  ];

  it.each(cases)('%s', async (_name, make, status, errcode) => {
    const alice = await user();
    const bob = await user();
    const body = make(alice.userId, bob.userId);
    // A valid self-signing key next to the bad one must not be stored either.
    const r = await uploadSigningKeys(s, alice, body);
    expectError(r, status, errcode);
    expect(await keysOf(alice, alice.userId)).toEqual({
      master: undefined,
      selfSigning: undefined,
      userSigning: undefined,
    });
  });

  it('refuses a public key equal to one of the user’s device ids (403)', async () => {
    const alice = await user();
    const key = crossSigningKeyPair();
    const login = await s.req('POST', `${V3}/login`, {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: alice.userId },
        password: PW,
        device_id: key.publicKeyBase64,
      },
    });
    expect(login.statusCode, login.body).toBe(200);
    const r = await uploadSigningKeys(s, alice, { master_key: csKey(alice.userId, 'master', key) });
    expectError(r, 403, 'M_FORBIDDEN');
    expect((await keysOf(alice, alice.userId)).master).toBeUndefined();
  });

  it('refuses a guest (403 M_GUEST_ACCESS_FORBIDDEN)', async () => {
    const reg = await s.req('POST', `${V3}/register?kind=guest`, { body: {} });
    expect(reg.statusCode, reg.body).toBe(200);
    const guest = { userId: reg.json().user_id, token: reg.json().access_token, deviceId: '' };
    const r = await uploadSigningKeys(s, guest, newCrossSigningKeys(guest.userId).body);
    expectError(r, 403, 'M_GUEST_ACCESS_FORBIDDEN');
  });

  it('answers 401 without a token', async () => {
    const r = await s.req('POST', `${V3}/keys/device_signing/upload`, { body: {} });
    expectError(r, 401, 'M_MISSING_TOKEN');
  });
});
