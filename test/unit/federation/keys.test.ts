import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJson, signingKeyFromSeed, verifyJsonSignature } from '../../../server/core/signing.js';
import {
  getServerVerifyKey,
  ServerKeyError,
  storeKeyResponse,
} from '../../../server/federation/keys/fetch.js';
import { keyServerWarning } from '../../../server/federation/keys/key-server-warning.js';
import { ownKeyResponse } from '../../../server/federation/keys/own-keys.js';
import {
  KeyResponseError,
  MAX_KEY_VALIDITY_MS,
  parseKeyResponse,
} from '../../../server/federation/keys/response.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Key answers (keys_server.yaml) as another server sends them: what is accepted, what is
 * refused and why, and how a checked answer is cached and used (real SQLite, no network:
 * keys not cached cannot be fetched here).
 */

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const clock = { now: () => NOW };

const k1 = signingKeyFromSeed('k1', Buffer.alloc(32, 1));
const k2 = signingKeyFromSeed('k2', Buffer.alloc(32, 2));
const old = signingKeyFromSeed('old', Buffer.alloc(32, 3));

function answer(over: Record<string, unknown> = {}, signers = [k1]) {
  let doc: Record<string, unknown> = {
    server_name: 'remote.test',
    verify_keys: Object.fromEntries(signers.map((k) => [k.keyId, { key: k.publicKeyBase64 }])),
    old_verify_keys: { [old.keyId]: { key: old.publicKeyBase64, expired_ts: NOW - HOUR } },
    valid_until_ts: NOW + HOUR,
    ...over,
  };
  for (const k of signers) doc = signJson(doc, 'remote.test', k);
  return doc;
}

function without(doc: Record<string, unknown>, key: string) {
  const { [key]: _dropped, ...rest } = doc;
  return rest;
}

describe('parseKeyResponse', () => {
  it('accepts an answer self-signed by each of its keys', () => {
    const p = parseKeyResponse(answer({}, [k1, k2]), 'remote.test');
    expect(p.verifyKeys).toEqual({
      [k1.keyId]: k1.publicKeyBase64,
      [k2.keyId]: k2.publicKeyBase64,
    });
    expect(p.oldVerifyKeys).toEqual({
      [old.keyId]: { key: old.publicKeyBase64, expiredTs: NOW - HOUR },
    });
    expect(p.validUntilTs).toBe(NOW + HOUR);
  });

  it('ignores keys of algorithms it does not know', () => {
    const doc = answer({
      verify_keys: { [k1.keyId]: { key: k1.publicKeyBase64 }, 'curve25519:x': { key: 'abc' } },
    });
    expect(Object.keys(parseKeyResponse(doc, 'remote.test').verifyKeys)).toEqual([k1.keyId]);
  });

  const refused: [string, () => unknown, RegExp][] = [
    ['not an object', () => [], /not a JSON object/],
    [
      'another server name',
      () => answer({ server_name: 'evil.test' }),
      /is for "evil.test", not remote.test/,
    ],
    ['no valid_until_ts', () => without(answer(), 'valid_until_ts'), /valid_until_ts/],
    ['a float valid_until_ts', () => ({ ...answer(), valid_until_ts: 1.5 }), /valid_until_ts/],
    ['no verify_keys', () => without(answer(), 'verify_keys'), /verify_keys is missing/],
    [
      'a key that is not 32 bytes',
      () => answer({ verify_keys: { 'ed25519:k1': { key: 'AAAA' } } }),
      /not an ed25519 public key/,
    ],
    [
      'a malformed old key',
      () => answer({ old_verify_keys: { 'ed25519:o': { key: old.publicKeyBase64 } } }),
      /old_verify_keys.ed25519:o is malformed/,
    ],
    [
      'a key that did not sign',
      () => {
        const doc = answer({}, [k1]);
        return {
          ...doc,
          verify_keys: { ...(doc.verify_keys as object), [k2.keyId]: { key: k2.publicKeyBase64 } },
        };
      },
      /not signed by its own key ed25519:k2/,
    ],
    [
      'a signature that does not match (changed after signing)',
      () => ({ ...answer(), valid_until_ts: NOW + 1000 * HOUR }),
      /signature of ed25519:k1 on the answer is not valid/,
    ],
    [
      'signed by another key under the listed id',
      () =>
        signJson(
          { ...answer(), signatures: {} },
          'remote.test',
          signingKeyFromSeed('k1', Buffer.alloc(32, 9)),
        ),
      /not valid/,
    ],
  ];
  for (const [name, make, message] of refused) {
    it(`refuses ${name}`, () => {
      expect(() => parseKeyResponse(make(), 'remote.test')).toThrow(KeyResponseError);
      expect(() => parseKeyResponse(make(), 'remote.test')).toThrow(message);
    });
  }
});

