import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as store from '../../../server/events/store.js';
import {
  startFederatedServer,
  startTestSender,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';
import {
  eventOn,
  joinBothSides,
  messageIds,
  originOf,
  sendTxn,
  storedPdu,
  strangerOrigin,
  syncOnce,
  timelineIds,
} from './receive-helpers.js';
import { createRoom, enc, FED, ROOMY, send, setState, type User } from './reads-helpers.js';

/**
 * PUT /_matrix/federation/v1/send/{txnId} as the receiving server handles it, between real
 * Hearths on loopback: A receives; B (whose user bob is in A's rooms) sends, with its own
 * key, through its own client API and outgoing queue or by hand-made transactions; C is a
 * third server. What is asserted is what A's client and the sending server see.
 */

const ports = new Map<string, number>();
let a: FederatedTestServer;
let b: FederatedTestServer;
let c: FederatedTestServer;
let alice: User;
let bob: User;
const BOB = '@bob:hs-b.test';

beforeAll(async () => {
  a = await startFederatedServer('hs-a.test', ports, { config: ROOMY });
  b = await startFederatedServer('hs-b.test', ports, { config: ROOMY });
  c = await startFederatedServer('hs-c.test', ports);
  alice = await a.register('alice');
  bob = await b.register('bob');
});
afterAll(async () => {
  await Promise.all([a, b, c].map((s) => s?.close()));
});

/** A public room of alice's on A that bob of B has joined (on both servers). */
async function sharedRoom(): Promise<string> {
  const roomId = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
  await joinBothSides(a, b, roomId, BOB);
  return roomId;
}

/** Bob's messages, sent on B through its client API (B stores them; nothing is sent). */
async function bobSends(roomId: string, bodies: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const body of bodies) ids.push(await send(b, bob, roomId, body));
  return ids;
}

let txnSeq = 0;
const txnId = () => `t${++txnSeq}-${Date.now()}`;

describe('PDUs from a member of another server', () => {
  it("B's outgoing queue delivers bob's messages; alice sees them in /sync, in order", async () => {
    const roomId = await sharedRoom();
    const first = await syncOnce(a, alice.token);
    const sender = await startTestSender(b.ctx);
    try {
      const ids = await bobSends(roomId, ['hello', 'from', 'b']);
      await expect
        .poll(async () => (await messageIds(a, alice.token, roomId)).slice(0, 3).reverse(), {
          timeout: 10_000,
        })
        .toEqual(ids);
      const next = await syncOnce(a, alice.token, first.next_batch);
      expect(timelineIds(next, roomId)).toEqual(ids);
      const events = next.rooms.join[roomId].timeline.events;
      expect(events.map((e: { sender: string }) => e.sender)).toEqual([BOB, BOB, BOB]);
      expect(events[0].content.body).toBe('hello');
      // Bob's events are A's forward extremity now: alice's reply builds on them.
      const reply = await send(a, alice, roomId, 'hi bob');
      const pdu = await storedPdu(a, reply);
      expect(pdu.prev_events).toEqual([ids[2]]);
    } finally {
      await sender.stop();
    }
  });

  it('a gap is filled from B with get_missing_events before the event', async () => {
    const roomId = await sharedRoom();
    const ids = await bobSends(roomId, ['g1', 'g2', 'g3', 'g4', 'g5']);
    a.federation.sent.length = 0;
    const r = await sendTxn(b, a, txnId(), { pdus: [await storedPdu(b, ids[4]!)] });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ pdus: { [ids[4]!]: {} } });
    expect(a.federation.sent).toContainEqual({
      destination: 'hs-b.test',
      method: 'POST',
      path: `${FED}/get_missing_events/${enc(roomId)}`,
    });
    expect((await messageIds(a, alice.token, roomId)).slice(0, 5).reverse()).toEqual(ids);
    expect(await store.getForwardExtremities(a.ctx.db, roomId)).toEqual([ids[4]]);
  });

  it('a gap wider than one get_missing_events answer is closed on the state at the gap', async () => {
    const roomId = await sharedRoom();
    const bodies = Array.from({ length: 14 }, (_, i) => `w${i}`);
    const ids = await bobSends(roomId, bodies);
    const last = ids.at(-1)!;
    const r = await sendTxn(b, a, txnId(), { pdus: [await storedPdu(b, last)] });
    expect(r.status).toBe(200);
    expect(r.body.pdus[last]).toEqual({});
    // The oldest event fetched went on the state before it (federation/backfill/state-at-gap.ts).
    expect(a.federation.sent.some((x) => x.path.startsWith(`${FED}/state_ids/`))).toBe(true);
    expect(await messageIds(a, alice.token, roomId)).toContain(last);
  });

  it('a repeated transaction id gets the first answer and is not processed again', async () => {
    const roomId = await sharedRoom();
    const [m1, m2] = await bobSends(roomId, ['once', 'twice']);
    const id = txnId();
    const first = await sendTxn(b, a, id, { pdus: [await storedPdu(b, m1!)] });
    expect(first).toMatchObject({ status: 200, body: { pdus: { [m1!]: {} } } });
    // The same id with other content: answered as the first time, m2 never looked at.
    const again = await sendTxn(b, a, id, { pdus: [await storedPdu(b, m2!)] });
    expect(again).toEqual(first);
    expect(await store.getEventRow(a.ctx.db, m2!)).toBeUndefined();
    // The same id from another server is another transaction.
    const fromC = await sendTxn(c, a, id, { pdus: [] });
    expect(fromC).toEqual({ status: 200, body: { pdus: {} } });
  });

  it('an event whose content hash is wrong is stored redacted', async () => {
    const roomId = await sharedRoom();
    const [m] = await bobSends(roomId, ['the real text']);
    const pdu = await storedPdu(b, m!);
    const tampered = { ...pdu, content: { msgtype: 'm.text', body: 'forged text' } };
    const r = await sendTxn(b, a, txnId(), { pdus: [tampered] });
    expect(r.body).toEqual({ pdus: { [m!]: {} } });
    const seen = await a.req('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(m!)}`, {
      token: alice.token,
    });
    expect(seen.statusCode).toBe(200);
    expect(seen.json().content).toEqual({});
  });
});

