import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  startFederationSender,
  type FederationSender,
} from '../../../server/federation/sender/sender.js';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';

/**
 * What a local user does that the other servers of a room hear of as EDUs
 * (server/federation/outgoing-edus.ts), seen end to end between two real Hearths with their
 * outgoing queues running: typing, public read receipts (never private ones), presence, and
 * to-device messages to a user of the other server.
 */

const ports = new Map<string, number>();
let a: FederatedTestServer;
let b: FederatedTestServer;
const senders: FederationSender[] = [];
let alice: { userId: string; token: string; deviceId: string };
let bob: { userId: string; token: string; deviceId: string };
let roomId: string;
const since = new Map<string, string>();

beforeAll(async () => {
  a = await startFederatedServer('a.test', ports);
  b = await startFederatedServer('b.test', ports);
  for (const s of [a, b]) {
    senders.push(
      await startFederationSender(s.ctx, {
        client: s.federation,
        backoff: { minMs: 50, multiplier: 2, maxMs: 500 },
      }),
    );
  }
  alice = await a.register('alice');
  bob = await b.register('bob');
  const created = await a.req('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: { preset: 'public_chat' },
  });
  roomId = created.json().room_id;
  const join = await b.req('POST', `/_matrix/client/v3/join/${roomId}?server_name=a.test`, {
    token: bob.token,
    body: {},
  });
  expect(join.statusCode, join.body).toBe(200);
  for (const [s, u] of [
    [a, alice],
    [b, bob],
  ] as const) {
    const first = await s.req('GET', '/_matrix/client/v3/sync?timeout=0', { token: u.token });
    since.set(u.userId, first.json().next_batch);
  }
}, 30_000);

afterAll(async () => {
  for (const s of senders) await s.stop();
  await b?.close();
  await a?.close();
});

/** Long-polls `who`'s /sync until `pick` finds something in an answer (10 s at most). */
async function seen<T>(
  s: FederatedTestServer,
  who: { userId: string; token: string },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- sync answers are read loosely
  pick: (sync: any) => T | undefined,
): Promise<T> {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    const res = await s.req(
      'GET',
      `/_matrix/client/v3/sync?timeout=1000&since=${since.get(who.userId)}`,
      { token: who.token },
    );
    const body = res.json();
    since.set(who.userId, body.next_batch);
    const found = pick(body);
    if (found !== undefined) return found;
  }
  throw new Error('not seen in /sync within 10 s');
}

test("a typing user of B shows in A's /sync", async () => {
  const res = await b.req('PUT', `/_matrix/client/v3/rooms/${roomId}/typing/${bob.userId}`, {
    token: bob.token,
    body: { typing: true, timeout: 20_000 },
  });
  expect(res.statusCode).toBe(200);
  const typing = await seen(a, alice, (sync) =>
    sync.rooms?.join?.[roomId]?.ephemeral?.events?.find(
      (e: { type: string; content: { user_ids: string[] } }) =>
        e.type === 'm.typing' && e.content.user_ids.includes(bob.userId),
    ),
  );
  expect(typing.content.user_ids).toEqual([bob.userId]);
});

test('a public read receipt of A shows on B; a private one does not leave A', async () => {
  const sent = await a.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/r1`, {
    token: alice.token,
    body: { msgtype: 'm.text', body: 'read me' },
  });
  const eventId = sent.json().event_id as string;
  await seen(b, bob, (sync) =>
    sync.rooms?.join?.[roomId]?.timeline?.events?.find(
      (e: { event_id: string }) => e.event_id === eventId,
    ),
  );
  const privately = await a.req(
    'POST',
    `/_matrix/client/v3/rooms/${roomId}/receipt/m.read.private/${eventId}`,
    { token: alice.token, body: {} },
  );
  expect(privately.statusCode).toBe(200);
  const publicly = await a.req(
    'POST',
    `/_matrix/client/v3/rooms/${roomId}/receipt/m.read/${eventId}`,
    { token: alice.token, body: {} },
  );
  expect(publicly.statusCode).toBe(200);
  const receipt = await seen(b, bob, (sync) =>
    sync.rooms?.join?.[roomId]?.ephemeral?.events?.find(
      (e: { type: string; content: Record<string, Record<string, Record<string, unknown>>> }) =>
        e.type === 'm.receipt' && e.content[eventId]?.['m.read']?.[alice.userId],
    ),
  );
  expect(receipt.content[eventId]['m.read.private']).toBeUndefined();
});

test("presence set on A reaches B's users who share the room", async () => {
  const res = await a.req('PUT', `/_matrix/client/v3/presence/${alice.userId}/status`, {
    token: alice.token,
    body: { presence: 'unavailable', status_msg: 'out for lunch' },
  });
  expect(res.statusCode).toBe(200);
  const event = await seen(b, bob, (sync) =>
    sync.presence?.events?.find(
      (e: { sender: string; content: { status_msg?: string } }) =>
        e.sender === alice.userId && e.content.status_msg === 'out for lunch',
    ),
  );
  expect(event.content.presence).toBe('unavailable');
  const status = await b.req('GET', `/_matrix/client/v3/presence/${alice.userId}/status`, {
    token: bob.token,
  });
  expect(status.json()).toMatchObject({ presence: 'unavailable', status_msg: 'out for lunch' });
});

test("a to-device message from A reaches the device of B's user once, even when the request is retried", async () => {
  const body = { messages: { [bob.userId]: { [bob.deviceId]: { secret: 'olm payload' } } } };
  for (let i = 0; i < 2; i++) {
    const res = await a.req('PUT', '/_matrix/client/v3/sendToDevice/m.room.encrypted/td1', {
      token: alice.token,
      body,
    });
    expect(res.statusCode).toBe(200);
  }
  const message = await seen(b, bob, (sync) =>
    sync.to_device?.events?.find((e: { type: string }) => e.type === 'm.room.encrypted'),
  );
  expect(message).toEqual({
    sender: alice.userId,
    type: 'm.room.encrypted',
    content: { secret: 'olm payload' },
  });
  // The retry queued nothing more: no second copy arrives.
  const later = await b.req(
    'GET',
    `/_matrix/client/v3/sync?timeout=1500&since=${since.get(bob.userId)}`,
    {
      token: bob.token,
    },
  );
  expect(later.json().to_device?.events ?? []).toEqual([]);
});
