import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventJson, Pdu } from '../../../server/events/event-format.js';
import { computeEventId } from '../../../server/events/hashes.js';
import { roomVersion } from '../../../server/events/room-versions.js';
import { checkPduSignaturesAndHashes } from '../../../server/federation/event-signatures.js';
import * as store from '../../../server/events/store.js';
import type { FederatedTestServer } from '../../helpers/federation-loopback.js';
import {
  BOB,
  createRoom,
  enc,
  FED,
  fedReq,
  historyVisibility,
  joinFrom,
  type RoomWithBob,
  send,
  setState,
  startRoomWithBob,
  type User,
} from './reads-helpers.js';

/**
 * What another server reads of a room (server-server "Retrieving events", "Backfilling",
 * event_auth), between real Hearths on loopback: A holds the rooms (built through its
 * client API), B (a member's server) and C (no member) ask with their signed requests.
 */

const ports = new Map<string, number>();
let setUp: RoomWithBob | undefined;
let a: FederatedTestServer;
let b: FederatedTestServer;
let c: FederatedTestServer;
let alice: User;
const version = roomVersion('10')!;

/** A public room (history shared) bob of B has joined, with 10 messages after the join. */
let room: string;
let messages: string[];
let bobJoin: string;

beforeAll(async () => {
  setUp = await startRoomWithBob(ports, { name: 'Hall' });
  ({ a, b, c, alice, room, messages, bobJoin } = setUp);
});
afterAll(async () => {
  await setUp?.close();
});

const idOf = (pdu: EventJson) => computeEventId(pdu, version);
const bodyOf = (pdu: EventJson) => (pdu.content as { body?: string }).body;

describe('GET /event/{eventId}', () => {
  it('serves the PDU as stored, in a one-PDU transaction that B can verify', async () => {
    const r = await fedReq(b, a, `${FED}/event/${enc(messages[3]!)}`);
    expect(r.status).toBe(200);
    expect(r.body.origin).toBe('hs-a.test');
    expect(typeof r.body.origin_server_ts).toBe('number');
    expect(r.body.pdus).toHaveLength(1);
    const pdu = r.body.pdus[0] as EventJson;
    expect(pdu).toEqual(JSON.parse((await store.getEventJson(a.ctx.db, messages[3]!))!));
    // The federation format: no event_id (v10), signed by A, hashes intact.
    expect(pdu.event_id).toBeUndefined();
    expect(idOf(pdu)).toBe(messages[3]);
    const checked = await checkPduSignaturesAndHashes(b.ctx, version, pdu);
    expect(checked).toMatchObject({ ok: true, redacted: false });
  });

  it('404 for an unknown event', async () => {
    const r = await fedReq(b, a, `${FED}/event/${enc('$nope')}`);
    expect(r.status).toBe(404);
    expect(r.body.errcode).toBe('M_NOT_FOUND');
  });

  it('401 without a signature', async () => {
    const res = await fetch(`${a.baseUrl}${FED}/event/${enc(messages[0]!)}`);
    expect(res.status).toBe(401);
  });
});

