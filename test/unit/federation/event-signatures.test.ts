import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase64 } from '../../../server/core/base64.js';
import { signJson, signingKeyFromSeed, type SigningKey } from '../../../server/core/signing.js';
import type { EventJson } from '../../../server/events/event-format.js';
import { roomVersion, type RoomVersion } from '../../../server/events/room-versions.js';
import { signEvent } from '../../../server/events/sign-event.js';
import {
  checkPduSignaturesAndHashes,
  requiredSigners,
} from '../../../server/federation/event-signatures.js';
import { storeKeyResponse } from '../../../server/federation/keys/fetch.js';
import { parseKeyResponse } from '../../../server/federation/keys/response.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Steps 2 and 3 of "Checks performed on receipt of a PDU": events built and signed with
 * real keys of other servers, whose keys this server learnt as it would over federation
 * (a self-signed key answer, checked and cached). No federation client is set, so keys
 * not cached cannot be fetched: what the event checks do then is what they do when a
 * server is unreachable.
 */

const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/spec-test-vectors.json', import.meta.url), 'utf8'),
) as {
  signing_key: { seed_base64_unpadded: string };
  event_signing: { id: string; expected: EventJson }[];
};

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;
const clock = { now: () => NOW };

function v(id: string): RoomVersion {
  return roomVersion(id)!;
}

function key(version: string, fill: number): SigningKey {
  return signingKeyFromSeed(version, Buffer.alloc(32, fill));
}

const remoteKey = key('r1', 1);
const remoteOldKey = key('r0', 2);
const thirdKey = key('t1', 3);
const strangerKey = key('s1', 4);
const specKey = signingKeyFromSeed('1', decodeBase64(vectors.signing_key.seed_base64_unpadded));

let s: TestServer;

/** Teaches the server `serverName`'s keys as a checked, self-signed key answer. */
async function learnKeys(
  serverName: string,
  current: SigningKey,
  validUntilTs: number,
  old: Record<string, { key: SigningKey; expiredTs: number }> = {},
) {
  const answer = signJson(
    {
      server_name: serverName,
      verify_keys: { [current.keyId]: { key: current.publicKeyBase64 } },
      old_verify_keys: Object.fromEntries(
        Object.entries(old).map(([id, o]) => [
          id,
          { key: o.key.publicKeyBase64, expired_ts: o.expiredTs },
        ]),
      ),
      valid_until_ts: validUntilTs,
    },
    serverName,
    current,
  );
  await storeKeyResponse(s.ctx, parseKeyResponse(answer, serverName), serverName);
}

beforeAll(async () => {
  s = await createTestServer({ server_name: 'hs-local.test', trusted_key_servers: [] }, { clock });
  await learnKeys('remote.test', remoteKey, NOW + DAY, {
    [remoteOldKey.keyId]: { key: remoteOldKey, expiredTs: NOW - 10 * DAY },
  });
  await learnKeys('third.test', thirdKey, NOW + DAY);
  await learnKeys('domain', specKey, NOW + DAY);
});
afterAll(() => s?.close());

function message(version: RoomVersion, over: EventJson = {}): EventJson {
  return {
    type: 'm.room.message',
    room_id: '!room:remote.test',
    sender: '@alice:remote.test',
    content: { msgtype: 'm.text', body: 'hello' },
    origin_server_ts: NOW - 1000,
    depth: 5,
    prev_events: version.eventIdFormat === 'server' ? [['$p:remote.test', {}]] : ['$prev'],
    auth_events: [],
    ...(version.eventIdFormat === 'server' ? { event_id: '$m1:remote.test' } : {}),
    ...over,
  };
}

function signed(event: EventJson, version: RoomVersion, ...by: [string, SigningKey][]): EventJson {
  let out = event;
  for (const [server, k] of by) out = signEvent(out, server, k, version);
  return out;
}

const ALL = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];

