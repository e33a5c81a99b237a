import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Joining, inviting, leaving, forgetting, kicking, banning, knocking and member lists. */

const V3 = '/_matrix/client/v3';
type User = { userId: string; token: string; deviceId: string };
let s: TestServer;
let alice: User;
let bob: User;
let carol: User;

beforeAll(async () => {
  s = await createTestServer({
    rc_room_creation: { per_second: 1000, burst_count: 1000 },
    rc_joins: { local: { per_second: 1000, burst_count: 1000 } },
    rc_invites: {
      per_room: { per_second: 1000, burst_count: 1000 },
      per_user: { per_second: 1000, burst_count: 1000 },
      per_issuer: { per_second: 1000, burst_count: 1000 },
    },
  });
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
});
afterAll(() => s.close());

const enc = encodeURIComponent;
const create = async (body: Record<string, unknown>, token = alice.token): Promise<string> => {
  const r = await s.req('POST', `${V3}/createRoom`, { token, body });
  expect(r.statusCode).toBe(200);
  return r.json().room_id as string;
};
const post = (path: string, token: string, body: unknown = {}) =>
  s.req('POST', `${V3}${path}`, { token, body });
const room = (roomId: string, p: string) => `/rooms/${enc(roomId)}${p}`;
/** A user's current m.room.member content, read through the state API as `reader`. */
const member = async (roomId: string, userId: string, reader = alice.token) => {
  const r = await s.req('GET', `${V3}${room(roomId, `/state/m.room.member/${enc(userId)}`)}`, {
    token: reader,
  });
  return r.statusCode === 200 ? (r.json() as Record<string, unknown>) : undefined;
};
const stateCount = async (roomId: string) =>
  (await s.req('GET', `${V3}${room(roomId, '/state')}`, { token: alice.token })).json<unknown[]>()
    .length;

