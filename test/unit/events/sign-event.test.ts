import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBase64 } from '../../../server/core/base64.js';
import { signingKeyFromSeed } from '../../../server/core/signing.js';
import { redactEvent } from '../../../server/events/redaction.js';
import { roomVersion } from '../../../server/events/room-versions.js';
import {
  checkContentHash,
  signEvent,
  verifyEventSignature,
} from '../../../server/events/sign-event.js';

/**
 * Signing events (spec server-server "Signing Events"; appendices "Cryptographic Test
 * Vectors" / "Event Signing"). The spec's expected signatures are over the event redacted
 * with the v1-v10 rules, which keep the top-level `origin` (see the fixture's notes).
 */

interface EventSigningCase {
  id: string;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
  expected_sha256: string;
  expected_signature: string;
}

const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/spec-test-vectors.json', import.meta.url), 'utf8'),
) as {
  signing_key: { seed_base64_unpadded: string; server_name: string; key_id: string };
  event_signing: EventSigningCase[];
};

const { server_name: serverName, key_id: keyId } = vectors.signing_key;
const key = signingKeyFromSeed('1', decodeBase64(vectors.signing_key.seed_base64_unpadded));
const otherKey = signingKeyFromSeed('1', Buffer.alloc(32, 7));
const V1_TO_V10 = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];

function v(id: string) {
  const version = roomVersion(id);
  if (!version) throw new Error(`no room version ${id}`);
  return version;
}

const vectorCases = vectors.event_signing.flatMap((c) => V1_TO_V10.map((id) => ({ ...c, rv: id })));

describe('signEvent: spec vectors', () => {
  it('uses the spec key', () => {
    expect(key.keyId).toBe(keyId);
  });

  it.each(vectorCases)(
    '$id in v$rv',
    ({ input, expected, expected_sha256, expected_signature, rv }) => {
      const signed = signEvent(input, serverName, key, v(rv));
      expect(signed.hashes.sha256).toBe(expected_sha256);
      expect(signed.signatures[serverName]![keyId]).toBe(expected_signature);
      expect(signed).toEqual(expected);
      expect(verifyEventSignature(signed, serverName, keyId, key.publicKeyBase64, v(rv))).toBe(
        true,
      );
      expect(checkContentHash(signed)).toBe(true);
    },
  );

  it.each(vectors.event_signing)(
    '$id: the v11 rules (origin no longer kept) give another signature',
    ({ input, expected_sha256, expected_signature }) => {
      const signed = signEvent(input, serverName, key, v('11'));
      expect(signed.hashes.sha256).toBe(expected_sha256);
      expect(signed.signatures[serverName]![keyId]).not.toBe(expected_signature);
      expect(verifyEventSignature(signed, serverName, keyId, key.publicKeyBase64, v('11'))).toBe(
        true,
      );
    },
  );

  it('does not change its input', () => {
    const input = structuredClone(vectors.event_signing[1]!.input);
    const copy = structuredClone(input);
    signEvent(input, serverName, key, v('10'));
    expect(input).toEqual(copy);
  });
});

/** A v11 membership event, signed by example.org. */
function signedMember() {
  const event = {
    type: 'm.room.member',
    room_id: '!r:example.org',
    sender: '@alice:example.org',
    state_key: '@alice:example.org',
    content: { membership: 'join', displayname: 'Alice' },
    depth: 3,
    origin_server_ts: 1_700_000_000_000,
    prev_events: ['$prev'],
    auth_events: ['$create'],
    unsigned: { age: 1 },
  };
  return signEvent(event, 'example.org', key, v('11'));
}

const verify = (event: Record<string, unknown>, pub = key.publicKeyBase64) =>
  verifyEventSignature(event, 'example.org', 'ed25519:1', pub, v('11'));