describe('GET /state_ids and /state', () => {
  it('gives the state before the event and its auth chain', async () => {
    const at = messages[5]!;
    const current = (await store.getCurrentState(a.ctx.db, room)).map((s) => s.event_id).sort();
    const r = await fedReq(b, a, `${FED}/state_ids/${enc(room)}?event_id=${enc(at)}`);
    expect(r.status).toBe(200);
    // No state changed since bob's join: the state before any message is the current state.
    expect([...r.body.pdu_ids].sort()).toEqual(current);
    expect(r.body.pdu_ids).toContain(bobJoin);
    const create = (await store.getCurrentStateEventJson(a.ctx.db, room, 'm.room.create', ''))!;
    expect(r.body.auth_chain_ids).toContain(create.event_id);

    const full = await fedReq(b, a, `${FED}/state/${enc(room)}?event_id=${enc(at)}`);
    expect(full.status).toBe(200);
    expect(full.body.pdus.map(idOf).sort()).toEqual([...r.body.pdu_ids].sort());
    expect(full.body.auth_chain.map(idOf).sort()).toEqual([...r.body.auth_chain_ids].sort());
  });

  it('before a state event: the state it replaced, not itself', async () => {
    const first = await setState(a, alice, room, 'm.room.topic', { topic: 'one' });
    const second = await setState(a, alice, room, 'm.room.topic', { topic: 'two' });
    const r = await fedReq(b, a, `${FED}/state_ids/${enc(room)}?event_id=${enc(second)}`);
    expect(r.status).toBe(200);
    expect(r.body.pdu_ids).toContain(first);
    expect(r.body.pdu_ids).not.toContain(second);
  });

  it('400 without event_id; 404 for an event not in the room or an unknown room', async () => {
    const missing = await fedReq(b, a, `${FED}/state_ids/${enc(room)}`);
    expect(missing.status).toBe(400);
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
    const other = await createRoom(a, alice, { preset: 'public_chat' });
    const wrongRoom = await fedReq(b, a, `${FED}/state_ids/${enc(room)}?event_id=${enc(other)}`);
    expect(wrongRoom.status).toBe(404);
    const unknown = await fedReq(
      b,
      a,
      `${FED}/state/${enc('!nope:hs-a.test')}?event_id=${enc(messages[0]!)}`,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
  });
});

describe('GET /backfill', () => {
  it('the given event and those before it, newest first, up to limit', async () => {
    const r = await fedReq(b, a, `${FED}/backfill/${enc(room)}?v=${enc(messages[9]!)}&limit=5`);
    expect(r.status).toBe(200);
    expect(r.body.origin).toBe('hs-a.test');
    expect(r.body.pdus.map(bodyOf)).toEqual(['m9', 'm8', 'm7', 'm6', 'm5']);
  });

  it('walks back to the room creation; several v; unknown ids ignored', async () => {
    const r = await fedReq(
      b,
      a,
      `${FED}/backfill/${enc(room)}?v=${enc(messages[1]!)}&v=${enc('$unknown')}&limit=50`,
    );
    expect(r.status).toBe(200);
    const pdus = r.body.pdus as Pdu[];
    expect(pdus[0]!.content.body).toBe('m1');
    expect(pdus.at(-1)!.type).toBe('m.room.create');
    expect(pdus.map((p) => p.type)).toContain('m.room.member');
    const depths = pdus.map((p) => p.depth);
    expect(depths).toEqual([...depths].sort((x, y) => y - x));
  });

  it('caps limit at 100', async () => {
    const big = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
    await joinFrom(a, b, big, BOB);
    let last = '';
    for (let i = 0; i < 105; i++) last = await send(a, alice, big, `n${i}`);
    const r = await fedReq(b, a, `${FED}/backfill/${enc(big)}?v=${enc(last)}&limit=1000`);
    expect(r.status).toBe(200);
    expect(r.body.pdus).toHaveLength(100);
  });

  it('400 without v or limit, or with a bad limit', async () => {
    for (const q of [`v=${enc(messages[0]!)}`, 'limit=10', `v=${enc(messages[0]!)}&limit=ten`]) {
      const r = await fedReq(b, a, `${FED}/backfill/${enc(room)}?${q}`);
      expect(r.status).toBe(400);
    }
  });
});

describe('GET /event_auth', () => {
  it("gives the event's full auth chain", async () => {
    const r = await fedReq(b, a, `${FED}/event_auth/${enc(room)}/${enc(bobJoin)}`);
    expect(r.status).toBe(200);
    const types = (r.body.auth_chain as Pdu[]).map((p) => p.type);
    expect(new Set(types)).toEqual(
      new Set(['m.room.create', 'm.room.member', 'm.room.power_levels', 'm.room.join_rules']),
    );
    const ids = (await store.getAuthChain(a.ctx.db, bobJoin)).sort();
    expect((r.body.auth_chain as EventJson[]).map(idOf).sort()).toEqual(ids);
  });

  it('404 for an unknown event', async () => {
    const r = await fedReq(b, a, `${FED}/event_auth/${enc(room)}/${enc('$nope')}`);
    expect(r.status).toBe(404);
  });
});

describe('GET /timestamp_to_event', () => {
  it('finds the event nearest a time in either direction; 404 past the end; 400 bad dir', async () => {
    const pdu = JSON.parse((await store.getEventJson(a.ctx.db, messages[4]!))!) as Pdu;
    const ts = pdu.origin_server_ts;
    const path = (q: string) => `${FED}/timestamp_to_event/${enc(room)}?${q}`;
    const back = await fedReq(b, a, path(`ts=${ts}&dir=b`));
    expect(back.status).toBe(200);
    expect(back.body.origin_server_ts).toBeLessThanOrEqual(ts);
    const fwd = await fedReq(b, a, path(`ts=${ts}&dir=f`));
    expect(fwd.body.origin_server_ts).toBeGreaterThanOrEqual(ts);
    const none = await fedReq(b, a, path(`ts=${Date.now() + 3_600_000}&dir=f`));
    expect(none.status).toBe(404);
    expect(none.body.errcode).toBe('M_NOT_FOUND');
    expect((await fedReq(b, a, path(`ts=${ts}&dir=x`))).status).toBe(400);
  });
});

describe('what a server may not see', () => {
  it('a room with history joined and no member of C: 403 on every read', async () => {
    const priv = await createRoom(a, alice, {
      preset: 'private_chat',
      initial_state: historyVisibility('joined'),
    });
    const ev = await send(a, alice, priv, 'secret');
    for (const path of [
      `${FED}/event/${enc(ev)}`,
      `${FED}/state_ids/${enc(priv)}?event_id=${enc(ev)}`,
      `${FED}/state/${enc(priv)}?event_id=${enc(ev)}`,
      `${FED}/backfill/${enc(priv)}?v=${enc(ev)}&limit=10`,
      `${FED}/event_auth/${enc(priv)}/${enc(ev)}`,
      `${FED}/timestamp_to_event/${enc(priv)}?ts=0&dir=f`,
    ]) {
      const r = await fedReq(c, a, path);
      expect(r.status, path).toBe(403);
      expect(r.body.errcode).toBe('M_FORBIDDEN');
    }
    // The room's own messages are not leaked to the member-less server either way.
    expect(JSON.stringify((await fedReq(c, a, `${FED}/event/${enc(ev)}`)).body)).not.toContain(
      'secret',
    );
  });

  it('a server the room ACL denies: 403, even with a member', async () => {
    const acl = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
    await joinFrom(a, b, acl, BOB);
    const ev = await send(a, alice, acl, 'hello');
    expect((await fedReq(b, a, `${FED}/event/${enc(ev)}`)).status).toBe(200);
    await setState(a, alice, acl, 'm.room.server_acl', {
      allow: ['*'],
      deny: ['hs-b.test'],
      allow_ip_literals: false,
    });
    for (const path of [
      `${FED}/event/${enc(ev)}`,
      `${FED}/state_ids/${enc(acl)}?event_id=${enc(ev)}`,
      `${FED}/backfill/${enc(acl)}?v=${enc(ev)}&limit=10`,
      `${FED}/event_auth/${enc(acl)}/${enc(ev)}`,
    ]) {
      const r = await fedReq(b, a, path);
      expect(r.status, path).toBe(403);
      expect(r.body.error).toMatch(/server ACL/);
    }
  });

  it('history joined: events from before the server had a member come redacted', async () => {
    const late = await createRoom(a, alice, {
      preset: 'public_chat',
      room_version: '10',
      initial_state: historyVisibility('joined'),
    });
    const before = await send(a, alice, late, 'before bob');
    await joinFrom(a, b, late, BOB);
    const after = await send(a, alice, late, 'after bob');

    const early = await fedReq(b, a, `${FED}/event/${enc(before)}`);
    expect(early.status).toBe(200);
    expect(early.body.pdus[0].content).toEqual({});
    // Still the same event (its hashes and signatures check out on the redacted form).
    expect(idOf(early.body.pdus[0])).toBe(before);
    expect((await fedReq(b, a, `${FED}/event/${enc(after)}`)).body.pdus[0].content.body).toBe(
      'after bob',
    );

    const r = await fedReq(b, a, `${FED}/backfill/${enc(late)}?v=${enc(after)}&limit=20`);
    const bodies = (r.body.pdus as Pdu[])
      .filter((p) => p.type === 'm.room.message')
      .map((p) => p.content.body ?? null);
    expect(bodies).toEqual(['after bob', null]);
  });

  it('a world readable room can be read by a server without members', async () => {
    const open = await createRoom(a, alice, {
      preset: 'public_chat',
      initial_state: historyVisibility('world_readable'),
    });
    const ev = await send(a, alice, open, 'for all');
    const r = await fedReq(c, a, `${FED}/event/${enc(ev)}`);
    expect(r.status).toBe(200);
    expect(r.body.pdus[0].content.body).toBe('for all');
  });
});
