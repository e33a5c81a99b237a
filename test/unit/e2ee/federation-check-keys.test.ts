import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  signPayload,
  signingKeyFromSeed,
  signingPayload,
  type SigningKey,
} from '../../../server/core/signing.js';
import {
  checkedClaimedKey,
  checkedCrossSigningKey,
  checkedDeviceKeys,
} from '../../../server/e2ee/federation/check-keys.js';

/** The checks on keys other servers hand over (server/e2ee/federation/check-keys.ts). */

const U = '@eve:other.test';
const key = signingKeyFromSeed('DEV', randomBytes(32));

function sign(obj: Record<string, unknown>, k: SigningKey, as = U): Record<string, unknown> {
  return { ...obj, signatures: { [as]: { [k.keyId]: signPayload(signingPayload(obj), k) } } };
}

const device = (extra: Record<string, unknown> = {}) => ({
  user_id: U,
  device_id: 'DEV',
  algorithms: ['m.olm.v1.curve25519-aes-sha2'],
  keys: { 'curve25519:DEV': 'c', 'ed25519:DEV': key.publicKeyBase64 },
  ...extra,
});
const good = sign(device(), key);

describe('checkedDeviceKeys', () => {
  test.each([
    ['signed by the device', good, U, 'DEV', true],
    [
      'with an unsigned part',
      { ...good, unsigned: { device_display_name: 'Phone' } },
      U,
      'DEV',
      true,
    ],
    ['asked under another device id', good, U, 'OTHER', false],
    ['asked for another user', good, '@alice:other.test', 'DEV', false],
    ['changed after signing', { ...good, algorithms: ['x'] }, U, 'DEV', false],
    [
      'signed by another key',
      sign(device(), signingKeyFromSeed('DEV', randomBytes(32))),
      U,
      'DEV',
      false,
    ],
    ['signed as another user', sign(device(), key, '@alice:other.test'), U, 'DEV', false],
    ['without signatures', device(), U, 'DEV', false],
    ['not canonical JSON', { ...good, n: 1.5 }, U, 'DEV', false],
    ['not an object', 'keys', U, 'DEV', false],
  ] as const)('%s', (_name, keys, userId, deviceId, ok) => {
    const r = checkedDeviceKeys(keys, userId, deviceId);
    if (ok) expect(r).toMatchObject(good);
    else expect(r).toBeNull();
  });

  test('keeps only a string display name of unsigned; a given name wins', () => {
    const withUnsigned = { ...good, unsigned: { device_display_name: 'Phone', other: 1 } };
    expect(checkedDeviceKeys(withUnsigned, U, 'DEV')).toEqual({
      ...good,
      unsigned: { device_display_name: 'Phone' },
    });
    expect(checkedDeviceKeys(withUnsigned, U, 'DEV', 'Cached')).toEqual({
      ...good,
      unsigned: { device_display_name: 'Cached' },
    });
    expect(checkedDeviceKeys({ ...good, unsigned: { device_display_name: 5 } }, U, 'DEV')).toEqual(
      good,
    );
  });
});

describe('checkedCrossSigningKey', () => {
  const master = { user_id: U, usage: ['master'], keys: { 'ed25519:m': 'm' } };
  test.each([
    ['a master key', master, 'master', true],
    ['used as self-signing', master, 'self_signing', false],
    ["another user's", { ...master, user_id: '@alice:other.test' }, 'master', false],
    ['without keys', { ...master, keys: {} }, 'master', false],
    ['with a non-string key', { ...master, keys: { 'ed25519:m': 1 } }, 'master', false],
    ['not an object', null, 'master', false],
  ] as const)('%s', (_name, k, usage, ok) => {
    expect(checkedCrossSigningKey(k, U, usage)).toEqual(ok ? k : null);
  });
});

describe('checkedClaimedKey', () => {
  test.each([
    ['a signed key', { 'signed_curve25519:a': { key: 'k', signatures: {} } }, true],
    ['a plain key', { 'signed_curve25519:a': 'k' }, true],
    ['of another algorithm', { 'curve25519:a': 'k' }, false],
    ['a key object without key', { 'signed_curve25519:a': { nope: 1 } }, false],
    ['nothing', {}, false],
  ] as const)('%s', (_name, keys, ok) => {
    const r = checkedClaimedKey(keys, 'signed_curve25519');
    if (ok) expect(r).toEqual(keys);
    else expect(r).toBeNull();
  });
});
