import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import {
  claim,
  deviceSigningKey,
  login,
  oneTimeKeys,
  query,
  signAs,
  signedDeviceKeys,
  uploadOk,
  V3,
  type Device,
} from './keys-fixtures.js';

/** POST /keys/query and POST /keys/claim for users of one Hearth (spec: keys.yaml). */

let s: TestServer;
let n = 0;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const user = () => s.register(`qc${++n}`) as Promise<Device>;
const SC = 'signed_curve25519';

describe('POST /keys/query', () => {
  let alice: Device;
  let phone: Device;
  let bob: Device;
  let dkLaptop: Record<string, unknown>;
  let dkPhone: Record<string, unknown>;
  beforeAll(async () => {
    alice = await user();
    bob = await user();
    phone = await login(s, alice);
    const renamed = await s.req('PUT', `${V3}/devices/${phone.deviceId}`, {
      token: phone.token,
      body: { display_name: "Alice's phone" },
    });
    expect(renamed.statusCode).toBe(200);
    dkLaptop = signedDeviceKeys(alice);
    dkPhone = signedDeviceKeys(phone);
    await uploadOk(s, alice, { device_keys: dkLaptop });
    await uploadOk(s, phone, { device_keys: dkPhone });
  });

  it('an empty list is every device with keys, with its display name', async () => {
    const q = await query(s, bob, { [alice.userId]: [] });
    expect(q.device_keys).toEqual({
      [alice.userId]: {
        [alice.deviceId]: { ...dkLaptop, unsigned: {} },
        [phone.deviceId]: { ...dkPhone, unsigned: { device_display_name: "Alice's phone" } },
      },
    });
    expect(q).toMatchObject({
      failures: {},
      master_keys: {},
      self_signing_keys: {},
      user_signing_keys: {},
    });
  });

  it('named devices only; unknown devices and users are left out', async () => {
    const q = await query(s, bob, {
      [alice.userId]: [phone.deviceId, 'NOSUCHDEVICE'],
      '@nobody:test.local': [],
    });
    expect(Object.keys(q.device_keys)).toEqual([alice.userId]);
    expect(Object.keys(q.device_keys[alice.userId]!)).toEqual([phone.deviceId]);
  });

  it('a known user without keys is answered with no devices', async () => {
    const q = await query(s, alice, { [bob.userId]: [] });
    expect(q.device_keys).toEqual({ [bob.userId]: {} });
  });

  it('a malformed user id is 400 M_INVALID_PARAM; a wrong shape M_BAD_JSON', async () => {
    const bad = await s.req('POST', `${V3}/keys/query`, {
      token: bob.token,
      body: { device_keys: { 'not-a-user': [] } },
    });
    expectError(bad, 400, 'M_INVALID_PARAM');
    const shape = await s.req('POST', `${V3}/keys/query`, {
      token: bob.token,
      body: { device_keys: { [alice.userId]: 'all' } },
    });
    expectError(shape, 400, 'M_BAD_JSON');
    const missing = await s.req('POST', `${V3}/keys/query`, { token: bob.token, body: {} });
    expectError(missing, 400, 'M_MISSING_PARAM');
  });

  it('a user of another server that cannot be reached is listed under failures or left out', async () => {
    const r = await s.req('POST', `${V3}/keys/query`, {
      token: bob.token,
      body: { device_keys: { '@someone:unreachable.invalid': [] }, timeout: 100 },
    });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body.device_keys['@someone:unreachable.invalid']).toBeUndefined();
    expect(typeof body.failures).toBe('object');
  });
});

