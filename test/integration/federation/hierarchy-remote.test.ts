import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';

/**
 * A client's /hierarchy over a space whose rooms are on another server
 * (server/rooms/hierarchy.ts, federation/reads/remote.ts fetchRemoteHierarchy): B's space
 * names a space of A and A's rooms; B summarises them through A's GET /hierarchy, walks
 * into them, and leaves out what its user may not see.
 */

const ports = new Map<string, number>();
let a: FederatedTestServer;
let b: FederatedTestServer;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };

beforeAll(async () => {
  a = await startFederatedServer('a.test', ports);
  b = await startFederatedServer('b.test', ports);
  alice = await a.register('alice');
  bob = await b.register('bob');
});

afterAll(async () => {
  await b?.close();
  await a?.close();
});

async function create(
  s: FederatedTestServer,
  who: { token: string },
  body: Record<string, unknown>,
): Promise<string> {
  const res = await s.req('POST', '/_matrix/client/v3/createRoom', { token: who.token, body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().room_id as string;
}

async function addChild(
  s: FederatedTestServer,
  who: { token: string },
  space: string,
  child: string,
  via: string,
) {
  const res = await s.req(
    'PUT',
    `/_matrix/client/v3/rooms/${space}/state/m.space.child/${encodeURIComponent(child)}`,
    { token: who.token, body: { via: [via] } },
  );
  expect(res.statusCode, res.body).toBe(200);
}

test("a space of B names A's space: B's user sees A's rooms through A's /hierarchy", async () => {
  const spaceA = await create(a, alice, {
    preset: 'public_chat',
    name: 'Space on A',
    creation_content: { type: 'm.space' },
  });
  const roomA = await create(a, alice, { preset: 'public_chat', name: 'Room on A' });
  const privateA = await create(a, alice, { preset: 'private_chat', name: 'Private on A' });
  await addChild(a, alice, spaceA, roomA, 'a.test');
  await addChild(a, alice, spaceA, privateA, 'a.test');
  const spaceB = await create(b, bob, {
    preset: 'public_chat',
    name: 'Space on B',
    creation_content: { type: 'm.space' },
  });
  await addChild(b, bob, spaceB, spaceA, 'a.test');

  const res = await b.req('GET', `/_matrix/client/v1/rooms/${spaceB}/hierarchy`, {
    token: bob.token,
  });
  expect(res.statusCode, res.body).toBe(200);
  const rooms = res.json().rooms as { room_id: string; name?: string; children_state: unknown[] }[];
  expect(rooms.map((r) => r.name)).toEqual(['Space on B', 'Space on A', 'Room on A']);
  expect(rooms[1]!.children_state).toHaveLength(2);
  // The private room of A is not described: A leaves it out (B may not peek at it).
  expect(rooms.map((r) => r.room_id)).not.toContain(privateA);

  // max_depth 1 stops at A's space, which is still summarised.
  const shallow = await b.req('GET', `/_matrix/client/v1/rooms/${spaceB}/hierarchy?max_depth=1`, {
    token: bob.token,
  });
  expect(shallow.json().rooms.map((r: { name: string }) => r.name)).toEqual([
    'Space on B',
    'Space on A',
  ]);
});

test('a child on a server that cannot be reached is left out; the rest is answered', async () => {
  const spaceB = await create(b, bob, {
    preset: 'public_chat',
    name: 'Space with a lost child',
    creation_content: { type: 'm.space' },
  });
  await addChild(b, bob, spaceB, '!lost:nowhere.test', 'nowhere.test');
  const res = await b.req('GET', `/_matrix/client/v1/rooms/${spaceB}/hierarchy`, {
    token: bob.token,
  });
  expect(res.statusCode).toBe(200);
  expect(res.json().rooms.map((r: { name: string }) => r.name)).toEqual([
    'Space with a lost child',
  ]);
});