describe('PDUs refused', () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await sharedRoom();
  });

  it('a bad signature: dropped, with an error, nothing stored', async () => {
    const ev = await eventOn(a, strangerOrigin(b), roomId, {
      type: 'm.room.message',
      sender: BOB,
      content: { msgtype: 'm.text', body: 'not really from B' },
    });
    const r = await sendTxn(b, a, txnId(), { pdus: [ev.pdu] });
    expect(r.status).toBe(200);
    expect(r.body.pdus[ev.eventId].error).toMatch(/Signature check failed.*not valid/);
    expect(await store.getEventRow(a.ctx.db, ev.eventId)).toBeUndefined();
  });

  it('an event of a server that did not sign it (forged sender): dropped', async () => {
    // C makes an event in the name of bob of B, signed by C only.
    const ev = await eventOn(a, originOf(c), roomId, {
      type: 'm.room.message',
      sender: BOB,
      content: { msgtype: 'm.text', body: 'forged' },
    });
    const r = await sendTxn(c, a, txnId(), { pdus: [ev.pdu] });
    expect(r.body.pdus[ev.eventId].error).toMatch(/not signed by hs-b.test/);
    expect(await store.getEventRow(a.ctx.db, ev.eventId)).toBeUndefined();
  });

  it('an event failing the auth rules: rejected, reported, never served', async () => {
    const ev = await eventOn(a, originOf(b), roomId, {
      type: 'm.room.message',
      sender: '@mallory:hs-b.test',
      content: { msgtype: 'm.text', body: 'let me in' },
    });
    const r = await sendTxn(b, a, txnId(), { pdus: [ev.pdu] });
    expect(r.status).toBe(200);
    expect(r.body.pdus[ev.eventId].error).toMatch(/^Event rejected/);
    expect(await messageIds(a, alice.token, roomId)).not.toContain(ev.eventId);
    const byId = await a.req(
      'GET',
      `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(ev.eventId)}`,
      { token: alice.token },
    );
    expect(byId.statusCode).toBe(404);
    // Stored as rejected (so it is never fetched again), not a forward extremity.
    expect((await store.getEventRow(a.ctx.db, ev.eventId))!.rejected_reason).toMatch(/auth/);
    expect(await store.getForwardExtremities(a.ctx.db, roomId)).not.toContain(ev.eventId);
  });

  it('an event allowed before a ban but not after it: soft-failed, no error, never served', async () => {
    const banned = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
    await joinBothSides(a, b, banned, BOB);
    const ban = await a.req('POST', `/_matrix/client/v3/rooms/${enc(banned)}/ban`, {
      token: alice.token,
      body: { user_id: BOB },
    });
    expect(ban.statusCode).toBe(200);
    // B has not heard of the ban: bob's message builds on his join.
    const [m] = await bobSends(banned, ['you cannot ban me']);
    const r = await sendTxn(b, a, txnId(), { pdus: [await storedPdu(b, m!)] });
    expect(r.body).toEqual({ pdus: { [m!]: {} } });
    expect((await store.getEventRow(a.ctx.db, m!))!.rejected_reason).toBe(store.SOFT_FAILED);
    expect(await messageIds(a, alice.token, banned)).not.toContain(m);
    expect(await store.getForwardExtremities(a.ctx.db, banned)).not.toContain(m);
  });

  it('an event that is not a valid PDU: dropped with the reason', async () => {
    const ev = await eventOn(a, originOf(b), roomId, {
      type: 'm.room.message',
      sender: BOB,
      content: { msgtype: 'm.text', body: 'x' },
    });
    const broken = { ...ev.pdu, depth: 'deep' };
    const r = await sendTxn(b, a, txnId(), { pdus: [broken, 'not an object'] });
    expect(r.status).toBe(200);
    const results = Object.values(r.body.pdus) as { error: string }[];
    expect(results).toHaveLength(1);
    expect(results[0]!.error).toMatch(/Invalid event: depth/);
  });

  it('a room this server does not know: an error for that PDU, the others processed', async () => {
    const [m] = await bobSends(roomId, ['still here']);
    const stray = { ...(await storedPdu(b, m!)), room_id: '!nowhere:hs-b.test' };
    const r = await sendTxn(b, a, txnId(), { pdus: [stray, await storedPdu(b, m!)] });
    expect(r.status).toBe(200);
    const results = Object.values(r.body.pdus) as { error?: string }[];
    expect(results).toContainEqual({
      error: 'Unknown room !nowhere:hs-b.test, or this server is not in it',
    });
    expect(r.body.pdus[m!]).toEqual({});
  });

  it("a server denied by the room's ACL: its PDUs are refused one by one", async () => {
    const acl = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
    await joinBothSides(a, b, acl, BOB);
    const [m] = await bobSends(acl, ['before the ACL']);
    await setState(a, alice, acl, 'm.room.server_acl', {
      allow: ['*'],
      deny: ['hs-b.test'],
      allow_ip_literals: false,
    });
    const [other] = await bobSends(roomId, ['in a room without ACL']);
    const r = await sendTxn(b, a, txnId(), {
      pdus: [await storedPdu(b, m!), await storedPdu(b, other!)],
    });
    expect(r.status).toBe(200);
    expect(r.body.pdus[m!].error).toMatch(/denied by the room's server ACL/);
    expect(await store.getEventRow(a.ctx.db, m!)).toBeUndefined();
    // Its PDUs for other rooms go through.
    expect(r.body.pdus[other!]).toEqual({});
  });
});