describe('join', () => {
  it('joins a public room by id, by alias and both paths, idempotently', async () => {
    const roomId = await create({ preset: 'public_chat', room_alias_name: 'lobby' });
    await s.req('PUT', `${V3}/profile/${enc(bob.userId)}/avatar_url`, {
      token: bob.token,
      body: { avatar_url: 'mxc://test.local/bob' },
    });
    const r = await post(`/join/${enc('#lobby:test.local')}?server_name=elsewhere.org`, bob.token, {
      reason: 'hi',
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ room_id: roomId });
    expect(await member(roomId, bob.userId)).toEqual({
      membership: 'join',
      displayname: 'bob',
      avatar_url: 'mxc://test.local/bob',
      reason: 'hi',
    });
    const before = await stateCount(roomId);
    const again = await post(room(roomId, '/join'), bob.token);
    expect(again.json()).toEqual({ room_id: roomId });
    const byId = await post(`/join/${enc(roomId)}`, bob.token);
    expect(byId.json()).toEqual({ room_id: roomId });
    expect(await stateCount(roomId)).toBe(before);
    // A request without a body is read as {}.
    const carolJoin = await s.req('POST', `${V3}${room(roomId, '/join')}`, { token: carol.token });
    expect(carolJoin.statusCode).toBe(200);
  });

  it('refuses invite-only rooms, unknown rooms and aliases, and bad ids; writes nothing', async () => {
    const roomId = await create({ preset: 'private_chat' });
    const before = await stateCount(roomId);
    const r = await post(room(roomId, '/join'), bob.token);
    expectError(r, 403, 'M_FORBIDDEN');
    expect(r.json().error).toMatch(/rule/);
    expect(await stateCount(roomId)).toBe(before);
    expect(await member(roomId, bob.userId)).toBeUndefined();
    expectError(await post(`/join/${enc('!nope:test.local')}`, bob.token), 404, 'M_NOT_FOUND');
    expectError(await post(`/join/${enc('#nope:test.local')}`, bob.token), 404, 'M_NOT_FOUND');
    expectError(
      await post(`/join/${enc('#bad alias:test.local')}`, bob.token),
      400,
      'M_INVALID_PARAM',
    );
    expectError(await post(`/join/${enc('lobby')}`, bob.token), 400, 'M_INVALID_PARAM');
    expectError(await post(room(roomId, '/join'), bob.token, { reason: 5 }), 400, 'M_BAD_JSON');
    expectError(
      await s.req('POST', `${V3}${room(roomId, '/join')}`, { body: {} }),
      401,
      'M_MISSING_TOKEN',
    );
  });

  it('is rate limited by rc_joins.local', async () => {
    const t = await createTestServer({
      rc_room_creation: { per_second: 1000, burst_count: 1000 },
      rc_joins: { local: { per_second: 0.001, burst_count: 1 } },
    });
    try {
      const a = await t.register('a');
      const b = await t.register('b');
      const mk = async () =>
        (
          await t.req('POST', `${V3}/createRoom`, {
            token: a.token,
            body: { preset: 'public_chat' },
          })
        ).json().room_id as string;
      const [r1, r2] = [await mk(), await mk()];
      expect(
        (await t.req('POST', `${V3}/join/${enc(r1)}`, { token: b.token, body: {} })).statusCode,
      ).toBe(200);
      const limited = await t.req('POST', `${V3}/join/${enc(r2)}`, { token: b.token, body: {} });
      expectError(limited, 429, 'M_LIMIT_EXCEEDED');
      expect(limited.json().retry_after_ms).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });
});

describe('invite, leave and forget', () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await create({ preset: 'private_chat', room_version: '10' });
  });

  it('invites a local user with their profile and a reason; they join', async () => {
    const r = await post(room(roomId, '/invite'), alice.token, {
      user_id: bob.userId,
      reason: 'come',
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    expect(await member(roomId, bob.userId)).toMatchObject({
      membership: 'invite',
      displayname: 'bob',
      reason: 'come',
    });
    expect((await post(room(roomId, '/join'), bob.token)).statusCode).toBe(200);
    expect((await member(roomId, bob.userId))!.membership).toBe('join');
  });

  it('refuses bad invites and writes nothing', async () => {
    const before = await stateCount(roomId);
    const inv = (body: unknown, token = alice.token) => post(room(roomId, '/invite'), token, body);
    expectError(await inv({ user_id: 'bob' }), 400, 'M_INVALID_PARAM');
    expectError(await inv({ user_id: '@ghost:test.local' }), 404, 'M_NOT_FOUND');
    expectError(await inv({}), 400, 'M_MISSING_PARAM');
    // Already joined: the auth rules refuse.
    expectError(await inv({ user_id: bob.userId }), 403, 'M_FORBIDDEN');
    // Not in the room: the auth rules refuse.
    expectError(await inv({ user_id: bob.userId }, carol.token), 403, 'M_FORBIDDEN');
    expectError(
      await post(room('!nope:test.local', '/invite'), alice.token, { user_id: carol.userId }),
      404,
      'M_NOT_FOUND',
    );
    expect(await stateCount(roomId)).toBe(before);
    expect(await member(roomId, carol.userId)).toBeUndefined();
  });

  it('rejects an invite by leaving; leaves with a reason; leaving twice is a no-op', async () => {
    await post(room(roomId, '/invite'), alice.token, { user_id: carol.userId });
    expect((await post(room(roomId, '/leave'), carol.token)).statusCode).toBe(200);
    expect(await member(roomId, carol.userId)).toEqual({ membership: 'leave' });
    const r = await post(room(roomId, '/leave'), bob.token, { reason: 'bye' });
    expect(r.statusCode).toBe(200);
    expect(await member(roomId, bob.userId)).toEqual({ membership: 'leave', reason: 'bye' });
    const before = await stateCount(roomId);
    expect((await post(room(roomId, '/leave'), bob.token)).statusCode).toBe(200);
    expect(await stateCount(roomId)).toBe(before);
    expectError(await post(room('!nope:test.local', '/leave'), bob.token), 404, 'M_NOT_FOUND');
    // carol was never in this room: nothing to leave.
    const other = await create({ preset: 'public_chat' });
    expectError(await post(room(other, '/leave'), carol.token), 403, 'M_FORBIDDEN');
    expect(await member(other, carol.userId)).toBeUndefined();
  });

  it('forgets only rooms one is not joined or invited to', async () => {
    expectError(await post(room(roomId, '/forget'), alice.token), 400, 'M_UNKNOWN');
    await post(room(roomId, '/invite'), alice.token, { user_id: bob.userId });
    expectError(await post(room(roomId, '/forget'), bob.token), 400, 'M_UNKNOWN');
    await post(room(roomId, '/leave'), bob.token);
    expect((await post(room(roomId, '/forget'), bob.token)).statusCode).toBe(200);
    const rows = await s.ctx.db.all<{ user_id: string }>(
      'SELECT user_id FROM room_forgotten WHERE room_id = ?',
      roomId,
    );
    expect(rows).toEqual([{ user_id: bob.userId }]);
    expectError(await post(room('!nope:test.local', '/forget'), bob.token), 404, 'M_NOT_FOUND');
    // Being invited again clears the mark.
    await post(room(roomId, '/invite'), alice.token, { user_id: bob.userId });
    expect(await s.ctx.db.all('SELECT 1 FROM room_forgotten WHERE room_id = ?', roomId)).toEqual(
      [],
    );
  });

  it('limits invites per room (rc_invites.per_room)', async () => {
    const t = await createTestServer({
      rc_room_creation: { per_second: 1000, burst_count: 1000 },
      rc_invites: { per_room: { per_second: 0.001, burst_count: 1 } },
    });
    try {
      const a = await t.register('a');
      const b = await t.register('b');
      const c = await t.register('c');
      const r = (
        await t.req('POST', `${V3}/createRoom`, {
          token: a.token,
          body: { preset: 'private_chat' },
        })
      ).json().room_id as string;
      const inv = (u: string) =>
        t.req('POST', `${V3}/rooms/${enc(r)}/invite`, { token: a.token, body: { user_id: u } });
      expect((await inv(b.userId)).statusCode).toBe(200);
      expectError(await inv(c.userId), 429, 'M_LIMIT_EXCEEDED');
    } finally {
      await t.close();
    }
  });
});

