import { sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../server/core/base64.js';
import { systemRandom } from '../../server/core/clock.js';
import {
  generateSigningKey,
  signingKeyFromSeed,
  signingPayload,
  signPayload,
  sodiumOrNull,
} from '../../server/core/signing.js';

/**
 * Signatures are made with libsodium (sodium-native) where it loads, else node:crypto
 * (server/core/signing.ts). ed25519 is deterministic, so both must give the very same
 * bytes for every key and payload: the spec's vectors pin them, and random keys and
 * payloads (empty, non-ASCII, long) are signed both ways and compared.
 */

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/spec-test-vectors.json', import.meta.url), 'utf8'),
) as {
  signing_key: { seed_base64_unpadded: string };
  json_signing: { id: string; input: Record<string, unknown>; expected_signature: string }[];
};

const nodeSignature = (payload: string, key: ReturnType<typeof signingKeyFromSeed>) =>
  encodeBase64(sign(null, Buffer.from(payload), key.privateKey));

describe('ed25519 signatures through libsodium', () => {
  it('libsodium loads on this machine (its prebuilt binary ships in the npm package)', () => {
    expect(sodiumOrNull()).not.toBeNull();
  });

  it("gives the spec's JSON signing vectors", () => {
    const key = signingKeyFromSeed('1', decodeBase64(vectors.signing_key.seed_base64_unpadded));
    for (const c of vectors.json_signing) {
      expect(signPayload(signingPayload(c.input), key), c.id).toBe(c.expected_signature);
    }
  });

  it('gives the same bytes as node:crypto for random keys and payloads', () => {
    const payloads = ['', '{}', 'ünïcødé ☃ 𝄞', 'x'.repeat(70_000)];
    for (let i = 0; i < 20; i++) payloads.push(systemRandom.bytes(1 + i * 37).toString('base64'));
    for (let k = 0; k < 5; k++) {
      const { version, seed } = generateSigningKey(systemRandom);
      const key = signingKeyFromSeed(version, seed);
      expect(key.secretKey).toHaveLength(64);
      for (const p of payloads) {
        const sig = signPayload(p, key);
        expect(sig).toBe(nodeSignature(p, key));
        expect(verify(null, Buffer.from(p), key.privateKey, decodeBase64(sig))).toBe(true);
      }
    }
  });
});