describe('the spec test vectors (appendices "Event Signing") pass', () => {
  for (const c of vectors.event_signing) {
    // The expected signatures match the v1-v10 redaction rules (fixture notes).
    const id = c.expected.event_id === undefined ? '10' : '1';
    it(`${c.id} in room version ${id}`, async () => {
      const r = await checkPduSignaturesAndHashes(s.ctx, v(id), c.expected);
      expect(r).toEqual({ ok: true, event: c.expected, redacted: false });
    });
  }
});

describe('an event signed by its sender server', () => {
  for (const id of ALL) {
    it(`passes in room version ${id}, unchanged`, async () => {
      const e = signed(message(v(id)), v(id), ['remote.test', remoteKey]);
      const r = await checkPduSignaturesAndHashes(s.ctx, v(id), e);
      expect(r).toEqual({ ok: true, event: e, redacted: false });
    });
  }

  it('with changed content (a field the signature does not cover) is redacted, not refused', async () => {
    const version = v('11');
    const e = signed(message(version), version, ['remote.test', remoteKey]);
    const tampered = { ...e, content: { msgtype: 'm.text', body: 'changed' } };
    const r = await checkPduSignaturesAndHashes(s.ctx, version, tampered);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.redacted).toBe(true);
    expect(r.event.content).toEqual({});
    expect(r.event.signatures).toEqual(e.signatures);
  });

  it('received already redacted passes the signature check, then is kept redacted', async () => {
    const version = v('10');
    const e = signed(message(version), version, ['remote.test', remoteKey]);
    const redactedCopy = { ...e, content: {} };
    const r = await checkPduSignaturesAndHashes(s.ctx, version, redactedCopy);
    expect(r).toMatchObject({ ok: true, redacted: true });
  });

  it('with a changed covered field (origin_server_ts) is refused', async () => {
    const version = v('10');
    const e = signed(message(version), version, ['remote.test', remoteKey]);
    const r = await checkPduSignaturesAndHashes(s.ctx, version, {
      ...e,
      origin_server_ts: (e.origin_server_ts as number) + 1,
    });
    expect(r).toEqual({
      ok: false,
      reason: 'the signature of remote.test with ed25519:r1 is not valid',
    });
  });

  it('signed with a stranger key under the right key id is refused', async () => {
    const version = v('10');
    const forged = signEvent(message(version), 'remote.test', key('r1', 9), version);
    const r = await checkPduSignaturesAndHashes(s.ctx, version, forged);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/not valid/) });
  });
});

describe('events without the signatures they need are refused', () => {
  it('not signed by the sender server (signed by another)', async () => {
    const version = v('10');
    const e = signed(message(version), version, ['third.test', thirdKey]);
    const r = await checkPduSignaturesAndHashes(s.ctx, version, e);
    expect(r).toEqual({ ok: false, reason: 'the event is not signed by remote.test' });
  });

  it('signed only with a key the server cannot find', async () => {
    const version = v('10');
    const e = signed(message(version), version, ['remote.test', strangerKey]);
    const r = await checkPduSignaturesAndHashes(s.ctx, version, e);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/^no usable key of remote.test signed the event/);
  });

  it('without any signatures object', async () => {
    const { signatures: _s, ...e } = signed(message(v('10')), v('10'), ['remote.test', remoteKey]);
    const r = await checkPduSignaturesAndHashes(s.ctx, v('10'), e);
    expect(r).toEqual({ ok: false, reason: 'the event has no signatures' });
  });

  it('v1/v2: the event id server must sign too', async () => {
    for (const id of ['1', '2']) {
      const version = v(id);
      const e = message(version, { event_id: '$m2:third.test' });
      const onlySender = signed(e, version, ['remote.test', remoteKey]);
      expect(await checkPduSignaturesAndHashes(s.ctx, version, onlySender)).toEqual({
        ok: false,
        reason: 'the event is not signed by third.test',
      });
      const both = signed(e, version, ['remote.test', remoteKey], ['third.test', thirdKey]);
      expect(await checkPduSignaturesAndHashes(s.ctx, version, both)).toMatchObject({ ok: true });
    }
  });

  it('v3+: the event id is no server, only the sender signs', () => {
    expect([...(requiredSigners(v('3'), message(v('3'))) as Set<string>)]).toEqual(['remote.test']);
  });
});

