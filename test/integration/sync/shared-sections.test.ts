import { expect, test } from 'vitest';
import { useServer, type TestServer } from '../../helpers/server.js';

/**
 * The members of a room who read the same window through the same filter share one read
 * of it (sync-rooms.ts, SectionCore): what each of them is answered must still be their
 * own — the sender alone sees its transaction id, a redaction after the window was read
 * shows, and a user's event_fields do not cut another user's events.
 */

const server = useServer();

async function setUp(s: TestServer, prefix: string) {
  const alice = await s.register(`${prefix}-alice`);
  const bob = await s.register(`${prefix}-bob`);
  const roomId = (
    await s.req('POST', '/_matrix/client/v3/createRoom', {
      token: alice.token,
      body: { preset: 'public_chat' },
    })
  ).json().room_id as string;
  await s.req('POST', `/_matrix/client/v3/join/${roomId}`, { token: bob.token, body: {} });
  return { alice, bob, roomId };
}

async function since(s: TestServer, token: string): Promise<string> {
  return (await s.req('GET', '/_matrix/client/v3/sync?timeout=0', { token })).json().next_batch;
}

async function timelineOf(s: TestServer, token: string, from: string, filter?: object) {
  const q = filter ? `&filter=${encodeURIComponent(JSON.stringify(filter))}` : '';
  const res = await s.req('GET', `/_matrix/client/v3/sync?timeout=0&since=${from}${q}`, { token });
  expect(res.statusCode).toBe(200);
  return res.json().rooms.join;
}

test('each member sees the shared window with only their own transaction ids', async () => {
  const s = server();
  const { alice, bob, roomId } = await setUp(s, 'txn');
  const [a0, b0] = [await since(s, alice.token), await since(s, bob.token)];
  const sent = await s.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/t1`, {
    token: alice.token,
    body: { msgtype: 'm.text', body: 'hello' },
  });
  const eventId = sent.json().event_id;
  // Bob reads the window first, then Alice (the sender), then Bob again.
  const first = (await timelineOf(s, bob.token, b0))[roomId].timeline.events;
  const mine = (await timelineOf(s, alice.token, a0))[roomId].timeline.events;
  const again = (await timelineOf(s, bob.token, b0))[roomId].timeline.events;
  for (const events of [first, mine, again]) {
    expect(events.map((e: { event_id: string }) => e.event_id)).toEqual([eventId]);
  }
  expect(mine[0].unsigned.transaction_id).toBe('t1');
  expect(first[0].unsigned.transaction_id).toBeUndefined();
  expect(again[0].unsigned.transaction_id).toBeUndefined();
});

test('a redaction after the window was read shows in the next answer for it', async () => {
  const s = server();
  const { alice, bob, roomId } = await setUp(s, 'redact');
  const b0 = await since(s, bob.token);
  const eventId = (
    await s.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/r1`, {
      token: alice.token,
      body: { msgtype: 'm.text', body: 'oops' },
    })
  ).json().event_id;
  const before = await timelineOf(s, bob.token, b0);
  expect(before[roomId].timeline.events[0].content.body).toBe('oops');
  const redaction = await s.req('PUT', `/_matrix/client/v3/rooms/${roomId}/redact/${eventId}/x1`, {
    token: alice.token,
    body: {},
  });
  expect(redaction.statusCode).toBe(200);
  // The same `since` again: the window now also holds the redaction, and the message in it
  // is served redacted.
  const after = (await timelineOf(s, bob.token, b0))[roomId].timeline.events;
  const message = after.find((e: { event_id: string }) => e.event_id === eventId);
  expect(message.content).toEqual({});
  expect(message.unsigned.redacted_because.event_id).toBe(redaction.json().event_id);
});

test("one member's event_fields do not cut the events another member is answered", async () => {
  const s = server();
  const { alice, bob, roomId } = await setUp(s, 'fields');
  const [a0, b0] = [await since(s, alice.token), await since(s, bob.token)];
  await s.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/f1`, {
    token: alice.token,
    body: { msgtype: 'm.text', body: 'full' },
  });
  const cut = (await timelineOf(s, bob.token, b0, { event_fields: ['type'] }))[roomId];
  expect(cut.timeline.events).toEqual([{ type: 'm.room.message' }]);
  const whole = (await timelineOf(s, alice.token, a0))[roomId].timeline.events;
  expect(whole[0].content.body).toBe('full');
  expect(whole[0].sender).toBe(alice.userId);
  const bobWhole = (await timelineOf(s, bob.token, b0))[roomId].timeline.events;
  expect(bobWhole[0].content.body).toBe('full');
});

test('a member who was away for part of a shared window is not answered what they could not see', async () => {
  const s = server();
  const { alice, bob, roomId } = await setUp(s, 'away');
  const send = (txn: string, body: string) =>
    s.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/${txn}`, {
      token: alice.token,
      body: { msgtype: 'm.text', body },
    });
  await s.req('PUT', `/_matrix/client/v3/rooms/${roomId}/state/m.room.history_visibility/`, {
    token: alice.token,
    body: { history_visibility: 'joined' },
  });
  const seen = (await send('w0', 'both there')).json().event_id as string;
  // Both take their token at the same events position: their windows are one shared window.
  const [a0, b0] = [await since(s, alice.token), await since(s, bob.token)];
  expect(a0.split('_')[0]).toBe(b0.split('_')[0]);
  await s.req('POST', `/_matrix/client/v3/rooms/${roomId}/leave`, { token: bob.token, body: {} });
  const secret = (await send('w1', 'while bob was away')).json().event_id as string;
  await s.req('POST', `/_matrix/client/v3/join/${roomId}`, { token: bob.token, body: {} });
  const after = (await send('w2', 'bob is back')).json().event_id as string;
  // Alice reads the window first: it is kept for the others who read it.
  const ids = (events: { event_id: string }[]) => events.map((e) => e.event_id);
  const hers = (await timelineOf(s, alice.token, a0))[roomId].timeline.events;
  expect(ids(hers)).toContain(secret);
  // Bob reads the room's history first, so what he may see of its states is known in memory.
  const history = await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/messages?dir=b&limit=50`, {
    token: bob.token,
  });
  expect(ids(history.json().chunk)).toEqual(expect.arrayContaining([after, seen]));
  expect(ids(history.json().chunk)).not.toContain(secret);
  const his = (await timelineOf(s, bob.token, b0))[roomId].timeline.events;
  expect(ids(his)).toContain(after);
  expect(ids(his)).not.toContain(secret);
  // And Alice, reading the same window again, still gets all of it.
  expect(ids((await timelineOf(s, alice.token, a0))[roomId].timeline.events)).toContain(secret);
});
