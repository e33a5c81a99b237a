import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../../server/core/errors.js';
import { signPayload, signingKeyFromSeed, signingPayload } from '../../../server/core/signing.js';
import { sameOneTimeKey, validateUpload } from '../../../server/e2ee/keys/validate-upload.js';

/** The checks of a /keys/upload body (server/e2ee/keys/validate-upload.ts), table-driven. */

const USER = '@alice:test.local';
const DEVICE = 'ALICEDEV';
const key = signingKeyFromSeed(DEVICE, randomBytes(32));

function signed(obj: Record<string, unknown>): Record<string, unknown> {
  return { ...obj, signatures: { [USER]: { [key.keyId]: signPayload(signingPayload(obj), key) } } };
}

const deviceKeys = () =>
  signed({
    user_id: USER,
    device_id: DEVICE,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${DEVICE}`]: 'Y3VydmU', [`ed25519:${DEVICE}`]: key.publicKeyBase64 },
  });

function errcodeOf(body: Record<string, unknown>): string | null {
  try {
    validateUpload(USER, DEVICE, body);
    return null;
  } catch (e) {
    if (e instanceof MatrixError) return e.errcode;
    throw e;
  }
}

describe('validateUpload', () => {
  it('accepts a signed device key, one-time keys of both forms and a fallback key', () => {
    const v = validateUpload(USER, DEVICE, {
      device_keys: { ...deviceKeys(), unsigned: { device_display_name: 'ignored' } },
      one_time_keys: {
        'curve25519:A': 'a2V5',
        'signed_curve25519:B': { key: 'a2V5', signatures: {} },
      },
      fallback_keys: { 'signed_curve25519:F': { key: 'ZmI', fallback: true, signatures: {} } },
    });
    // Stored as canonical JSON, without `unsigned` (the server fills it in on the way out).
    expect(JSON.parse(v.deviceKeysJson!)).toEqual(deviceKeys());
    expect(v.deviceKeysJson).not.toContain('unsigned');
    expect(v.oneTimeKeys.map((k) => [k.algorithm, k.keyId])).toEqual([
      ['curve25519', 'A'],
      ['signed_curve25519', 'B'],
    ]);
    expect(v.fallbackKeys).toHaveLength(1);
  });

  it('key ids may hold colons after the first', () => {
    const v = validateUpload(USER, DEVICE, { one_time_keys: { 'signed_curve25519:a:b': 'eA' } });
    expect(v.oneTimeKeys[0]).toMatchObject({ algorithm: 'signed_curve25519', keyId: 'a:b' });
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['device_keys a list', { device_keys: [] }, 'M_BAD_JSON'],
    ['no user_id', { device_keys: { ...deviceKeys(), user_id: undefined } }, 'M_BAD_JSON'],
    [
      'user_id of another',
      { device_keys: { ...deviceKeys(), user_id: '@bob:test.local' } },
      'M_INVALID_PARAM',
    ],
    [
      'device_id of another',
      { device_keys: { ...deviceKeys(), device_id: 'BOB' } },
      'M_INVALID_PARAM',
    ],
    [
      'algorithms with a number',
      { device_keys: { ...deviceKeys(), algorithms: [1] } },
      'M_BAD_JSON',
    ],
    ['keys a string', { device_keys: { ...deviceKeys(), keys: 'k' } }, 'M_BAD_JSON'],
    ['signatures a string', { device_keys: { ...deviceKeys(), signatures: 's' } }, 'M_BAD_JSON'],
    [
      'a tampered key',
      {
        device_keys: {
          ...deviceKeys(),
          keys: { [`ed25519:${DEVICE}`]: key.publicKeyBase64, [`curve25519:${DEVICE}`]: 'b3RoZXI' },
        },
      },
      'M_INVALID_PARAM',
    ],
    [
      'a signature of garbage',
      { device_keys: { ...deviceKeys(), signatures: { [USER]: { [`ed25519:${DEVICE}`]: '!!' } } } },
      'M_INVALID_PARAM',
    ],
    ['one_time_keys a string', { one_time_keys: 'k' }, 'M_BAD_JSON'],
    ['an empty algorithm', { one_time_keys: { ':A': 'eA' } }, 'M_BAD_JSON'],
    ['an empty key', { one_time_keys: { 'curve25519:A': '' } }, 'M_BAD_JSON'],
    [
      'a key object without key',
      { one_time_keys: { 'signed_curve25519:A': { signatures: {} } } },
      'M_BAD_JSON',
    ],
    [
      'signatures that are not strings',
      { one_time_keys: { 'signed_curve25519:A': { key: 'eA', signatures: { [USER]: { x: 1 } } } } },
      'M_BAD_JSON',
    ],
    [
      'a float in a key object',
      { one_time_keys: { 'signed_curve25519:A': { key: 'eA', signatures: {}, n: 0.5 } } },
      'M_BAD_JSON',
    ],
    [
      'a key id too long',
      { one_time_keys: { [`curve25519:${'x'.repeat(300)}`]: 'eA' } },
      'M_INVALID_PARAM',
    ],
    [
      'two fallback keys of one algorithm',
      { fallback_keys: { 'curve25519:A': 'eA', 'curve25519:B': 'eQ' } },
      'M_INVALID_PARAM',
    ],
  ];
  it.each(cases)('%s', (_name, body, errcode) => {
    expect(errcodeOf(body)).toBe(errcode);
  });

  it('absent and null fields are nothing to store', () => {
    expect(validateUpload(USER, DEVICE, { device_keys: null })).toEqual({
      deviceKeysJson: null,
      oneTimeKeys: [],
      fallbackKeys: [],
    });
  });
});

describe('sameOneTimeKey', () => {
  const table: [string, unknown, unknown, boolean][] = [
    ['identical strings', 'eA', 'eA', true],
    ['different strings', 'eA', 'eQ', false],
    [
      'same key, other signatures',
      { key: 'eA', signatures: { a: { b: 'c' } } },
      { key: 'eA', signatures: {} },
      true,
    ],
    ['other key', { key: 'eA', signatures: {} }, { key: 'eQ', signatures: {} }, false],
    ['string against object', 'eA', { key: 'eA', signatures: {} }, false],
  ];
  it.each(table)('%s', (_name, a, b, same) => {
    expect(sameOneTimeKey(JSON.stringify(a), JSON.stringify(b))).toBe(same);
  });
});
