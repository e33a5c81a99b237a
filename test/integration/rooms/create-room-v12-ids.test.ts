import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

// A v12 room id is the hash of the room's create event (rooms/v12), so two rooms one user
// creates with the same content in the same millisecond would share an id. Both must be
// created, each with its own id.

let s: TestServer;
beforeAll(async () => {
  // A clock that never moves: every create event of this test has the same timestamp.
  s = await createTestServer(
    { default_room_version: '12' },
    { clock: { now: () => 1_800_000_000_000 } },
  );
});
afterAll(() => s.close());

it('creates two identical v12 rooms at the same instant, with different ids', async () => {
  const alice = await s.register('alice');
  const create = () =>
    s.req('POST', '/_matrix/client/v3/createRoom', { token: alice.token, body: { name: 'same' } });
  const [a, b] = await Promise.all([create(), create()]);
  expect(a.statusCode, a.body).toBe(200);
  expect(b.statusCode, b.body).toBe(200);
  const ids = [a.json().room_id, b.json().room_id];
  expect(ids[0]).not.toBe(ids[1]);
  const third = await create();
  expect(third.statusCode, third.body).toBe(200);
  expect(ids).not.toContain(third.json().room_id);
  const joined = await s.req('GET', '/_matrix/client/v3/joined_rooms', { token: alice.token });
  expect(joined.json().joined_rooms).toHaveLength(3);
});
