import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../server/core/base64.js';
import type { Random } from '../../server/core/clock.js';
import { systemRandom } from '../../server/core/clock.js';
import {
  formatSigningKeyLine,
  generateSigningKey,
  parseSigningKeyFile,
  signingKeyFromSeed,
  signJson,
  verifyJsonSignature,
} from '../../server/core/signing.js';

/**
 * Signing JSON (spec appendices, "Signing JSON" and "Cryptographic Test Vectors").
 * The event_signing vectors need the room v1-v10 redaction algorithm, which is not built
 * yet; they are left for the events tests.
 */
interface SigningCase {
  id: string;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
  expected_signature: string;
}

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/spec-test-vectors.json', import.meta.url), 'utf8'),
) as {
  signing_key: { seed_base64_unpadded: string; server_name: string; key_id: string };
  json_signing: SigningCase[];
};

const {
  seed_base64_unpadded: seedB64,
  server_name: serverName,
  key_id: keyId,
} = vectors.signing_key;
const key = signingKeyFromSeed('1', decodeBase64(seedB64));

describe('signJson: spec vectors', () => {
  it('builds the spec key', () => {
    expect(key.keyId).toBe(keyId);
    expect(serverName).toBe('domain');
    expect(decodeBase64(key.publicKeyBase64)).toHaveLength(32);
  });

  it.each(vectors.json_signing)('$id', ({ input, expected, expected_signature }) => {
    const signed = signJson(input, serverName, key);
    expect(signed.signatures[serverName]![keyId]).toBe(expected_signature);
    expect(signed).toEqual(expected);
    expect(verifyJsonSignature(signed, expected_signature, key.publicKeyBase64)).toBe(true);
    expect(verifyJsonSignature(input, expected_signature, key.publicKeyBase64)).toBe(true);
  });

  it.each(vectors.json_signing)(
    '$id: a changed object no longer verifies',
    ({ input, expected_signature }) => {
      const changes: Record<string, unknown>[] = [
        { ...input, extra: 1 },
        { ...input, one: 2 },
        Object.fromEntries(Object.entries(input).slice(1)),
      ].filter((c) => JSON.stringify(c) !== JSON.stringify(input));
      expect(changes.length).toBeGreaterThan(0);
      for (const changed of changes) {
        expect(verifyJsonSignature(changed, expected_signature, key.publicKeyBase64)).toBe(false);
      }
    },
  );
});

describe('signJson / verifyJsonSignature', () => {
  const other = signingKeyFromSeed('2', Buffer.alloc(32, 7));

  it('ignores signatures and unsigned when signing and verifying', () => {
    const plain = signJson({ a: 1 }, 'domain', key);
    const decorated = signJson({ a: 1, unsigned: { age: 5 } }, 'domain', key);
    expect(decorated.signatures.domain).toEqual(plain.signatures.domain);
    const sig = plain.signatures.domain![key.keyId]!;
    expect(verifyJsonSignature({ ...plain, unsigned: { x: 1 } }, sig, key.publicKeyBase64)).toBe(
      true,
    );
  });

  it('keeps existing signatures of this and other servers', () => {
    const once = signJson({ a: 1, signatures: { other: { 'ed25519:x': 'sig' } } }, 'domain', key);
    const twice = signJson(once, 'domain', other);
    expect(Object.keys(twice.signatures).sort()).toEqual(['domain', 'other']);
    expect(Object.keys(twice.signatures.domain!).sort()).toEqual(['ed25519:1', 'ed25519:2']);
  });

  it.each([
    ['the wrong public key', () => other.publicKeyBase64],
    ['a short public key', () => encodeBase64(Buffer.alloc(31))],
    ['an empty public key', () => ''],
  ])('is false with %s', (_name, pub) => {
    const signed = signJson({ a: 1 }, 'domain', key);
    expect(verifyJsonSignature(signed, signed.signatures.domain!['ed25519:1']!, pub())).toBe(false);
  });

  it.each([
    ['a truncated signature', (s: string) => s.slice(0, 40)],
    ['an empty signature', () => ''],
    [
      'a flipped signature',
      (s: string) => encodeBase64(decodeBase64(s).map((b, i) => (i === 0 ? b ^ 1 : b))),
    ],
  ])('is false with %s', (_name, mangle) => {
    const signed = signJson({ a: 1 }, 'domain', key);
    const sig = mangle(signed.signatures.domain!['ed25519:1']!);
    expect(verifyJsonSignature(signed, sig, key.publicKeyBase64)).toBe(false);
  });

  it('rejects a seed that is not 32 bytes', () => {
    expect(() => signingKeyFromSeed('1', Buffer.alloc(31))).toThrow(/32 bytes/);
  });
});

