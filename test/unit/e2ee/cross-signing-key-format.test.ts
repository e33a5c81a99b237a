import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../../server/core/errors.js';
import {
  hasValidSignature,
  parseCrossSigningKey,
  sameSignedContent,
} from '../../../server/e2ee/cross-signing/key-format.js';
import { signPayload, signingKeyFromSeed, signingPayload } from '../../../server/core/signing.js';

/** The shape checks of an uploaded CrossSigningKey (definitions/cross_signing_key.yaml). */

const U = '@alice:test.local';

function keyPair() {
  const seed = randomBytes(32);
  return signingKeyFromSeed(signingKeyFromSeed('x', seed).publicKeyBase64, seed);
}
const k = keyPair();
const good = { user_id: U, usage: ['master'], keys: { [k.keyId]: k.publicKeyBase64 } };

function errcodeOf(value: unknown): string | null {
  try {
    parseCrossSigningKey(value, U, 'master', 'master_key');
    return null;
  } catch (e) {
    if (e instanceof MatrixError) return e.errcode;
    throw e;
  }
}

describe('parseCrossSigningKey', () => {
  it.each([
    ['a well-formed key', good, null],
    ['extra usages beside the expected one', { ...good, usage: ['master', 'x'] }, null],
    ['with signatures', { ...good, signatures: { [U]: { 'ed25519:a': 'sig' } } }, null],
    ['not an object', [good], 'M_BAD_JSON'],
    ['another user', { ...good, user_id: '@bob:test.local' }, 'M_INVALID_PARAM'],
    ['no user id', { usage: good.usage, keys: good.keys }, 'M_INVALID_PARAM'],
    ['the wrong usage', { ...good, usage: ['self_signing'] }, 'M_INVALID_PARAM'],
    ['usage of non-strings', { ...good, usage: [1] }, 'M_BAD_JSON'],
    ['no keys', { user_id: U, usage: ['master'] }, 'M_BAD_JSON'],
    ['no key in keys', { ...good, keys: {} }, 'M_INVALID_PARAM'],
    ['a key that is not a string', { ...good, keys: { [k.keyId]: 5 } }, 'M_INVALID_PARAM'],
    ['a 31-byte key', { ...good, keys: { 'ed25519:AAAA': 'A'.repeat(42) } }, 'M_INVALID_PARAM'],
    [
      'padded base64',
      { ...good, keys: { [`${k.keyId}=`]: `${k.publicKeyBase64}=` } },
      'M_INVALID_PARAM',
    ],
    [
      'a curve25519 key id',
      { ...good, keys: { [`curve25519:${k.publicKeyBase64}`]: k.publicKeyBase64 } },
      'M_INVALID_PARAM',
    ],
    ['malformed signatures', { ...good, signatures: { [U]: 'sig' } }, 'M_BAD_JSON'],
    ['a fraction', { ...good, x: 0.5 }, 'M_BAD_JSON'],
  ])('%s', (_name, value, errcode) => {
    expect(errcodeOf(value)).toBe(errcode);
  });

  it('returns the key id and public key', () => {
    expect(parseCrossSigningKey(good, U, 'master', 'master_key')).toMatchObject({
      keyId: k.keyId,
      publicKey: k.publicKeyBase64,
    });
  });
});

describe('signatures', () => {
  const signer = keyPair();
  const signed = {
    ...good,
    signatures: { [U]: { [signer.keyId]: signPayload(signingPayload(good), signer) } },
  };

  it('verifies a signature over the object without signatures and unsigned', () => {
    expect(hasValidSignature(signed, U, signer.keyId, signer.publicKeyBase64)).toBe(true);
    expect(
      hasValidSignature({ ...signed, unsigned: { a: 1 } }, U, signer.keyId, signer.publicKeyBase64),
    ).toBe(true);
  });

  it('refuses a changed object, another key, a missing or garbled signature', () => {
    expect(
      hasValidSignature({ ...signed, usage: ['x'] }, U, signer.keyId, signer.publicKeyBase64),
    ).toBe(false);
    expect(hasValidSignature(signed, U, signer.keyId, k.publicKeyBase64)).toBe(false);
    expect(hasValidSignature(signed, '@bob:test.local', signer.keyId, signer.publicKeyBase64)).toBe(
      false,
    );
    const garbled = { ...good, signatures: { [U]: { [signer.keyId]: 'not base64!' } } };
    expect(hasValidSignature(garbled, U, signer.keyId, signer.publicKeyBase64)).toBe(false);
    expect(hasValidSignature({ ...signed, x: 0.5 }, U, signer.keyId, signer.publicKeyBase64)).toBe(
      false,
    );
  });

  it('compares keys apart from their signatures', () => {
    expect(sameSignedContent(good, signed)).toBe(true);
    expect(sameSignedContent(good, { ...good, usage: ['self_signing'] })).toBe(false);
  });
});