describe('restricted joins (v8+): the authorising server signs too', () => {
  const join = (version: RoomVersion): EventJson =>
    message(version, {
      type: 'm.room.member',
      state_key: '@alice:remote.test',
      content: { membership: 'join', join_authorised_via_users_server: '@mod:third.test' },
    });

  for (const id of ['8', '9', '10', '11', '12']) {
    it(`room version ${id}`, async () => {
      const version = v(id);
      const onlySender = signed(join(version), version, ['remote.test', remoteKey]);
      expect(await checkPduSignaturesAndHashes(s.ctx, version, onlySender)).toEqual({
        ok: false,
        reason: 'the event is not signed by third.test',
      });
      const both = signed(
        join(version),
        version,
        ['remote.test', remoteKey],
        ['third.test', thirdKey],
      );
      expect(await checkPduSignaturesAndHashes(s.ctx, version, both)).toMatchObject({ ok: true });
    });
  }

  it('before v8 the field means nothing and only the sender signs', async () => {
    const version = v('7');
    const e = signed(join(version), version, ['remote.test', remoteKey]);
    expect(await checkPduSignaturesAndHashes(s.ctx, version, e)).toMatchObject({ ok: true });
  });
});

describe('third-party invites may be sent by a server other than the sender', () => {
  it('an invite carrying third_party_invite needs no signature of the sender server', async () => {
    const version = v('10');
    const invite = message(version, {
      type: 'm.room.member',
      state_key: '@bob:third.test',
      content: {
        membership: 'invite',
        third_party_invite: { display_name: 'bob', signed: {} },
      },
    });
    const byThird = signed(invite, version, ['third.test', thirdKey]);
    expect(requiredSigners(version, byThird)).toEqual(new Set());
    expect(await checkPduSignaturesAndHashes(s.ctx, version, byThird)).toMatchObject({ ok: true });
  });
});

describe('key validity against origin_server_ts (v5+ enforce it)', () => {
  const at = (version: RoomVersion, ts: number, k: SigningKey) =>
    signed(message(version, { origin_server_ts: ts }), version, ['remote.test', k]);

  it('a current key is refused for events after its valid_until_ts in v5+, accepted in v1-v4', async () => {
    const late = NOW + 2 * DAY;
    for (const id of ['5', '10', '12']) {
      const r = await checkPduSignaturesAndHashes(s.ctx, v(id), at(v(id), late, remoteKey));
      expect(r.ok, id).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/valid only until/);
    }
    for (const id of ['3', '4']) {
      const r = await checkPduSignaturesAndHashes(s.ctx, v(id), at(v(id), late, remoteKey));
      expect(r.ok, id).toBe(true);
    }
  });

  it('an old key checks events from before its expired_ts, not after (v5+)', async () => {
    const version = v('10');
    const before = await checkPduSignaturesAndHashes(
      s.ctx,
      version,
      at(version, NOW - 20 * DAY, remoteOldKey),
    );
    expect(before).toMatchObject({ ok: true });
    const after = await checkPduSignaturesAndHashes(
      s.ctx,
      version,
      at(version, NOW - 5 * DAY, remoteOldKey),
    );
    expect(after.ok).toBe(false);
    const v4 = await checkPduSignaturesAndHashes(
      s.ctx,
      v('4'),
      at(v('4'), NOW - 5 * DAY, remoteOldKey),
    );
    expect(v4).toMatchObject({ ok: true });
  });
});

describe("this server's own events", () => {
  it("are checked with this server's keys without any fetch", async () => {
    const version = v('11');
    const own = s.ctx.config.signingKeys[0]!;
    const e = signed(message(version, { sender: '@me:hs-local.test' }), version, [
      'hs-local.test',
      own,
    ]);
    expect(await checkPduSignaturesAndHashes(s.ctx, version, e)).toMatchObject({ ok: true });
  });
});
