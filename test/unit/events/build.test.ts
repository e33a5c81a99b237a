import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../server/core/canonical-json.js';
import { buildLocalEvent } from '../../../server/events/build.js';
import { computeEventId } from '../../../server/events/hashes.js';
import { roomVersion } from '../../../server/events/room-versions.js';
import { checkContentHash, verifyEventSignature } from '../../../server/events/sign-event.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Local events as another server will receive them: right format, hash, signature, id. */

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const ALICE = '@alice:test.local';
const draft = (extra: Record<string, unknown> = {}) => ({
  type: 'm.room.message',
  sender: ALICE,
  content: { msgtype: 'm.text', body: 'hi' },
  roomId: '!r:test.local',
  prevEvents: [{ eventId: '$prev:test.local', sha256: 'aGFzaA' }],
  authEvents: [{ eventId: '$create:test.local', sha256: 'aGFzaA' }],
  depth: 3,
  ...extra,
});

function verify(pdu: Record<string, unknown>, v: string): boolean {
  const key = s.ctx.config.signingKeys[0]!;
  return verifyEventSignature(pdu, 'test.local', key.keyId, key.publicKeyBase64, roomVersion(v)!);
}

describe('buildLocalEvent', () => {
  it.each(['1', '2'])('v%s: a server-made id and [id, hashes] references', (v) => {
    const e = buildLocalEvent(s.ctx, roomVersion(v)!, draft());
    expect(e.eventId).toMatch(/^\$[A-Za-z]+:test\.local$/);
    expect(e.pdu.event_id).toBe(e.eventId);
    expect(e.pdu.prev_events).toEqual([['$prev:test.local', { sha256: 'aGFzaA' }]]);
    const pdu = e.pdu as unknown as Record<string, unknown>;
    expect(checkContentHash(pdu)).toBe(true);
    expect(verify(pdu, v)).toBe(true);
  });

  it.each(['3', '4', '10', '11', '12'])(
    'v%s: the id is the reference hash; plain id references',
    (v) => {
      const version = roomVersion(v)!;
      const e = buildLocalEvent(s.ctx, version, draft());
      expect(e.pdu.prev_events).toEqual(['$prev:test.local']);
      expect(e.pdu.event_id).toBeUndefined();
      const pdu = e.pdu as unknown as Record<string, unknown>;
      expect(computeEventId(pdu, version)).toBe(e.eventId);
      expect(e.eventId).toMatch(v === '3' ? /^\$[A-Za-z0-9+/]{43}$/ : /^\$[A-Za-z0-9_-]{43}$/);
      expect(verify(pdu, v)).toBe(true);
      // The signature covers the redacted event; a changed body shows in the content hash.
      expect(checkContentHash({ ...pdu, content: { body: 'changed' } })).toBe(false);
      expect(verify({ ...pdu, sender: '@mallory:test.local' }, v)).toBe(false);
    },
  );

  it('v12: the create event has no room_id, and the room id is made from it', () => {
    const e = buildLocalEvent(s.ctx, roomVersion('12')!, {
      ...draft({ type: 'm.room.create', stateKey: '', content: { room_version: '12' } }),
      roomId: null,
      prevEvents: [],
      authEvents: [],
      depth: 1,
    });
    expect(e.pdu.room_id).toBeUndefined();
    expect(e.roomId).toBe(`!${e.eventId.slice(1)}`);
  });

  it('redacts goes top-level before v11 and into content from v11', () => {
    const old = buildLocalEvent(
      s.ctx,
      roomVersion('10')!,
      draft({ type: 'm.room.redaction', redacts: '$x', content: {} }),
    );
    expect(old.pdu.redacts).toBe('$x');
    const v11 = buildLocalEvent(
      s.ctx,
      roomVersion('11')!,
      draft({ type: 'm.room.redaction', redacts: '$x', content: {} }),
    );
    expect(v11.pdu.redacts).toBeUndefined();
    expect(v11.pdu.content.redacts).toBe('$x');
  });

  it("keeps the stored JSON, whose length is the canonical form's: 65,536 bytes pass, one more does not", () => {
    const version = roomVersion('10')!;
    // Multi-byte characters, escapes and a line separator: bytes, not characters, count.
    const content = (n: number) => ({
      msgtype: 'm.text',
      body: 'é"\\\u2028\n'.repeat(20) + 'x'.repeat(n),
    });
    const at = (n: number) =>
      buildLocalEvent(
        s.ctx,
        version,
        draft({ content: content(n), originServerTs: 1_700_000_000_000 }),
      );
    const small = at(0);
    expect(small.json).toBe(JSON.stringify(small.pdu));
    const bytes = Buffer.byteLength(canonicalJson(small.pdu));
    expect(Buffer.byteLength(small.json)).toBe(bytes);
    const full = at(65_536 - bytes);
    expect(Buffer.byteLength(canonicalJson(full.pdu))).toBe(65_536);
    expect(Buffer.byteLength(full.json)).toBe(65_536);
    expect(() => at(65_537 - bytes)).toThrow(
      expect.objectContaining({ errcode: 'M_TOO_LARGE', status: 413 }),
    );
  });

  it('refuses what the event format cannot hold', () => {
    const big = { msgtype: 'm.text', body: 'x'.repeat(70_000) };
    expect(() => buildLocalEvent(s.ctx, roomVersion('10')!, draft({ content: big }))).toThrow(
      expect.objectContaining({ errcode: 'M_TOO_LARGE', status: 413 }),
    );
    expect(() =>
      buildLocalEvent(s.ctx, roomVersion('10')!, draft({ content: { n: 1.5 } })),
    ).toThrow(expect.objectContaining({ errcode: 'M_BAD_JSON' }));
    expect(() =>
      buildLocalEvent(s.ctx, roomVersion('10')!, draft({ stateKey: 'k'.repeat(300) })),
    ).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
  });
});
