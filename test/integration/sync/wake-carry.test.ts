import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * A long-poll's woken pass takes over what its previous pass read of the user's own
 * streams and memberships when none of them moved (sync.ts, carriedUserPart). Each case
 * here moves exactly one of them while Bob's long-poll is held, and the one answer of that
 * long-poll must carry the change: were the check of that stream missing, the woken pass
 * would find nothing new and the poll would run to its timeout with an empty answer.
 */

const V3 = '/_matrix/client/v3';
type User = { userId: string; token: string; deviceId: string };
let s: TestServer;
let alice: User;
let bob: User;
let roomId: string;
let txn = 0;

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('alice');
  bob = await s.register('bob');
  roomId = await createPublicRoom(alice);
  await join(bob, roomId);
});
afterAll(() => s.close());

async function createPublicRoom(u: User): Promise<string> {
  const r = await s.req('POST', `${V3}/createRoom`, {
    token: u.token,
    body: { preset: 'public_chat' },
  });
  expect(r.statusCode).toBe(200);
  return r.json().room_id as string;
}

async function join(u: User, id: string): Promise<void> {
  const r = await s.req('POST', `${V3}/join/${encodeURIComponent(id)}`, {
    token: u.token,
    body: {},
  });
  expect(r.statusCode).toBe(200);
}

async function send(u: User, body: string): Promise<string> {
  const r = await s.req(
    'PUT',
    `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/c${++txn}`,
    { token: u.token, body: { msgtype: 'm.text', body } },
  );
  expect(r.statusCode).toBe(200);
  return r.json().event_id as string;
}

/** Bob's token as of now, after anything older has been read. */
async function bobSince(): Promise<string> {
  return (await s.req('GET', `${V3}/sync?timeout=0`, { token: bob.token })).json().next_batch;
}

/**
 * Holds one long-poll of Bob's from `since`, runs `change` once it is parked, and answers
 * the poll's single answer with how long it took after the change.
 */
async function pollAcross(since: string, change: () => Promise<void>) {
  const polling = s.req('GET', `${V3}/sync?timeout=4000&since=${encodeURIComponent(since)}`, {
    token: bob.token,
  });
  await new Promise((r) => setTimeout(r, 100));
  const changed = performance.now();
  await change();
  const res = await polling;
  expect(res.statusCode).toBe(200);
  return { body: res.json(), ms: performance.now() - changed };
}

describe('a woken long-poll reads again what moved', () => {
  it('a read receipt', async () => {
    const eventId = await send(alice, 'read me');
    const since = await bobSince();
    const { body, ms } = await pollAcross(since, async () => {
      const r = await s.req(
        'POST',
        `${V3}/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`,
        { token: alice.token, body: {} },
      );
      expect(r.statusCode).toBe(200);
    });
    const ephemeral = body.rooms.join[roomId].ephemeral.events;
    expect(ephemeral.find((e: { type: string }) => e.type === 'm.receipt').content).toHaveProperty(
      eventId,
    );
    expect(ms).toBeLessThan(2000);
  });

  it('account data', async () => {
    const since = await bobSince();
    const { body, ms } = await pollAcross(since, async () => {
      const r = await s.req(
        'PUT',
        `${V3}/user/${encodeURIComponent(bob.userId)}/account_data/org.example.carry`,
        { token: bob.token, body: { n: 1 } },
      );
      expect(r.statusCode).toBe(200);
    });
    expect(body.account_data.events).toContainEqual({
      type: 'org.example.carry',
      content: { n: 1 },
    });
    expect(ms).toBeLessThan(2000);
  });

  it('typing', async () => {
    const since = await bobSince();
    const { body, ms } = await pollAcross(since, async () => {
      const r = await s.req(
        'PUT',
        `${V3}/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`,
        { token: alice.token, body: { typing: true, timeout: 30000 } },
      );
      expect(r.statusCode).toBe(200);
    });
    const ephemeral = body.rooms.join[roomId].ephemeral.events;
    expect(ephemeral).toContainEqual({ type: 'm.typing', content: { user_ids: [alice.userId] } });
    expect(ms).toBeLessThan(2000);
  });

  it('a to-device message', async () => {
    const since = await bobSince();
    const { body, ms } = await pollAcross(since, async () => {
      const r = await s.req('PUT', `${V3}/sendToDevice/org.example.carry/c${++txn}`, {
        token: alice.token,
        body: { messages: { [bob.userId]: { [bob.deviceId]: { hello: 'bob' } } } },
      });
      expect(r.statusCode).toBe(200);
    });
    expect(body.to_device.events).toContainEqual({
      sender: alice.userId,
      type: 'org.example.carry',
      content: { hello: 'bob' },
    });
    expect(ms).toBeLessThan(2000);
  });

  it('presence', async () => {
    const since = await bobSince();
    const { body, ms } = await pollAcross(since, async () => {
      const r = await s.req('PUT', `${V3}/presence/${encodeURIComponent(alice.userId)}/status`, {
        token: alice.token,
        body: { presence: 'online', status_msg: 'carried?' },
      });
      expect(r.statusCode).toBe(200);
    });
    const mine = body.presence.events.find((e: { sender: string }) => e.sender === alice.userId);
    expect(mine?.content.status_msg).toBe('carried?');
    expect(ms).toBeLessThan(2000);
  });

  it("the user's memberships (a room joined while the poll is held)", async () => {
    const other = await createPublicRoom(alice);
    const since = await bobSince();
    // Bob's join notifies the new room, which his poll does not watch: it sees the events
    // stream move at its next slice (a second at most), and the window holds his join.
    const { body, ms } = await pollAcross(since, () => join(bob, other));
    expect(body.rooms.join).toHaveProperty([other]);
    expect(ms).toBeLessThan(3000);
  });

  it('a message after all that still wakes with only its own news', async () => {
    const since = await bobSince();
    let eventId = '';
    const { body, ms } = await pollAcross(since, async () => {
      eventId = await send(alice, 'plain');
    });
    expect(Object.keys(body.rooms.join)).toEqual([roomId]);
    const events = body.rooms.join[roomId].timeline.events as { event_id: string }[];
    expect(events.map((e) => e.event_id)).toEqual([eventId]);
    expect(body.account_data.events).toEqual([]);
    expect(body.to_device.events).toEqual([]);
    expect(ms).toBeLessThan(2000);
  });
});