describe('kick, ban and unban', () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await create({ preset: 'public_chat', room_version: '11' });
    await post(room(roomId, '/join'), bob.token);
    await post(room(roomId, '/join'), carol.token);
  });

  it('members without power may not kick or ban; nothing changes', async () => {
    const before = await stateCount(roomId);
    expectError(
      await post(room(roomId, '/kick'), bob.token, { user_id: carol.userId }),
      403,
      'M_FORBIDDEN',
    );
    expectError(
      await post(room(roomId, '/ban'), bob.token, { user_id: carol.userId }),
      403,
      'M_FORBIDDEN',
    );
    expect(await stateCount(roomId)).toBe(before);
    expect((await member(roomId, carol.userId))!.membership).toBe('join');
  });

  it('an admin kicks with a reason; a kicked user may rejoin a public room', async () => {
    const r = await post(room(roomId, '/kick'), alice.token, {
      user_id: carol.userId,
      reason: 'spam',
    });
    expect(r.statusCode).toBe(200);
    expect(await member(roomId, carol.userId)).toEqual({ membership: 'leave', reason: 'spam' });
    expectError(
      await post(room(roomId, '/kick'), alice.token, { user_id: carol.userId }),
      403,
      'M_FORBIDDEN',
    );
    expect((await post(room(roomId, '/join'), carol.token)).statusCode).toBe(200);
  });

  it('bans keep a user out until unbanned', async () => {
    expect(
      (await post(room(roomId, '/ban'), alice.token, { user_id: carol.userId, reason: 'x' }))
        .statusCode,
    ).toBe(200);
    expect(await member(roomId, carol.userId)).toEqual({ membership: 'ban', reason: 'x' });
    expectError(await post(room(roomId, '/join'), carol.token), 403, 'M_FORBIDDEN');
    // Bans work on users who never joined, including remote ones.
    expect(
      (await post(room(roomId, '/ban'), alice.token, { user_id: '@eve:other.org' })).statusCode,
    ).toBe(200);
    expectError(
      await post(room(roomId, '/unban'), bob.token, { user_id: carol.userId }),
      403,
      'M_FORBIDDEN',
    );
    expect(
      (await post(room(roomId, '/unban'), alice.token, { user_id: carol.userId })).statusCode,
    ).toBe(200);
    expect(await member(roomId, carol.userId)).toEqual({ membership: 'leave' });
    expectError(
      await post(room(roomId, '/unban'), alice.token, { user_id: carol.userId }),
      403,
      'M_FORBIDDEN',
    );
    expect((await post(room(roomId, '/join'), carol.token)).statusCode).toBe(200);
  });

  it('bad targets', async () => {
    for (const action of ['kick', 'ban', 'unban']) {
      expectError(
        await post(room(roomId, `/${action}`), alice.token, { user_id: 'x' }),
        400,
        'M_INVALID_PARAM',
      );
      expectError(await post(room(roomId, `/${action}`), alice.token, {}), 400, 'M_MISSING_PARAM');
      expectError(
        await post(room('!nope:test.local', `/${action}`), alice.token, { user_id: bob.userId }),
        404,
        'M_NOT_FOUND',
      );
    }
  });
});