describe('POST /keys/claim', () => {
  it('hands out one-time keys in upload order, each once, then nothing', async () => {
    const a = await user();
    const b = await user();
    const key = deviceSigningKey(a.deviceId);
    const first = oneTimeKeys(a, key, 2, 'first');
    const second = oneTimeKeys(a, key, 1, 'second');
    await uploadOk(s, a, { one_time_keys: first });
    await uploadOk(s, a, { one_time_keys: second });
    const want = { [a.userId]: { [a.deviceId]: SC } };
    const got = [];
    for (let i = 0; i < 3; i++) {
      got.push(Object.keys((await claim(s, b, want)).one_time_keys[a.userId]![a.deviceId]!)[0]);
    }
    // The first upload's keys before the second's (the order within one upload is open).
    expect(got.slice(0, 2).sort()).toEqual(Object.keys(first).sort());
    expect(got[2]).toBe(Object.keys(second)[0]);
    // The claimed key is the object uploaded.
    const none = await claim(s, b, want);
    expect(none).toEqual({ one_time_keys: {}, failures: {} });
  });

  it('never hands one key out twice under concurrent claims; the fallback key serves the rest', async () => {
    const a = await user();
    const key = deviceSigningKey(a.deviceId);
    const otks = oneTimeKeys(a, key, 20);
    const fb = signAs({ key: 'ZmFsbGJhY2s', fallback: true }, a.userId, key);
    await uploadOk(s, a, { one_time_keys: otks, fallback_keys: { [`${SC}:fb`]: fb } });
    const claimers = await Promise.all([1, 2, 3].map(() => user()));
    const want = { [a.userId]: { [a.deviceId]: SC } };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => claim(s, claimers[i % 3]!, want)),
    );
    const ids = results.flatMap((r) => Object.keys(r.one_time_keys[a.userId]![a.deviceId]!));
    const oneTime = ids.filter((id) => id !== `${SC}:fb`);
    expect(oneTime.length).toBe(20);
    expect(new Set(oneTime).size).toBe(20);
    expect(new Set(oneTime)).toEqual(new Set(Object.keys(otks)));
    // The other 20 claims got the fallback key, which stays.
    expect(ids.filter((id) => id === `${SC}:fb`).length).toBe(20);
    const later = await claim(s, claimers[0]!, want);
    expect(later.one_time_keys[a.userId]![a.deviceId]).toEqual({ [`${SC}:fb`]: fb });
    // Each key object is the one uploaded under its id.
    for (const r of results) {
      for (const [id, k] of Object.entries(r.one_time_keys[a.userId]![a.deviceId]!)) {
        expect(k).toEqual(id === `${SC}:fb` ? fb : otks[id]);
      }
    }
  });

  it('claims across users and devices in one request; unknown devices are left out', async () => {
    const a = await user();
    const a2 = await login(s, a);
    const b = await user();
    const c = await user();
    for (const d of [a, a2, b]) {
      await uploadOk(s, d, { one_time_keys: oneTimeKeys(d, deviceSigningKey(d.deviceId), 1) });
    }
    const r = await claim(s, c, {
      [a.userId]: { [a.deviceId]: SC, [a2.deviceId]: SC, NOSUCH: SC },
      [b.userId]: { [b.deviceId]: SC },
      '@nobody:test.local': { X: SC },
    });
    expect(Object.keys(r.one_time_keys).sort()).toEqual([a.userId, b.userId].sort());
    expect(Object.keys(r.one_time_keys[a.userId]!).sort()).toEqual(
      [a.deviceId, a2.deviceId].sort(),
    );
    expect(r.failures).toEqual({});
  });

  it('an algorithm the device has no key of gets nothing', async () => {
    const a = await user();
    await uploadOk(s, a, { one_time_keys: oneTimeKeys(a, deviceSigningKey(a.deviceId), 1) });
    const r = await claim(s, a, { [a.userId]: { [a.deviceId]: 'curve25519' } });
    expect(r.one_time_keys).toEqual({});
  });

  it('bad input: a malformed user id, a non-string algorithm', async () => {
    const a = await user();
    const bad = await s.req('POST', `${V3}/keys/claim`, {
      token: a.token,
      body: { one_time_keys: { 'bad id': { D: SC } } },
    });
    expectError(bad, 400, 'M_INVALID_PARAM');
    const shape = await s.req('POST', `${V3}/keys/claim`, {
      token: a.token,
      body: { one_time_keys: { [a.userId]: { D: 5 } } },
    });
    expectError(shape, 400, 'M_BAD_JSON');
  });
});