describe('signing key files (Synapse format)', () => {
  it('formats one line: ed25519 <version> <unpadded base64 seed>', () => {
    // The spec's seed text ends in non-zero padding bits; the encoder writes the canonical form.
    const seed = Buffer.from(
      '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
      'hex',
    );
    const line = formatSigningKeyLine('a_AbC1', seed);
    expect(line).toBe('ed25519 a_AbC1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n');
    expect(line).not.toContain('=');
  });

  it.each([
    ['one key', ['a_AbC1']],
    ['two keys', ['a_AbC1', 'a_zz99']],
    ['an old numeric version', ['1']],
  ])('round-trips %s', (_name, versions) => {
    const seeds = versions.map((_, i) => Buffer.alloc(32, i + 1));
    const text = versions.map((v, i) => formatSigningKeyLine(v, seeds[i]!)).join('');
    const keys = parseSigningKeyFile(text);
    expect(keys.map((k) => k.keyId)).toEqual(versions.map((v) => `ed25519:${v}`));
    keys.forEach((k, i) => {
      expect(k.publicKeyBase64).toBe(signingKeyFromSeed(versions[i]!, seeds[i]!).publicKeyBase64);
    });
  });

  it('accepts CRLF line ends, blank lines and padded base64', () => {
    const keys = parseSigningKeyFile(`\r\ned25519 a_x ${seedB64}=\r\n\r\n`);
    expect(keys).toHaveLength(1);
    expect(keys[0]!.publicKeyBase64).toBe(key.publicKeyBase64);
  });

  it.each([
    ['a wrong algorithm on line 1', `curve25519 a_x ${seedB64}\n`, 1],
    ['a missing seed on line 2', `ed25519 a_x ${seedB64}\ned25519 a_y\n`, 2],
    ['an extra field on line 1', `ed25519 a_x ${seedB64} extra\n`, 1],
    ['a bad version on line 3', `\ned25519 a_x ${seedB64}\ned25519 a-y! ${seedB64}\n`, 3],
    ['a short seed on line 2', `ed25519 a_x ${seedB64}\ned25519 a_y AAAA\n`, 2],
    ['plain junk on line 1', 'this is not a key file\n', 1],
  ])('throws for %s, naming the line', (_name, text, line) => {
    expect(() => parseSigningKeyFile(text)).toThrow(new RegExp(`line ${line}\\b`));
  });

  it('throws for a file without keys', () => {
    expect(() => parseSigningKeyFile('\n\n')).toThrow(/no key/);
  });

  it('generates a_XXXX versions and 32-byte seeds', () => {
    for (let i = 0; i < 50; i++) {
      const { version, seed } = generateSigningKey(systemRandom);
      expect(version).toMatch(/^a_[A-Za-z0-9]{4}$/);
      expect(seed).toHaveLength(32);
      expect(parseSigningKeyFile(formatSigningKeyLine(version, seed))[0]!.keyId).toBe(
        `ed25519:${version}`,
      );
    }
  });

  it('generates from the injected randomness', () => {
    const fixed: Random = { bytes: (n) => Buffer.alloc(n, 0) };
    expect(generateSigningKey(fixed)).toEqual({ version: 'a_aaaa', seed: Buffer.alloc(32, 0) });
  });
});
