import { describe, expect, it } from 'vitest';
import { systemRandom } from '../../server/core/clock.js';
import { verifyPayloads, type VerifyJob } from '../../server/core/parallel-verify.js';
import { generateSigningKey, signingKeyFromSeed, signPayload } from '../../server/core/signing.js';

/**
 * Batches of ed25519 checks (core/parallel-verify.ts): big batches are shared with a worker
 * thread, and every answer must be the same as checking each signature here, in order,
 * whatever the mix of good, forged and malformed signatures.
 */

const newKey = () => {
  const { version, seed } = generateSigningKey(systemRandom);
  return signingKeyFromSeed(version, seed);
};
const a = newKey();
const b = newKey();

function jobs(n: number): { list: VerifyJob[]; expected: boolean[] } {
  const list: VerifyJob[] = [];
  const expected: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const payload = JSON.stringify({ i, body: `event ${i}` });
    const good = signPayload(payload, a);
    switch (i % 5) {
      case 0: // signed by another key
        list.push({
          payload,
          signatureBase64: signPayload(payload, b),
          publicKeyBase64: a.publicKeyBase64,
        });
        expected.push(false);
        break;
      case 1: // another payload
        list.push({
          payload: payload + ' ',
          signatureBase64: good,
          publicKeyBase64: a.publicKeyBase64,
        });
        expected.push(false);
        break;
      case 2: // not a signature at all
        list.push({ payload, signatureBase64: 'not*base64', publicKeyBase64: a.publicKeyBase64 });
        expected.push(false);
        break;
      default:
        list.push({ payload, signatureBase64: good, publicKeyBase64: a.publicKeyBase64 });
        expected.push(true);
    }
  }
  return { list, expected };
}

describe('verifyPayloads', () => {
  it.each([[0], [5], [31], [32], [500], [3000]])(
    'answers a batch of %i checks in order, as one by one',
    async (n) => {
      const { list, expected } = jobs(n);
      expect(await verifyPayloads(list)).toEqual(expected);
    },
  );

  it('answers batches sent at the same time, each with its own results', async () => {
    const sets = [jobs(200), jobs(120), jobs(64)];
    const results = await Promise.all(sets.map((s) => verifyPayloads(s.list)));
    results.forEach((r, i) => expect(r).toEqual(sets[i]!.expected));
  });

  it('refuses a key of the wrong length', async () => {
    const { list } = jobs(100);
    const short = list.map((j) => ({ ...j, publicKeyBase64: j.publicKeyBase64.slice(4) }));
    expect((await verifyPayloads(short)).every((ok) => !ok)).toBe(true);
  });
});
