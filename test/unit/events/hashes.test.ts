import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CanonicalJsonError } from '../../../server/core/canonical-json.js';
import type { Random } from '../../../server/core/clock.js';
import { MatrixError } from '../../../server/core/errors.js';
import {
  computeContentHash,
  computeEventId,
  computeReferenceHash,
  computeRoomIdV12,
  newServerEventId,
} from '../../../server/events/hashes.js';
import { roomVersion } from '../../../server/events/room-versions.js';

/**
 * Content hash, reference hash and event ids (spec server-server "Calculating the content
 * hash for an event", "Calculating the reference hash for an event"; rooms/v1, v3, v4
 * "Event IDs"; appendices "Room IDs").
 */

interface EventSigningCase {
  id: string;
  input: Record<string, unknown>;
  expected_sha256: string;
}

const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/spec-test-vectors.json', import.meta.url), 'utf8'),
) as { event_signing: EventSigningCase[] };

function v(id: string) {
  const version = roomVersion(id);
  if (!version) throw new Error(`no room version ${id}`);
  return version;
}

/** A v4+-shaped message event. */
function message(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'm.room.message',
    room_id: '!r:example.org',
    sender: '@alice:example.org',
    content: { msgtype: 'm.text', body: 'hello' },
    depth: 7,
    origin_server_ts: 1_700_000_000_000,
    prev_events: ['$prev'],
    auth_events: ['$create', '$member', '$power'],
    hashes: { sha256: 'aGFzaA' },
    signatures: { 'example.org': { 'ed25519:1': 'c2ln' } },
    unsigned: { age: 12 },
    ...overrides,
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

describe('computeContentHash', () => {
  it.each(vectors.event_signing)('$id: spec vector', ({ input, expected_sha256 }) => {
    expect(computeContentHash(input)).toBe(expected_sha256);
  });

  it('ignores unsigned, signatures and hashes, and key order', () => {
    const base = message();
    const { unsigned: _u, signatures: _s, hashes: _h, ...bare } = base;
    const reordered = Object.fromEntries(Object.entries(base).reverse());
    const hash = computeContentHash(base);
    expect(computeContentHash(bare)).toBe(hash);
    expect(computeContentHash(reordered)).toBe(hash);
    expect(computeContentHash({ ...base, unsigned: { age: 99 }, hashes: {} })).toBe(hash);
  });

  it('covers the unredacted content', () => {
    const hash = computeContentHash(message());
    expect(computeContentHash(message({ content: { msgtype: 'm.text', body: 'bye' } }))).not.toBe(
      hash,
    );
  });

  it('is sha256 over the canonical JSON, in unpadded base64', () => {
    const event = { b: 1, a: 'x', hashes: { sha256: 'y' } };
    const expected = sha256('{"a":"x","b":1}').toString('base64').replace(/=+$/, '');
    expect(computeContentHash(event)).toBe(expected);
  });

  it('throws CanonicalJsonError on a float', () => {
    expect(() => computeContentHash(message({ content: { n: 1.5 } }))).toThrow(CanonicalJsonError);
  });
});

describe('computeReferenceHash and computeEventId', () => {
  it('hashes the redacted event without signatures and unsigned (checked by hand)', () => {
    // The v4 redaction of message(): content emptied, unsigned and signatures removed.
    const json =
      '{"auth_events":["$create","$member","$power"],"content":{},"depth":7,' +
      '"hashes":{"sha256":"aGFzaA"},"origin_server_ts":1700000000000,' +
      '"prev_events":["$prev"],"room_id":"!r:example.org",' +
      '"sender":"@alice:example.org","type":"m.room.message"}';
    const digest = sha256(json);
    expect(computeReferenceHash(message(), v('4'))).toEqual(digest);
    expect(computeEventId(message(), v('4'))).toBe(`$${digest.toString('base64url')}`);
    expect(computeEventId(message(), v('3'))).toBe(
      `$${digest.toString('base64').replace(/=+$/, '')}`,
    );
  });

  it('uses standard base64 in v3 and URL-safe base64 from v4', () => {
    // Find an event whose hash has a '+' or '/' in standard base64.
    let event = message();
    let v3 = computeEventId(event, v('3'));
    for (let depth = 1; !/[+/]/.test(v3); depth++) {
      event = message({ depth });
      v3 = computeEventId(event, v('3'));
    }
    const v4 = computeEventId(event, v('4'));
    expect(v3).toMatch(/^\$[A-Za-z0-9+/]{43}$/);
    expect(v4).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
    expect(v4).toBe(v3.replace(/\+/g, '-').replace(/\//g, '_'));
    for (const id of ['5', '6', '7', '8', '9', '10', '11', '12']) {
      expect(computeEventId(event, v(id))).toBe(v4);
    }
  });

  it('is deterministic and ignores key order', () => {
    const reordered = Object.fromEntries(Object.entries(message()).reverse());
    expect(computeEventId(message(), v('10'))).toBe(computeEventId(message(), v('10')));
    expect(computeEventId(reordered, v('10'))).toBe(computeEventId(message(), v('10')));
  });

  it('is not changed by signatures, unsigned or redactable content', () => {
    const id = computeEventId(message(), v('10'));
    expect(
      computeEventId(message({ signatures: { 'other.org': { 'ed25519:x': 'AAAA' } } }), v('10')),
    ).toBe(id);
    expect(computeEventId(message({ unsigned: { age: 1, age_ts: 5 } }), v('10'))).toBe(id);
    expect(computeEventId(message({ content: { body: 'other' } }), v('10'))).toBe(id);
  });

  it('is changed by the hashes and by every protected key', () => {
    const id = computeEventId(message(), v('10'));
    const changes = [
      { hashes: { sha256: 'b3RoZXI' } },
      { depth: 8 },
      { sender: '@bob:example.org' },
      { origin_server_ts: 1 },
      { prev_events: ['$other'] },
      { auth_events: [] },
      { state_key: '' },
    ];
    for (const change of changes) expect(computeEventId(message(change), v('10'))).not.toBe(id);
  });

  it('follows the version redaction rules (top-level origin is hashed before v11 only)', () => {
    const withOrigin = message({ origin: 'example.org' });
    expect(computeEventId(withOrigin, v('10'))).not.toBe(computeEventId(message(), v('10')));
    expect(computeEventId(withOrigin, v('11'))).toBe(computeEventId(message(), v('11')));
  });

  it('returns the assigned event_id in v1 and v2, and refuses an event without one', () => {
    for (const id of ['1', '2']) {
      expect(computeEventId(message({ event_id: '$abc:example.org' }), v(id))).toBe(
        '$abc:example.org',
      );
      expect(() => computeEventId(message(), v(id))).toThrow(MatrixError);
    }
  });
});

describe('newServerEventId', () => {
  it('makes $opaque:server ids from the injected randomness', () => {
    const random: Random = { bytes: (n) => Buffer.alloc(n, 1) };
    const id = newServerEventId(random, 'example.org');
    expect(id).toMatch(/^\$[A-Za-z]{18}:example\.org$/);
    expect(newServerEventId(random, 'example.org')).toBe(id);
    const other: Random = { bytes: (n) => Buffer.alloc(n, 2) };
    expect(newServerEventId(other, 'example.org')).not.toBe(id);
  });
});

describe('computeRoomIdV12', () => {
  const create = {
    type: 'm.room.create',
    state_key: '',
    sender: '@alice:example.org',
    content: { room_version: '12' },
    depth: 1,
    origin_server_ts: 1_700_000_000_000,
    prev_events: [],
    auth_events: [],
    hashes: { sha256: 'aGFzaA' },
    signatures: { 'example.org': { 'ed25519:1': 'c2ln' } },
  };

  it("is the create event's id with ! for $", () => {
    const roomId = computeRoomIdV12(create);
    expect(roomId).toMatch(/^![A-Za-z0-9_-]{43}$/);
    expect(roomId).toBe(`!${computeEventId(create, v('12')).slice(1)}`);
  });

  it('covers the whole create content (kept by the v11+ redaction rules)', () => {
    const other = { ...create, content: { room_version: '12', additional_creators: ['@b:x'] } };
    expect(computeRoomIdV12(other)).not.toBe(computeRoomIdV12(create));
  });
});