describe('verifyEventSignature', () => {
  it('accepts the full event and its redacted copy', () => {
    const event = signedMember();
    expect(verify(event)).toBe(true);
    expect(verify(redactEvent(event, v('11')))).toBe(true);
  });

  it('ignores unsigned and redactable content', () => {
    const event = signedMember();
    expect(verify({ ...event, unsigned: { age: 999 } })).toBe(true);
    expect(verify({ ...event, content: { membership: 'join', displayname: 'Mallory' } })).toBe(
      true,
    );
  });

  it.each([
    ['sender', '@mallory:example.org'],
    ['depth', 4],
    ['origin_server_ts', 1],
    ['state_key', '@mallory:example.org'],
    ['prev_events', ['$other']],
    ['auth_events', []],
    ['hashes', { sha256: 'AAAA' }],
    ['content', { membership: 'leave' }],
  ])('refuses an event whose %s changed', (keyName, value) => {
    expect(verify({ ...signedMember(), [keyName]: value })).toBe(false);
  });

  it('refuses a signature made with another key', () => {
    expect(verify(signedMember(), otherKey.publicKeyBase64)).toBe(false);
  });

  it('returns false when the signature is missing or malformed', () => {
    const event = signedMember();
    const withSig = (signatures: unknown) => ({ ...event, signatures });
    expect(
      verifyEventSignature(event, 'other.org', 'ed25519:1', key.publicKeyBase64, v('11')),
    ).toBe(false);
    expect(
      verifyEventSignature(event, 'example.org', 'ed25519:2', key.publicKeyBase64, v('11')),
    ).toBe(false);
    expect(verify(withSig(undefined))).toBe(false);
    expect(verify(withSig({ 'example.org': 'x' }))).toBe(false);
    expect(verify(withSig({ 'example.org': { 'ed25519:1': 42 } }))).toBe(false);
    expect(verify(withSig({ 'example.org': { 'ed25519:1': 'not base64!' } }))).toBe(false);
    expect(verify(event, 'short')).toBe(false);
  });

  it('returns false when a kept value is not canonical JSON (a float)', () => {
    expect(verify({ ...signedMember(), depth: 1.5 })).toBe(false);
  });

  it('checks under the version rules: a v11 signature fails under v10 rules', () => {
    const event = signedMember();
    expect(
      verifyEventSignature(event, 'example.org', 'ed25519:1', key.publicKeyBase64, v('10')),
    ).toBe(true); // no origin/membership keys here, so v10 and v11 redact it alike
    const withOrigin = signEvent({ ...event, origin: 'example.org' }, 'example.org', key, v('11'));
    expect(
      verifyEventSignature(withOrigin, 'example.org', 'ed25519:1', key.publicKeyBase64, v('10')),
    ).toBe(false);
  });

  it('keeps the signatures of other servers', () => {
    const event = signedMember();
    const both = signEvent(event, 'other.org', otherKey, v('11'));
    expect(verify(both)).toBe(true);
    expect(
      verifyEventSignature(both, 'other.org', 'ed25519:1', otherKey.publicKeyBase64, v('11')),
    ).toBe(true);
  });
});

describe('checkContentHash', () => {
  it('accepts an unchanged event, whatever its unsigned and signatures', () => {
    const event = signedMember();
    expect(checkContentHash(event)).toBe(true);
    expect(checkContentHash({ ...event, unsigned: { age: 5 }, signatures: {} })).toBe(true);
  });

  it('fails on changed content: the event must then be used redacted', () => {
    const event = signedMember();
    const tampered = { ...event, content: { membership: 'join', displayname: 'Mallory' } };
    expect(checkContentHash(tampered)).toBe(false);
    expect(verify(tampered)).toBe(true);
    expect(checkContentHash(redactEvent(event, v('11')))).toBe(false);
  });

  it('fails on a missing, malformed or unencodable hash', () => {
    const event = signedMember();
    expect(checkContentHash({ ...event, hashes: undefined })).toBe(false);
    expect(checkContentHash({ ...event, hashes: {} })).toBe(false);
    expect(checkContentHash({ ...event, hashes: { sha256: 5 } })).toBe(false);
    expect(checkContentHash({ ...event, content: { n: 0.5 } })).toBe(false);
  });

  it('accepts the hash in padded base64 too (compared as bytes)', () => {
    const event = signedMember();
    expect(checkContentHash({ ...event, hashes: { sha256: `${event.hashes.sha256}=` } })).toBe(
      true,
    );
  });
});
