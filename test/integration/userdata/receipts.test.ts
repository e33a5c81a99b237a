import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendLocalEvent } from '../../../server/events/persist.js';
import { getReceiptsSince } from '../../../server/userdata/receipts.js';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Read receipts and the fully read marker, as clients see them and /sync reads them. */

const V3 = '/_matrix/client/v3';
let s: TestServer;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
let carol: { userId: string; token: string };
let roomId: string;
/** Messages sent in order: m[0] is the oldest. */
const m: string[] = [];

const e = encodeURIComponent;
const receipt = (type: string, eventId: string, token: string, body?: unknown) =>
  s.req('POST', `${V3}/rooms/${e(roomId)}/receipt/${type}/${e(eventId)}`, {
    token,
    ...(body !== undefined ? { body } : {}),
  });
const markers = (body: Record<string, string>, token = alice.token, room = roomId) =>
  s.req('POST', `${V3}/rooms/${e(room)}/read_markers`, { token, body });
const fullyRead = (user: { userId: string; token: string }) =>
  s.req('GET', `${V3}/user/${e(user.userId)}/rooms/${e(roomId)}/account_data/m.fully_read`, {
    token: user.token,
  });
/** The m.receipt content of the room, all receipts, as `user` would get it. */
const receiptsFor = async (userId: string, since = 0) =>
  (await getReceiptsSince(s.ctx, [roomId], since, userId)).rooms[roomId] ?? {};

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
  roomId = (
    await s.req('POST', `${V3}/createRoom`, { token: alice.token, body: { preset: 'public_chat' } })
  ).json().room_id;
  await sendLocalEvent(s.ctx, {
    roomId,
    type: 'm.room.member',
    stateKey: bob.userId,
    sender: bob.userId,
    content: { membership: 'join' },
  });
  for (let i = 0; i < 4; i++) {
    const r = await s.req('PUT', `${V3}/rooms/${e(roomId)}/send/m.room.message/t${i}`, {
      token: alice.token,
      body: { msgtype: 'm.text', body: `message ${i}` },
    });
    m.push(r.json().event_id);
  }
});
afterAll(() => s.close());

describe('receipts', () => {
  it('an m.read receipt is shown to every member, with its ts', async () => {
    const r = await receipt('m.read', m[1]!, bob.token, {});
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    for (const who of [alice, bob]) {
      const content = await receiptsFor(who.userId);
      expect(content[m[1]!]!['m.read']![bob.userId]!.ts).toEqual(expect.any(Number));
      expect(content[m[1]!]!['m.read']![bob.userId]!.thread_id).toBeUndefined();
    }
  });

  it('an empty body is an unthreaded receipt', async () => {
    expect((await receipt('m.read', m[2]!, bob.token)).statusCode).toBe(200);
    const content = await receiptsFor(alice.userId);
    expect(Object.keys(content[m[2]!]!['m.read']!)).toEqual([bob.userId]);
    // One receipt per user, type and thread: the older one is gone.
    expect(content[m[1]!]).toBeUndefined();
  });

  it('receipts only move forward: one for an older event is accepted and ignored', async () => {
    const before = (await getReceiptsSince(s.ctx, [roomId], 0, alice.userId)).streamId;
    expect((await receipt('m.read', m[0]!, bob.token, {})).statusCode).toBe(200);
    const after = await getReceiptsSince(s.ctx, [roomId], 0, alice.userId);
    expect(after.streamId).toBe(before);
    expect(after.rooms[roomId]![m[2]!]!['m.read']![bob.userId]).toBeDefined();
    expect(after.rooms[roomId]![m[0]!]).toBeUndefined();
  });

  it('threaded receipts are kept apart from the unthreaded one', async () => {
    expect((await receipt('m.read', m[0]!, bob.token, { thread_id: 'main' })).statusCode).toBe(200);
    expect((await receipt('m.read', m[1]!, bob.token, { thread_id: m[0] })).statusCode).toBe(200);
    const content = await receiptsFor(alice.userId);
    expect(content[m[0]!]!['m.read']![bob.userId]).toEqual({
      ts: expect.any(Number),
      thread_id: 'main',
    });
    expect(content[m[1]!]!['m.read']![bob.userId]!.thread_id).toBe(m[0]);
    expect(content[m[2]!]!['m.read']![bob.userId]!.thread_id).toBeUndefined();
  });

  it('m.read.private is delivered to its owner only', async () => {
    expect((await receipt('m.read.private', m[3]!, bob.token, {})).statusCode).toBe(200);
    const bobs = await receiptsFor(bob.userId);
    expect(bobs[m[3]!]!['m.read.private']![bob.userId]!.ts).toEqual(expect.any(Number));
    const alices = await receiptsFor(alice.userId);
    expect(alices[m[3]!]).toBeUndefined();
    expect(JSON.stringify(alices)).not.toContain('m.read.private');
  });

  it('getReceiptsSince gives only what changed, and wakes the room', async () => {
    const since = (await getReceiptsSince(s.ctx, [roomId], 0, alice.userId)).streamId;
    expect(await getReceiptsSince(s.ctx, [roomId], since, alice.userId)).toEqual({
      streamId: since,
      rooms: {},
    });
    const woken = s.ctx.notifier.wait([roomId], 5_000);
    await receipt('m.read', m[3]!, alice.token, {});
    expect(await woken).toBe(true);
    const delta = await getReceiptsSince(s.ctx, [roomId, '!other:test.local'], since, bob.userId);
    expect(delta.streamId).toBe(since + 1);
    expect(delta.rooms).toEqual({
      [roomId]: { [m[3]!]: { 'm.read': { [alice.userId]: { ts: expect.any(Number) } } } },
    });
  });

  it('errors: unknown type, bad thread_id, unknown event, non-member, unknown room', async () => {
    expectError(await receipt('m.unread', m[3]!, bob.token, {}), 400, 'M_INVALID_PARAM');
    expectError(
      await receipt('m.read', m[3]!, bob.token, { thread_id: '' }),
      400,
      'M_INVALID_PARAM',
    );
    expectError(
      await receipt('m.read', m[3]!, bob.token, { thread_id: 5 }),
      400,
      'M_INVALID_PARAM',
    );
    expectError(
      await receipt('m.fully_read', m[3]!, bob.token, { thread_id: 'main' }),
      400,
      'M_INVALID_PARAM',
    );
    expectError(await receipt('m.read', '$nope', bob.token, {}), 404, 'M_NOT_FOUND');
    expectError(await receipt('m.read', m[3]!, carol.token, {}), 403, 'M_FORBIDDEN');
    // An event of another room is not found in this one.
    const other = (await s.req('POST', `${V3}/createRoom`, { token: alice.token, body: {} })).json()
      .room_id as string;
    const r = await s.req(
      'POST',
      `${V3}/rooms/${e('!unknown:test.local')}/receipt/m.read/${e(m[3]!)}`,
      {
        token: alice.token,
        body: {},
      },
    );
    expectError(r, 404, 'M_NOT_FOUND');
    expectError(
      await s.req('POST', `${V3}/rooms/${e(other)}/receipt/m.read/${e(m[3]!)}`, {
        token: alice.token,
        body: {},
      }),
      404,
      'M_NOT_FOUND',
    );
    // None of it changed Bob's receipts.
    expect((await receiptsFor(bob.userId))[m[3]!]!['m.read']![bob.userId]).toBeUndefined();
  });
});

