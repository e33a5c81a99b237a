import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAccountDataSince } from '../../../server/userdata/account-data.js';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Account data and room tags, as a client sees them, and the delta /sync reads. */

const V3 = '/_matrix/client/v3';
let s: TestServer;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
let roomId: string;

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('alice');
  bob = await s.register('bob');
  roomId = (await s.req('POST', `${V3}/createRoom`, { token: alice.token, body: {} })).json()
    .room_id;
});
afterAll(() => s.close());

const e = encodeURIComponent;
const globalPath = (user: string, type: string) => `${V3}/user/${e(user)}/account_data/${type}`;
const roomPath = (user: string, room: string, type: string) =>
  `${V3}/user/${e(user)}/rooms/${e(room)}/account_data/${type}`;
const tagsPath = (user: string, room: string, tag?: string) =>
  `${V3}/user/${e(user)}/rooms/${e(room)}/tags${tag === undefined ? '' : `/${e(tag)}`}`;

describe('global account data', () => {
  it('is set, replaced and read back', async () => {
    const path = globalPath(alice.userId, 'org.example.config');
    const put = await s.req('PUT', path, { token: alice.token, body: { theme: 'dark' } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({});
    expect((await s.req('GET', path, { token: alice.token })).json()).toEqual({ theme: 'dark' });
    await s.req('PUT', path, { token: alice.token, body: { theme: 'light' } });
    expect((await s.req('GET', path, { token: alice.token })).json()).toEqual({ theme: 'light' });
  });

  it("is the user's own: another user gets 403 and nothing changes", async () => {
    const path = globalPath(alice.userId, 'org.example.config');
    expectError(await s.req('GET', path, { token: bob.token }), 403, 'M_FORBIDDEN');
    expectError(
      await s.req('PUT', path, { token: bob.token, body: { theme: 'pink' } }),
      403,
      'M_FORBIDDEN',
    );
    expect((await s.req('GET', path, { token: alice.token })).json()).toEqual({ theme: 'light' });
  });

  it('unknown types are 404 M_NOT_FOUND', async () => {
    const r = await s.req('GET', globalPath(alice.userId, 'org.example.never'), {
      token: alice.token,
    });
    expectError(r, 404, 'M_NOT_FOUND');
  });

  it('server-managed types are refused with 405 M_BAD_JSON', async () => {
    for (const type of ['m.fully_read', 'm.push_rules']) {
      const r = await s.req('PUT', globalPath(alice.userId, type), {
        token: alice.token,
        body: {},
      });
      expectError(r, 405, 'M_BAD_JSON');
    }
  });

  it('bodies that are not objects are refused', async () => {
    const path = globalPath(alice.userId, 'org.example.bad');
    expectError(await s.req('PUT', path, { token: alice.token, body: '[1]' }), 400, 'M_NOT_JSON');
    expectError(await s.req('PUT', path, { token: alice.token, body: 'nope' }), 400, 'M_NOT_JSON');
    expectError(await s.req('PUT', path, { body: {} }), 401, 'M_MISSING_TOKEN');
  });
});

describe('room account data', () => {
  it('is kept per room, apart from global data of the same type', async () => {
    const path = roomPath(alice.userId, roomId, 'org.example.config');
    expect((await s.req('PUT', path, { token: alice.token, body: { a: 1 } })).statusCode).toBe(200);
    expect((await s.req('GET', path, { token: alice.token })).json()).toEqual({ a: 1 });
    const other = roomPath(alice.userId, '!other:test.local', 'org.example.config');
    expectError(await s.req('GET', other, { token: alice.token }), 404, 'M_NOT_FOUND');
    const global = await s.req('GET', globalPath(alice.userId, 'org.example.config'), {
      token: alice.token,
    });
    expect(global.json()).toEqual({ theme: 'light' });
  });

  it('errors: another user 403, not a room id 400, managed types 405', async () => {
    const path = roomPath(alice.userId, roomId, 'org.example.config');
    expectError(await s.req('GET', path, { token: bob.token }), 403, 'M_FORBIDDEN');
    expectError(await s.req('PUT', path, { token: bob.token, body: {} }), 403, 'M_FORBIDDEN');
    const bad = roomPath(alice.userId, '@notaroom:test.local', 'org.example.config');
    expectError(await s.req('GET', bad, { token: alice.token }), 400, 'M_INVALID_PARAM');
    expectError(await s.req('PUT', bad, { token: alice.token, body: {} }), 400, 'M_INVALID_PARAM');
    for (const type of ['m.fully_read', 'm.push_rules']) {
      const r = await s.req('PUT', roomPath(alice.userId, roomId, type), {
        token: alice.token,
        body: { event_id: '$x' },
      });
      expectError(r, 405, 'M_BAD_JSON');
    }
  });
});

describe('tags', () => {
  it('are added, listed, replaced and removed', async () => {
    const t = alice.token;
    expect((await s.req('GET', tagsPath(alice.userId, roomId), { token: t })).json()).toEqual({
      tags: {},
    });
    const put = await s.req('PUT', tagsPath(alice.userId, roomId, 'm.favourite'), {
      token: t,
      body: { order: 0.25 },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({});
    await s.req('PUT', tagsPath(alice.userId, roomId, 'u.Work'), { token: t, body: {} });
    await s.req('PUT', tagsPath(alice.userId, roomId, 'm.favourite'), {
      token: t,
      body: { order: 0.5 },
    });
    expect((await s.req('GET', tagsPath(alice.userId, roomId), { token: t })).json()).toEqual({
      tags: { 'm.favourite': { order: 0.5 }, 'u.Work': {} },
    });
    const del = await s.req('DELETE', tagsPath(alice.userId, roomId, 'u.Work'), { token: t });
    expect(del.statusCode).toBe(200);
    // Removing a tag the room does not have is fine.
    const again = await s.req('DELETE', tagsPath(alice.userId, roomId, 'u.Work'), { token: t });
    expect(again.statusCode).toBe(200);
    expect((await s.req('GET', tagsPath(alice.userId, roomId), { token: t })).json()).toEqual({
      tags: { 'm.favourite': { order: 0.5 } },
    });
  });

  it('are the m.tag room account data', async () => {
    const r = await s.req('GET', roomPath(alice.userId, roomId, 'm.tag'), { token: alice.token });
    expect(r.json()).toEqual({ tags: { 'm.favourite': { order: 0.5 } } });
  });

  it('errors: another user 403, order outside [0, 1] 400, long names 400', async () => {
    const path = tagsPath(alice.userId, roomId, 'u.x');
    expectError(
      await s.req('GET', tagsPath(alice.userId, roomId), { token: bob.token }),
      403,
      'M_FORBIDDEN',
    );
    expectError(await s.req('PUT', path, { token: bob.token, body: {} }), 403, 'M_FORBIDDEN');
    expectError(await s.req('DELETE', path, { token: bob.token }), 403, 'M_FORBIDDEN');
    for (const order of [1.5, -0.1, 'first']) {
      expectError(
        await s.req('PUT', path, { token: alice.token, body: { order } }),
        400,
        'M_BAD_JSON',
      );
    }
    const long = tagsPath(alice.userId, roomId, `u.${'x'.repeat(260)}`);
    expectError(await s.req('PUT', long, { token: alice.token, body: {} }), 400, 'M_INVALID_PARAM');
    expect(
      (await s.req('GET', tagsPath(alice.userId, roomId), { token: alice.token })).json(),
    ).toEqual({ tags: { 'm.favourite': { order: 0.5 } } });
  });

  it('concurrent puts keep every tag', async () => {
    const room = '!concurrent:test.local';
    await Promise.all(
      ['u.a', 'u.b', 'u.c', 'u.d'].map((tag) =>
        s.req('PUT', tagsPath(alice.userId, room, tag), { token: alice.token, body: {} }),
      ),
    );
    const tags = (await s.req('GET', tagsPath(alice.userId, room), { token: alice.token })).json()
      .tags;
    expect(Object.keys(tags).sort()).toEqual(['u.a', 'u.b', 'u.c', 'u.d']);
  });
});

describe('getAccountDataSince', () => {
  it('gives every entry from 0, then only what changed, each once with its latest content', async () => {
    const all = await getAccountDataSince(s.ctx, alice.userId, 0);
    expect(all.global).toContainEqual({ type: 'org.example.config', content: { theme: 'light' } });
    expect(all.rooms[roomId]).toContainEqual({
      type: 'm.tag',
      content: { tags: { 'm.favourite': { order: 0.5 } } },
    });
    expect(all.rooms[roomId]).toContainEqual({ type: 'org.example.config', content: { a: 1 } });
    // Bob's data is not Alice's.
    await s.req('PUT', globalPath(bob.userId, 'org.example.bob'), { token: bob.token, body: {} });
    const bobs = await getAccountDataSince(s.ctx, bob.userId, 0);
    expect(bobs.global).toEqual([{ type: 'org.example.bob', content: {} }]);
    expect(bobs.rooms).toEqual({});

    const since = (await getAccountDataSince(s.ctx, alice.userId, 0)).streamId;
    expect(since).toBeGreaterThanOrEqual(all.streamId);
    const none = await getAccountDataSince(s.ctx, alice.userId, since);
    expect(none).toEqual({ streamId: since, global: [], rooms: {} });

    await s.req('PUT', globalPath(alice.userId, 'org.example.config'), {
      token: alice.token,
      body: { theme: 'x' },
    });
    await s.req('PUT', globalPath(alice.userId, 'org.example.config'), {
      token: alice.token,
      body: { theme: 'y' },
    });
    await s.req('PUT', tagsPath(alice.userId, roomId, 'm.lowpriority'), {
      token: alice.token,
      body: {},
    });
    const delta = await getAccountDataSince(s.ctx, alice.userId, since);
    expect(delta.streamId).toBeGreaterThan(since);
    expect(delta.global).toEqual([{ type: 'org.example.config', content: { theme: 'y' } }]);
    expect(delta.rooms).toEqual({
      [roomId]: [
        {
          type: 'm.tag',
          content: { tags: { 'm.favourite': { order: 0.5 }, 'm.lowpriority': {} } },
        },
      ],
    });
  });

  it('a change wakes the user’s waiting /sync', async () => {
    const woken = s.ctx.notifier.wait([alice.userId], 5_000);
    await s.req('PUT', globalPath(alice.userId, 'org.example.wake'), {
      token: alice.token,
      body: {},
    });
    expect(await woken).toBe(true);
  });
});