describe('transactions refused whole', () => {
  it('an origin other than the signing server: 403 M_FORBIDDEN', async () => {
    const r = await sendTxn(b, a, txnId(), { origin: 'hs-c.test', pdus: [] });
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe('M_FORBIDDEN');
  });

  it('more than 50 PDUs or 100 EDUs: 400 M_BAD_JSON, nothing processed or remembered', async () => {
    const roomId = await sharedRoom();
    const [m] = await bobSends(roomId, ['lost in a crowd']);
    const pdu = await storedPdu(b, m!);
    const id = txnId();
    const r = await sendTxn(b, a, id, { pdus: Array.from({ length: 51 }, () => pdu) });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_BAD_JSON');
    expect(await store.getEventRow(a.ctx.db, m!)).toBeUndefined();
    const edus = Array.from({ length: 101 }, () => ({ edu_type: 'm.typing', content: {} }));
    expect((await sendTxn(b, a, txnId(), { edus })).status).toBe(400);
    // The refusal was not stored as the answer to that id: a fixed transaction goes through.
    const fixed = await sendTxn(b, a, id, { pdus: [pdu] });
    expect(fixed).toEqual({ status: 200, body: { pdus: { [m!]: {} } } });
  });

  it('a malformed body: 400 M_BAD_JSON; no signature: 401', async () => {
    const bad = await b.federation.request('hs-a.test', {
      method: 'PUT',
      path: `${FED}/send/${txnId()}`,
      body: { origin: 'hs-b.test', origin_server_ts: 1, pdus: 'many' },
    });
    expect(bad.status).toBe(400);
    expect((bad.body as { errcode: string }).errcode).toBe('M_BAD_JSON');
    const unsigned = await fetch(`${a.baseUrl}${FED}/send/${txnId()}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ origin: 'hs-b.test', origin_server_ts: 1, pdus: [] }),
    });
    expect(unsigned.status).toBe(401);
  });
});
