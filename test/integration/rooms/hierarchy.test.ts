import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * GET /rooms/{roomId}/hierarchy. The tree:
 *   space (public space, alice's)
 *   ├─ a    (order "a", public room, suggested)
 *   ├─ sub  (order "b", public space)
 *   │  └─ deep (invite-only, world_readable)
 *   ├─ priv (no order, invite-only room: hidden from bob)
 *   ├─ remote room on another server (skipped)
 *   └─ a child event without via (ignored)
 */

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
type User = { userId: string; token: string };
let s: TestServer;
let alice: User;
let bob: User;
const ids: Record<string, string> = {};

const hierarchy = (room: string, query = '', token = bob.token) =>
  s.req('GET', `/_matrix/client/v1/rooms/${enc(room)}/hierarchy${query}`, { token });
const roomIds = (body: { rooms: { room_id: string }[] }) => body.rooms.map((r) => r.room_id);

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('alice');
  bob = await s.register('bob');
  const create = async (body: Record<string, unknown>) => {
    const r = await s.req('POST', `${V3}/createRoom`, { token: alice.token, body });
    expect(r.statusCode).toBe(200);
    return r.json().room_id as string;
  };
  const space = { creation_content: { type: 'm.space' } };
  ids.space = await create({ preset: 'public_chat', name: 'Space', ...space });
  ids.a = await create({ preset: 'public_chat', name: 'A', topic: 'about a' });
  ids.sub = await create({ preset: 'public_chat', name: 'Sub', ...space });
  ids.priv = await create({ preset: 'private_chat', name: 'Private' });
  ids.deep = await create({
    preset: 'private_chat',
    name: 'Deep',
    initial_state: [
      { type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } },
    ],
  });
  const child = (parent: string, child: string, content: Record<string, unknown>) =>
    s.req('PUT', `${V3}/rooms/${enc(parent)}/state/m.space.child/${enc(child)}`, {
      token: alice.token,
      body: content,
    });
  const via = ['test.local'];
  await child(ids.space, ids.priv!, { via });
  await child(ids.space, ids.sub!, { via, order: 'b' });
  await child(ids.space, ids.a!, { via, order: 'a', suggested: true });
  await child(ids.space, '!remote:elsewhere.example', { via: ['elsewhere.example'] });
  await child(ids.space, '!novia:test.local', {});
  await child(ids.sub, ids.deep!, { via });
  // A cycle back to the top is followed once only.
  await child(ids.sub, ids.space!, { via });
});
afterAll(() => s.close());

describe('GET /rooms/{roomId}/hierarchy', () => {
  it('walks the tree depth first in child order, with only rooms bob may see', async () => {
    const r = await hierarchy(ids.space!);
    expect(r.statusCode).toBe(200);
    expect(roomIds(r.json())).toEqual([ids.space, ids.a, ids.sub, ids.deep]);
    expect(r.json().next_batch).toBeUndefined();
  });

  it('summarises each room, with its valid m.space.child events as stripped state', async () => {
    const [space, a] = (await hierarchy(ids.space!)).json().rooms;
    expect(a).toEqual({
      room_id: ids.a,
      name: 'A',
      topic: 'about a',
      num_joined_members: 1,
      join_rule: 'public',
      world_readable: false,
      guest_can_join: false,
      room_version: expect.any(String),
      children_state: [],
    });
    expect(space.room_type).toBe('m.space');
    expect(space.children_state.map((c: { state_key: string }) => c.state_key)).toEqual([
      ids.a,
      ids.sub,
      ids.priv,
      '!remote:elsewhere.example',
    ]);
    expect(space.children_state[0]).toEqual({
      type: 'm.space.child',
      state_key: ids.a,
      sender: alice.userId,
      content: { via: ['test.local'], order: 'a', suggested: true },
      origin_server_ts: expect.any(Number),
    });
  });

  it('a member sees the invite-only room too', async () => {
    const r = await hierarchy(ids.space!, '', alice.token);
    expect(roomIds(r.json())).toEqual([ids.space, ids.a, ids.sub, ids.deep, ids.priv]);
  });

  it('max_depth and suggested_only limit the walk', async () => {
    expect(roomIds((await hierarchy(ids.space!, '?max_depth=0')).json())).toEqual([ids.space]);
    expect(roomIds((await hierarchy(ids.space!, '?max_depth=1')).json())).toEqual([
      ids.space,
      ids.a,
      ids.sub,
    ]);
    expect(roomIds((await hierarchy(ids.space!, '?suggested_only=true')).json())).toEqual([
      ids.space,
      ids.a,
    ]);
  });

  it('pages with limit and an opaque from token', async () => {
    const first = (await hierarchy(ids.space!, '?limit=2')).json();
    expect(roomIds(first)).toEqual([ids.space, ids.a]);
    expect(typeof first.next_batch).toBe('string');
    const second = (await hierarchy(ids.space!, `?limit=2&from=${enc(first.next_batch)}`)).json();
    expect(roomIds(second)).toEqual([ids.sub, ids.deep]);
    expect(second.next_batch).toBeUndefined();
    // The walk's parameters cannot change between pages.
    expectError(
      await hierarchy(ids.space!, `?limit=2&max_depth=1&from=${enc(first.next_batch)}`),
      400,
      'M_INVALID_PARAM',
    );
    expectError(
      await hierarchy(ids.sub!, `?from=${enc(first.next_batch)}`),
      400,
      'M_INVALID_PARAM',
    );
  });

  it('a world_readable room is a root anyone may walk; a private one is 403', async () => {
    expect(roomIds((await hierarchy(ids.deep!)).json())).toEqual([ids.deep]);
    expectError(await hierarchy(ids.priv!), 403, 'M_FORBIDDEN');
  });

  it.each([
    ['?from=garbage'],
    ['?from=' + Buffer.from('[1,2]').toString('base64url')],
    ['?limit=0'],
    ['?limit=-1'],
    ['?max_depth=-1'],
    ['?suggested_only=yes'],
  ])('400 M_INVALID_PARAM for %s', async (query) => {
    expectError(await hierarchy(ids.space!, query), 400, 'M_INVALID_PARAM');
  });

  it('404 for an unknown room', async () => {
    expectError(await hierarchy('!nope:test.local'), 404, 'M_NOT_FOUND');
  });
});