describe('read markers', () => {
  it('the m.fully_read receipt type sets the marker, which never goes back', async () => {
    expectError(await fullyRead(bob), 404, 'M_NOT_FOUND');
    expect((await receipt('m.fully_read', m[2]!, bob.token, {})).statusCode).toBe(200);
    expect((await fullyRead(bob)).json()).toEqual({ event_id: m[2] });
    expect((await receipt('m.fully_read', m[1]!, bob.token, {})).statusCode).toBe(200);
    expect((await fullyRead(bob)).json()).toEqual({ event_id: m[2] });
    // It is account data, not a receipt.
    expect(JSON.stringify(await receiptsFor(bob.userId))).not.toContain('m.fully_read');
  });

  it('/read_markers sets the marker and both receipts in one request', async () => {
    const woken = s.ctx.notifier.wait([alice.userId], 5_000);
    const r = await markers({ 'm.fully_read': m[1]!, 'm.read': m[1]!, 'm.read.private': m[2]! });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    expect(await woken).toBe(true);
    expect((await fullyRead(alice)).json()).toEqual({ event_id: m[1] });
    const own = await receiptsFor(alice.userId);
    // Alice's m.read was at m[3] already: it stays there.
    expect(own[m[3]!]!['m.read']![alice.userId]).toBeDefined();
    expect(own[m[1]!]?.['m.read']?.[alice.userId]).toBeUndefined();
    expect(own[m[2]!]!['m.read.private']![alice.userId]).toBeDefined();
    expect((await markers({ 'm.fully_read': m[3]! })).statusCode).toBe(200);
    expect((await fullyRead(alice)).json()).toEqual({ event_id: m[3] });
    // Every field is optional since v1.4: an empty request changes nothing.
    expect((await markers({})).statusCode).toBe(200);
    expect((await fullyRead(alice)).json()).toEqual({ event_id: m[3] });
  });

  it('errors change nothing: unknown event 404, non-member 403, bad body 400', async () => {
    expectError(await markers({ 'm.fully_read': m[0]!, 'm.read': '$nope' }), 404, 'M_NOT_FOUND');
    expect((await fullyRead(alice)).json()).toEqual({ event_id: m[3] });
    expectError(await markers({ 'm.fully_read': m[3]! }, carol.token), 403, 'M_FORBIDDEN');
    expectError(
      await s.req('POST', `${V3}/rooms/${e(roomId)}/read_markers`, {
        token: alice.token,
        body: { 'm.read': 5 },
      }),
      400,
      'M_BAD_JSON',
    );
  });
});
