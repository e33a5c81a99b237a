import { afterAll, beforeAll, expect, test } from 'vitest';
import type { FederationSender } from '../../../server/federation/sender/sender.js';
import {
  startFederatedServer,
  startTestSender,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';

/**
 * Invites and knocks as the rest of a room hears of them, with the outgoing queues
 * running between three real Hearths (a.test hosts the rooms; b.test and c.test have
 * users in them): a knock accepted by a.test reaches c.test's members, and an invite to a
 * server already in the room arrives there through /send rather than being stored aside.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

const NO_LIMIT = { per_second: 1000, burst_count: 1000 };
const config = {
  rc_room_creation: NO_LIMIT,
  rc_joins: { local: NO_LIMIT, remote: NO_LIMIT },
  rc_joins_per_room: NO_LIMIT,
  rc_invites: { per_room: NO_LIMIT, per_user: NO_LIMIT, per_issuer: NO_LIMIT },
};

const ports = new Map<string, number>();
const senders: FederationSender[] = [];
let A: FederatedTestServer;
let B: FederatedTestServer;
let C: FederatedTestServer;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
let carol: { userId: string; token: string };

beforeAll(async () => {
  A = await startFederatedServer('a.test', ports, { config });
  B = await startFederatedServer('b.test', ports, { config });
  C = await startFederatedServer('c.test', ports, { config });
  for (const s of [A, B, C]) senders.push(await startTestSender(s.ctx));
  alice = await A.register('alice');
  bob = await B.register('bob');
  carol = await C.register('carol');
});
afterAll(async () => {
  for (const s of senders) await s.stop();
  for (const s of [C, B, A]) await s?.close();
});

const enc = encodeURIComponent;

/** Polls `read` until `ok` holds (the queues deliver in the background), at most ~5 s. */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let v = await read();
  for (let i = 0; i < 100 && !ok(v); i++) {
    await new Promise((r) => setTimeout(r, 50));
    v = await read();
  }
  return v;
}

async function membersOn(s: FederatedTestServer, token: string, roomId: string) {
  const res = await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/members`, { token });
  if (res.statusCode !== 200) return {};
  return Object.fromEntries(
    (res.json().chunk as Loose[]).map((e) => [e.state_key, e.content.membership]),
  ) as Record<string, string>;
}

/** Alice's room on a.test, with `who` (of another server) invited and joined. */
async function roomWith(
  who: { userId: string; token: string },
  s: FederatedTestServer,
  body: Record<string, unknown>,
) {
  const created = await A.req('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: { room_version: '10', ...body },
  });
  expect(created.statusCode, created.body).toBe(200);
  const roomId = created.json().room_id as string;
  const inv = await A.req('POST', `/_matrix/client/v3/rooms/${roomId}/invite`, {
    token: alice.token,
    body: { user_id: who.userId },
  });
  expect(inv.statusCode, inv.body).toBe(200);
  const joined = await s.req('POST', `/_matrix/client/v3/rooms/${roomId}/join`, {
    token: who.token,
    body: {},
  });
  expect(joined.statusCode, joined.body).toBe(200);
  return roomId;
}

test("a knock accepted by the room's server reaches the other servers in the room", async () => {
  const roomId = await roomWith(carol, C, {
    initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
  });
  const knocked = await B.req('POST', `/_matrix/client/v3/knock/${enc(roomId)}?via=a.test`, {
    token: bob.token,
    body: {},
  });
  expect(knocked.statusCode, knocked.body).toBe(200);
  const seen = await eventually(
    () => membersOn(C, carol.token, roomId),
    (m) => m[bob.userId] === 'knock',
  );
  expect(seen[bob.userId]).toBe('knock');

  // Alice lets Bob in: an invite through b.test, which is not in the room, so it is kept aside.
  const inv = await A.req('POST', `/_matrix/client/v3/rooms/${roomId}/invite`, {
    token: alice.token,
    body: { user_id: bob.userId },
  });
  expect(inv.statusCode, inv.body).toBe(200);
  const bobSync = await B.req('GET', '/_matrix/client/v3/sync?timeout=0', { token: bob.token });
  expect(bobSync.json().rooms.invite[roomId]).toBeDefined();
  expect(bobSync.json().rooms.knock[roomId]).toBeUndefined();
});

test('an invite to a server already in the room arrives through /send with the room state', async () => {
  const roomId = await roomWith(carol, C, { name: 'Shared' });
  const dan = await C.register('dan');
  const inv = await A.req('POST', `/_matrix/client/v3/rooms/${roomId}/invite`, {
    token: alice.token,
    body: { user_id: dan.userId },
  });
  expect(inv.statusCode, inv.body).toBe(200);
  const res = await eventually(
    () => C.req('GET', '/_matrix/client/v3/sync?timeout=0', { token: dan.token }),
    (r) => r.json().rooms.invite[roomId] !== undefined,
  );
  const state = res.json().rooms.invite[roomId].invite_state.events as Loose[];
  expect(state.find((e) => e.type === 'm.room.name')?.content.name).toBe('Shared');

  // Rejecting it is an ordinary leave of a room c.test is in: a.test hears of it by /send.
  const asked = C.federation.sent.length;
  const left = await C.req('POST', `/_matrix/client/v3/rooms/${roomId}/leave`, {
    token: dan.token,
    body: {},
  });
  expect(left.statusCode, left.body).toBe(200);
  expect(C.federation.sent.slice(asked).some((r) => r.path.includes('make_leave'))).toBe(false);
  const onA = await eventually(
    () => membersOn(A, alice.token, roomId),
    (m) => m[dan.userId] === 'leave',
  );
  expect(onA[dan.userId]).toBe('leave');
});
