import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import {
  claim,
  deviceSigningKey,
  oneTimeKeys,
  query,
  signAs,
  signedDeviceKeys,
  sync,
  upload,
  uploadOk,
  type Device,
} from './keys-fixtures.js';

/** POST /keys/upload (spec: keys.yaml), seen through /keys/query, /keys/claim and /sync. */

let s: TestServer;
let n = 0;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const user = () => s.register(`up${++n}`) as Promise<Device>;

describe('POST /keys/upload', () => {
  it('stores device, one-time and fallback keys; another user queries them', async () => {
    const alice = await user();
    const bob = await user();
    const key = deviceSigningKey(alice.deviceId);
    const dk = signedDeviceKeys(alice, key);
    const fallback = signAs({ key: 'ZmFsbGJhY2s', fallback: true }, alice.userId, key);
    const up = await uploadOk(s, alice, {
      device_keys: dk,
      one_time_keys: oneTimeKeys(alice, key, 5),
      fallback_keys: { 'signed_curve25519:fb1': fallback },
    });
    expect(up.one_time_key_counts).toEqual({ signed_curve25519: 5 });

    const q = await query(s, bob, { [alice.userId]: [] });
    const got = q.device_keys[alice.userId]![alice.deviceId]!;
    // As uploaded, plus the device's display name under `unsigned`.
    expect(got).toEqual({ ...dk, unsigned: {} });
    expect(q.failures).toEqual({});

    const me = await sync(s, alice);
    expect(me.device_one_time_keys_count).toEqual({ signed_curve25519: 5 });
    expect(me.device_unused_fallback_key_types).toEqual(['signed_curve25519']);
  });

  it("each sync's key counts follow claims, uploads and the fallback key's use at once", async () => {
    const a = await user();
    const b = await user();
    const key = deviceSigningKey(a.deviceId);
    const fb = signAs({ key: 'ZmFsbGJhY2s', fallback: true }, a.userId, key);
    await uploadOk(s, a, {
      one_time_keys: oneTimeKeys(a, key, 2),
      fallback_keys: { 'signed_curve25519:fb1': fb },
    });
    const counts = async () => {
      const r = await sync(s, a);
      return [r.device_one_time_keys_count, r.device_unused_fallback_key_types];
    };
    expect(await counts()).toEqual([{ signed_curve25519: 2 }, ['signed_curve25519']]);
    const one = { [a.userId]: { [a.deviceId]: 'signed_curve25519' } };
    await claim(s, b, one);
    expect(await counts()).toEqual([{ signed_curve25519: 1 }, ['signed_curve25519']]);
    await claim(s, b, one);
    await claim(s, b, one); // the fallback key: used now
    expect(await counts()).toEqual([{ signed_curve25519: 0 }, []]);
    await uploadOk(s, a, { one_time_keys: oneTimeKeys(a, key, 3, 'more') });
    expect(await counts()).toEqual([{ signed_curve25519: 3 }, []]);
  });

  it('answers signed_curve25519: 0 and accepts an empty upload', async () => {
    const a = await user();
    expect((await uploadOk(s, a, {})).one_time_key_counts).toEqual({ signed_curve25519: 0 });
    const first = await sync(s, a);
    expect(first.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(first.device_unused_fallback_key_types).toEqual([]);
  });

  it('counts other algorithms apart, and adds keys in later uploads', async () => {
    const a = await user();
    const key = deviceSigningKey(a.deviceId);
    await uploadOk(s, a, { one_time_keys: { 'curve25519:x1': 'cGxhaW4' } });
    const r = await uploadOk(s, a, { one_time_keys: oneTimeKeys(a, key, 3) });
    expect(r.one_time_key_counts).toEqual({ signed_curve25519: 3, curve25519: 1 });
  });

  it('takes an identical re-upload, and one-time keys whose signatures alone differ', async () => {
    const a = await user();
    const key = deviceSigningKey(a.deviceId);
    const dk = signedDeviceKeys(a, key);
    const otks = oneTimeKeys(a, key, 2);
    await uploadOk(s, a, { device_keys: dk, one_time_keys: otks });
    const again = await uploadOk(s, a, { device_keys: dk, one_time_keys: otks });
    expect(again.one_time_key_counts).toEqual({ signed_curve25519: 2 });
    const resigned = Object.fromEntries(
      Object.entries(otks).map(([id, k]) => [
        id,
        { key: k.key, signatures: { [a.userId]: { 'ed25519:other': 'c2ln' } } },
      ]),
    );
    const third = await uploadOk(s, a, { one_time_keys: resigned });
    expect(third.one_time_key_counts).toEqual({ signed_curve25519: 2 });
  });

  it('replaces device keys re-uploaded with other keys (as Synapse)', async () => {
    const a = await user();
    await uploadOk(s, a, { device_keys: signedDeviceKeys(a) });
    const second = signedDeviceKeys(a);
    await uploadOk(s, a, { device_keys: second });
    const q = await query(s, a, { [a.userId]: [a.deviceId] });
    expect(q.device_keys[a.userId]![a.deviceId]).toEqual({ ...second, unsigned: {} });
  });

  it('refuses a one-time key id re-uploaded with another key, storing nothing of the request', async () => {
    const a = await user();
    const key = deviceSigningKey(a.deviceId);
    const otks = oneTimeKeys(a, key, 2);
    await uploadOk(s, a, { one_time_keys: otks });
    const clash = {
      ...oneTimeKeys(a, key, 2),
      'signed_curve25519:new': otks['signed_curve25519:k0'],
    };
    const r = await upload(s, a, { device_keys: signedDeviceKeys(a, key), one_time_keys: clash });
    expectError(r, 400, 'M_INVALID_PARAM');
    // Neither the device keys nor the new one-time keys of that request were stored.
    const q = await query(s, a, { [a.userId]: [] });
    expect(q.device_keys[a.userId]).toEqual({});
    expect((await uploadOk(s, a, {})).one_time_key_counts).toEqual({ signed_curve25519: 2 });
  });

  it('replaces the fallback key per algorithm; the same key again stays used', async () => {
    const a = await user();
    const b = await user();
    const key = deviceSigningKey(a.deviceId);
    const fb1 = signAs({ key: 'ZmIx', fallback: true }, a.userId, key);
    await uploadOk(s, a, { fallback_keys: { 'signed_curve25519:fb1': fb1 } });
    const c1 = await claim(s, b, { [a.userId]: { [a.deviceId]: 'signed_curve25519' } });
    expect(c1.one_time_keys[a.userId]![a.deviceId]).toEqual({ 'signed_curve25519:fb1': fb1 });
    expect((await sync(s, a)).device_unused_fallback_key_types).toEqual([]);
    // The same key re-uploaded (a retried request) does not become unused again.
    await uploadOk(s, a, { fallback_keys: { 'signed_curve25519:fb1': fb1 } });
    expect((await sync(s, a)).device_unused_fallback_key_types).toEqual([]);
    // A new one replaces it, unused.
    const fb2 = signAs({ key: 'ZmIy', fallback: true }, a.userId, key);
    await uploadOk(s, a, { fallback_keys: { 'signed_curve25519:fb2': fb2 } });
    expect((await sync(s, a)).device_unused_fallback_key_types).toEqual(['signed_curve25519']);
    const c2 = await claim(s, b, { [a.userId]: { [a.deviceId]: 'signed_curve25519' } });
    expect(c2.one_time_keys[a.userId]![a.deviceId]).toEqual({ 'signed_curve25519:fb2': fb2 });
  });
});

describe('POST /keys/upload: bad input changes nothing', () => {
  let a: Device;
  let other: Device;
  beforeAll(async () => {
    a = await user();
    other = await user();
  });

  /** Each case: the body, then the status and errcode answered. */
  const cases: [string, (d: Device) => unknown, string][] = [
    ['device_keys not an object', () => ({ device_keys: 'keys' }), 'M_BAD_JSON'],
    [
      'device_keys of another user',
      (d) => ({ device_keys: signedDeviceKeys({ ...other, deviceId: d.deviceId }) }),
      'M_INVALID_PARAM',
    ],
    [
      "another device's keys",
      (d) => ({ device_keys: signedDeviceKeys({ ...d, deviceId: 'OTHERDEVICE' }) }),
      'M_INVALID_PARAM',
    ],
    [
      'a bad signature',
      (d) => {
        const dk = signedDeviceKeys(d);
        const forged = signedDeviceKeys(d, deviceSigningKey(d.deviceId));
        return { device_keys: { ...dk, signatures: forged.signatures } };
      },
      'M_INVALID_PARAM',
    ],
    [
      'no self-signature',
      (d) => ({ device_keys: { ...signedDeviceKeys(d), signatures: {} } }),
      'M_INVALID_PARAM',
    ],
    [
      'a signed field changed after signing',
      (d) => ({
        device_keys: { ...signedDeviceKeys(d), algorithms: ['m.olm.v1.curve25519-aes-sha2'] },
      }),
      'M_INVALID_PARAM',
    ],
    [
      'no ed25519 key',
      (d) => {
        const dk = signedDeviceKeys(d) as { keys: Record<string, string> };
        return { device_keys: { ...dk, keys: { [`curve25519:${d.deviceId}`]: 'eA' } } };
      },
      'M_INVALID_PARAM',
    ],
    [
      'a key named for another device',
      (d) => {
        const dk = signedDeviceKeys(d) as { keys: Record<string, string> };
        return { device_keys: { ...dk, keys: { ...dk.keys, 'curve25519:ELSE': 'eA' } } };
      },
      'M_INVALID_PARAM',
    ],
    [
      'algorithms not a list',
      (d) => ({ device_keys: { ...signedDeviceKeys(d), algorithms: 'm.megolm.v1.aes-sha2' } }),
      'M_BAD_JSON',
    ],
    [
      'a missing user_id',
      (d) => {
        const { user_id: _u, ...dk } = signedDeviceKeys(d);
        return { device_keys: dk };
      },
      'M_BAD_JSON',
    ],
    [
      'a key that is not a string',
      (d) => {
        const dk = signedDeviceKeys(d) as { keys: Record<string, unknown> };
        return { device_keys: { ...dk, keys: { ...dk.keys, [`curve25519:${d.deviceId}`]: 5 } } };
      },
      'M_BAD_JSON',
    ],
    [
      'a float in device_keys (no canonical JSON)',
      (d) => ({ device_keys: { ...signedDeviceKeys(d), extra: 1.5 } }),
      'M_BAD_JSON',
    ],
    [
      'a one-time key id without an algorithm',
      () => ({ one_time_keys: { AAAA: 'a2V5' } }),
      'M_BAD_JSON',
    ],
    [
      'a one-time key that is a number',
      () => ({ one_time_keys: { 'signed_curve25519:AAAA': 5 } }),
      'M_BAD_JSON',
    ],
    [
      'a signed one-time key without signatures',
      () => ({ one_time_keys: { 'signed_curve25519:AAAA': { key: 'a2V5' } } }),
      'M_BAD_JSON',
    ],
    ['one_time_keys a list', () => ({ one_time_keys: ['a2V5'] }), 'M_BAD_JSON'],
    [
      'two fallback keys of one algorithm',
      () => ({
        fallback_keys: {
          'signed_curve25519:f1': { key: 'eA', fallback: true, signatures: {} },
          'signed_curve25519:f2': { key: 'eQ', fallback: true, signatures: {} },
        },
      }),
      'M_INVALID_PARAM',
    ],
    [
      'a fallback key with an empty id',
      () => ({ fallback_keys: { 'signed_curve25519:': 'eA' } }),
      'M_BAD_JSON',
    ],
  ];

  it.each(cases)('%s', async (_name, body, errcode) => {
    // Valid one-time and fallback keys ride along: none of them may be stored either.
    const key = deviceSigningKey(a.deviceId);
    const b = body(a) as Record<string, unknown>;
    const r = await upload(s, a, {
      one_time_keys: oneTimeKeys(a, key, 3, `${errcode}${Math.random()}`),
      fallback_keys: { 'signed_curve25519:ok': { key: 'b2s', fallback: true, signatures: {} } },
      ...b,
    });
    expectError(r, 400, errcode);
    const q = await query(s, other, { [a.userId]: [] });
    expect(q.device_keys[a.userId]).toEqual({});
    const me = await sync(s, a);
    expect(me.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(me.device_unused_fallback_key_types).toEqual([]);
  });

  it('a body that is not an object is M_NOT_JSON', async () => {
    const r = await s.req('POST', '/_matrix/client/v3/keys/upload', { token: a.token, body: '[]' });
    expectError(r, 400, 'M_NOT_JSON');
  });

  it('needs an access token', async () => {
    const r = await s.req('POST', '/_matrix/client/v3/keys/upload', { body: {} });
    expectError(r, 401, 'M_MISSING_TOKEN');
  });
});