describe('knock', () => {
  it('knocks on a knock room; refused where the join rule does not allow it', async () => {
    const roomId = await create({
      preset: 'private_chat',
      room_alias_name: 'knocky',
      initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }],
    });
    const r = await post(`/knock/${enc('#knocky:test.local')}`, bob.token, { reason: 'let me in' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ room_id: roomId });
    expect(await member(roomId, bob.userId)).toMatchObject({
      membership: 'knock',
      reason: 'let me in',
    });
    const privateRoom = await create({ preset: 'private_chat' });
    expectError(await post(`/knock/${enc(privateRoom)}`, bob.token), 403, 'M_FORBIDDEN');
    expectError(await post(`/knock/${enc('#none:test.local')}`, bob.token), 404, 'M_NOT_FOUND');
  });
});

/** A token for the point just after the room's latest event. */
const position = async (roomId: string) =>
  `s${
    (await s.ctx.db.get<{ n: number }>(
      'SELECT MAX(stream_ordering) AS n FROM events WHERE room_id = ?',
      roomId,
    ))!.n
  }`;

describe('members and joined_members', () => {
  let roomId: string;
  let beforeJoin: string;
  beforeAll(async () => {
    roomId = await create({ preset: 'private_chat', invite: [carol.userId] });
    await post(room(roomId, '/invite'), alice.token, { user_id: bob.userId });
    beforeJoin = await position(roomId);
    await post(room(roomId, '/join'), bob.token);
  });
  const members = (q = '', token = alice.token) =>
    s.req('GET', `${V3}${room(roomId, `/members${q}`)}`, { token });

  it('lists member events, filtered by membership and not_membership', async () => {
    const all = (await members()).json().chunk as {
      state_key: string;
      type: string;
      content: { membership: string };
    }[];
    expect(all.map((e) => e.state_key).sort()).toEqual(
      [alice.userId, bob.userId, carol.userId].sort(),
    );
    expect(all.every((e) => e.type === 'm.room.member')).toBe(true);
    const joined = (await members('?membership=join')).json().chunk as { state_key: string }[];
    expect(joined.map((e) => e.state_key).sort()).toEqual([alice.userId, bob.userId].sort());
    const notJoined = (await members('?not_membership=join')).json().chunk as {
      state_key: string;
    }[];
    expect(notJoined.map((e) => e.state_key)).toEqual([carol.userId]);
    const then = (await members(`?at=${beforeJoin}`)).json().chunk as {
      state_key: string;
      content: { membership: string };
    }[];
    expect(then.find((e) => e.state_key === bob.userId)!.content.membership).toBe('invite');
    const thenJoined = (await members(`?at=${beforeJoin}&membership=join`)).json().chunk;
    expect(thenJoined.map((e: { state_key: string }) => e.state_key)).toEqual([alice.userId]);
    // A token from before the room existed reads as now.
    expect((await members('?at=s1')).json().chunk).toHaveLength(3);
    expectError(await members('?at=garbage'), 400, 'M_INVALID_PARAM');
    expectError(await members('?membership=party'), 400, 'M_INVALID_PARAM');
  });

  it('joined_members gives names and avatars of joined users', async () => {
    const r = await s.req('GET', `${V3}${room(roomId, '/joined_members')}`, { token: bob.token });
    expect(r.statusCode).toBe(200);
    expect(r.json().joined).toEqual({
      [alice.userId]: { display_name: 'alice' },
      [bob.userId]: { display_name: 'bob', avatar_url: 'mxc://test.local/bob' },
    });
  });

  it('only joined members may read them', async () => {
    expectError(await members('', carol.token), 403, 'M_FORBIDDEN');
    expectError(
      await s.req('GET', `${V3}${room(roomId, '/joined_members')}`, { token: carol.token }),
      403,
      'M_FORBIDDEN',
    );
    expectError(
      await s.req('GET', `${V3}${room('!nope:test.local', '/members')}`, { token: alice.token }),
      404,
      'M_NOT_FOUND',
    );
  });
});

describe('restricted rooms', () => {
  it('members of an allowed room join through a local authoriser; others are refused', async () => {
    const space = await create({ preset: 'private_chat', invite: [bob.userId] });
    await post(room(space, '/join'), bob.token);
    const roomId = await create({
      preset: 'private_chat',
      room_version: '10',
      initial_state: [
        {
          type: 'm.room.join_rules',
          content: {
            join_rule: 'restricted',
            allow: [{ type: 'm.room_membership', room_id: space }],
          },
        },
      ],
    });
    const before = await stateCount(roomId);
    expectError(await post(room(roomId, '/join'), carol.token), 403, 'M_FORBIDDEN');
    expect(await stateCount(roomId)).toBe(before);
    expect((await post(room(roomId, '/join'), bob.token)).statusCode).toBe(200);
    expect(await member(roomId, bob.userId)).toMatchObject({
      membership: 'join',
      join_authorised_via_users_server: alice.userId,
    });
  });
});
