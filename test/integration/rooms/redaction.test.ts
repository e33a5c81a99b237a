import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** PUT /rooms/{roomId}/redact/{eventId}/{txnId}, and redacted events as clients read them. */

const V3 = '/_matrix/client/v3';
type User = { userId: string; token: string; deviceId: string };
let s: TestServer;
let alice: User;
let bob: User;
let carol: User;
let txn = 0;

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
});
afterAll(() => s.close());

const room = (roomId: string) => `${V3}/rooms/${encodeURIComponent(roomId)}`;
const enc = encodeURIComponent;
async function createRoom(body: Record<string, unknown>): Promise<string> {
  const r = await s.req('POST', `${V3}/createRoom`, { token: alice.token, body });
  expect(r.statusCode).toBe(200);
  const roomId = r.json().room_id as string;
  const join = await s.req('PUT', `${room(roomId)}/state/m.room.member/${enc(bob.userId)}`, {
    token: bob.token,
    body: { membership: 'join' },
  });
  expect(join.statusCode).toBe(200);
  return roomId;
}
async function send(roomId: string, user: User, body: string): Promise<string> {
  const r = await s.req('PUT', `${room(roomId)}/send/m.room.message/t${++txn}`, {
    token: user.token,
    body: { msgtype: 'm.text', body },
  });
  expect(r.statusCode).toBe(200);
  return r.json().event_id as string;
}
const redact = (roomId: string, user: User, eventId: string, txnId: string, body: object = {}) =>
  s.req('PUT', `${room(roomId)}/redact/${enc(eventId)}/${txnId}`, { token: user.token, body });
const getEvent = async (roomId: string, eventId: string, user = alice) =>
  (await s.req('GET', `${room(roomId)}/event/${enc(eventId)}`, { token: user.token })).json();

describe.each(['12', '10'])('redaction in a v%s room', (version) => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await createRoom({ preset: 'public_chat', room_version: version });
  });

  it('a redacted message is served redacted, with redacted_because, in /event and /messages', async () => {
    const target = await send(roomId, alice, 'oops');
    const r = await redact(roomId, alice, target, 'r1', { reason: 'typo' });
    expect(r.statusCode).toBe(200);
    const redactionId = r.json().event_id as string;
    expect(redactionId).toMatch(/^\$/);
    const ev = await getEvent(roomId, target, bob);
    expect(ev.content).toEqual({});
    expect(ev.type).toBe('m.room.message');
    expect(ev.unsigned.redacted_because).toMatchObject({
      event_id: redactionId,
      type: 'm.room.redaction',
      sender: alice.userId,
      redacts: target,
      content: { reason: 'typo' },
    });
    const page = (
      await s.req('GET', `${room(roomId)}/messages?dir=b&limit=2`, { token: bob.token })
    ).json();
    expect(page.chunk[0]).toMatchObject({ event_id: redactionId, redacts: target });
    expect(page.chunk[1]).toMatchObject({ event_id: target, content: {} });
    expect(page.chunk[1].unsigned.redacted_because.event_id).toBe(redactionId);
  });

  it('is idempotent per transaction id; an id used by a /send is another request', async () => {
    const target = await send(roomId, alice, 'twice');
    const a = await redact(roomId, alice, target, `same${version}`);
    const b = await redact(roomId, alice, target, `same${version}`);
    expect(b.json().event_id).toBe(a.json().event_id);
    const page = (
      await s.req('GET', `${room(roomId)}/messages?dir=b&limit=2`, { token: alice.token })
    ).json();
    expect(page.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([
      a.json().event_id,
      target,
    ]);
    const sent = await s.req('PUT', `${room(roomId)}/send/m.room.message/used${version}`, {
      token: alice.token,
      body: { body: 'x' },
    });
    const r = await redact(roomId, alice, sent.json().event_id, `used${version}`);
    expect(r.statusCode).toBe(200);
    expect(r.json().event_id).not.toBe(sent.json().event_id);
    expect((await getEvent(roomId, sent.json().event_id)).unsigned.redacted_because.event_id).toBe(
      r.json().event_id,
    );
  });

  it("members redact their own events; others' need the redact level", async () => {
    const bobs = await send(roomId, bob, 'mine');
    const alices = await send(roomId, alice, 'not yours');
    expectError(await redact(roomId, bob, alices, 'x1'), 403, 'M_FORBIDDEN');
    expect((await getEvent(roomId, alices)).content.body).toBe('not yours');
    expect((await redact(roomId, bob, bobs, 'x2')).statusCode).toBe(200);
    expect((await getEvent(roomId, bobs)).content).toEqual({});
    const other = await send(roomId, bob, 'moderate me');
    expect((await redact(roomId, alice, other, 'x3')).statusCode).toBe(200);
    expect((await getEvent(roomId, other, bob)).unsigned.redacted_because.sender).toBe(
      alice.userId,
    );
  });

  it('a redacted state event keeps what the algorithm protects', async () => {
    const topic = await s.req('PUT', `${room(roomId)}/state/m.room.topic/`, {
      token: alice.token,
      body: { topic: 'secret' },
    });
    await redact(roomId, alice, topic.json().event_id, 's1');
    const ev = await getEvent(roomId, topic.json().event_id);
    expect(ev).toMatchObject({ type: 'm.room.topic', state_key: '', content: {} });
    const join = (
      await s.req('GET', `${room(roomId)}/state/m.room.member/${enc(bob.userId)}?format=event`, {
        token: bob.token,
      })
    ).json();
    await redact(roomId, alice, join.event_id, 's2');
    expect((await getEvent(roomId, join.event_id)).content).toEqual({ membership: 'join' });
  });

  it('errors: unknown room or event 404, non-member 403, bad body 400', async () => {
    const target = await send(roomId, alice, 'keep');
    expectError(await redact(roomId, alice, '$nope', 'e1'), 404, 'M_NOT_FOUND');
    expectError(await redact('!nope:test.local', alice, target, 'e2'), 404, 'M_NOT_FOUND');
    expectError(await redact(roomId, carol, target, 'e3'), 403, 'M_FORBIDDEN');
    expectError(await redact(roomId, alice, target, 'e4', { reason: 5 }), 400, 'M_BAD_JSON');
    expect((await getEvent(roomId, target)).content.body).toBe('keep');
  });
});