describe('cached keys', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer(
      {
        server_name: 'hs-local.test',
        trusted_key_servers: [],
        key_refresh_interval: '2h',
        old_signing_keys: { 'ed25519:gone': { key: old.publicKeyBase64, expired_ts: NOW - HOUR } },
      },
      { clock },
    );
  });
  afterAll(() => s?.close());

  it('serves a stored key while it is valid, old keys until their expired_ts', async () => {
    await storeKeyResponse(s.ctx, parseKeyResponse(answer(), 'remote.test'), 'remote.test');
    const key = await getServerVerifyKey(s.ctx, 'remote.test', k1.keyId);
    expect(key).toEqual({
      serverName: 'remote.test',
      keyId: k1.keyId,
      key: k1.publicKeyBase64,
      validUntilTs: NOW + HOUR,
      expiredTs: null,
    });
    const oldKey = await getServerVerifyKey(s.ctx, 'remote.test', old.keyId, {
      minimumValidUntilTs: NOW - 2 * HOUR,
    });
    expect(oldKey).toMatchObject({
      key: old.publicKeyBase64,
      validUntilTs: NOW - HOUR,
      expiredTs: NOW - HOUR,
    });
  });

  it('caps valid_until_ts at 7 days after the fetch', async () => {
    const far = answer({ server_name: 'far.test', valid_until_ts: NOW + 365 * 24 * HOUR });
    const doc = signJson({ ...far, signatures: {} }, 'far.test', k1);
    await storeKeyResponse(s.ctx, parseKeyResponse(doc, 'far.test'), 'far.test');
    const key = await getServerVerifyKey(s.ctx, 'far.test', k1.keyId);
    expect(key.validUntilTs).toBe(NOW + MAX_KEY_VALIDITY_MS);
  });

  it('keeps the newer answer when an older one arrives (a stale notary copy)', async () => {
    const newer = answer({ valid_until_ts: NOW + 5 * HOUR });
    expect(
      await storeKeyResponse(s.ctx, parseKeyResponse(newer, 'remote.test'), 'remote.test'),
    ).toBe(true);
    const older = answer({ valid_until_ts: NOW + 2 * HOUR });
    expect(
      await storeKeyResponse(s.ctx, parseKeyResponse(older, 'remote.test'), 'notary.test'),
    ).toBe(false);
    expect((await getServerVerifyKey(s.ctx, 'remote.test', k1.keyId)).validUntilTs).toBe(
      NOW + 5 * HOUR,
    );
  });

  it("takes the server's own answer even when valid for less time than the cached one", async () => {
    const shorter = answer({ valid_until_ts: NOW + 3 * HOUR });
    expect(
      await storeKeyResponse(s.ctx, parseKeyResponse(shorter, 'remote.test'), 'remote.test'),
    ).toBe(true);
    expect((await getServerVerifyKey(s.ctx, 'remote.test', k1.keyId)).validUntilTs).toBe(
      NOW + 3 * HOUR,
    );
  });

  it('says why a key is not usable: expired, or unknown and not fetchable', async () => {
    const tooLate = getServerVerifyKey(s.ctx, 'remote.test', old.keyId, {
      minimumValidUntilTs: NOW,
    });
    await expect(tooLate).rejects.toBeInstanceOf(ServerKeyError);
    await expect(tooLate).rejects.toMatchObject({
      reason: 'expired',
      status: 401,
      errcode: 'M_UNAUTHORIZED',
    });
    const unknown = getServerVerifyKey(s.ctx, 'nowhere.test', 'ed25519:x');
    await expect(unknown).rejects.toMatchObject({
      reason: 'unreachable',
      message: expect.stringMatching(/Could not fetch the keys of nowhere.test/),
    });
  });

  it("answers for this server's own keys from its config", async () => {
    const own = s.ctx.config.signingKeys[0]!;
    expect((await getServerVerifyKey(s.ctx, 'hs-local.test', own.keyId)).key).toBe(
      own.publicKeyBase64,
    );
    await expect(getServerVerifyKey(s.ctx, 'hs-local.test', 'ed25519:gone')).rejects.toMatchObject({
      reason: 'expired',
    });
    await expect(
      getServerVerifyKey(s.ctx, 'hs-local.test', 'ed25519:gone', {
        minimumValidUntilTs: NOW - 2 * HOUR,
      }),
    ).resolves.toMatchObject({ key: old.publicKeyBase64 });
  });

  it('its own answer lists current and old keys, valid for key_refresh_interval, signed', () => {
    const doc = ownKeyResponse(s.ctx);
    const own = s.ctx.config.signingKeys[0]!;
    expect(doc).toMatchObject({
      server_name: 'hs-local.test',
      verify_keys: { [own.keyId]: { key: own.publicKeyBase64 } },
      old_verify_keys: { 'ed25519:gone': { key: old.publicKeyBase64, expired_ts: NOW - HOUR } },
      valid_until_ts: NOW + 2 * HOUR,
    });
    const sig = (doc.signatures as Record<string, Record<string, string>>)['hs-local.test']![
      own.keyId
    ]!;
    expect(verifyJsonSignature(doc, sig, own.publicKeyBase64)).toBe(true);
    expect(parseKeyResponse(doc, 'hs-local.test').validUntilTs).toBe(NOW + 2 * HOUR);
  });
});

describe("Synapse's warning about matrix.org as the key server", () => {
  const mxorg = [{ serverName: 'matrix.org', verifyKeys: {} }];
  it('is given when matrix.org is trusted and the warning is not suppressed', () => {
    expect(keyServerWarning({ trustedKeyServers: mxorg, suppressKeyServerWarning: false })).toMatch(
      /configured to use 'matrix.org' as its trusted key server.*suppress_key_server_warning/,
    );
  });
  it('is not given when suppressed, or with other notaries', () => {
    expect(
      keyServerWarning({ trustedKeyServers: mxorg, suppressKeyServerWarning: true }),
    ).toBeNull();
    const other = [{ serverName: 'notary.example', verifyKeys: {} }];
    expect(
      keyServerWarning({ trustedKeyServers: other, suppressKeyServerWarning: false }),
    ).toBeNull();
    expect(keyServerWarning({ trustedKeyServers: [], suppressKeyServerWarning: false })).toBeNull();
  });
});
