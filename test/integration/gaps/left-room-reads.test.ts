import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { useServer } from '../../helpers/server.js';
import { createRoom, e, join, send, V3, type User } from './gaps-helpers.js';

/**
 * A user who has left a room (or was kicked or banned) still reads it as it was when they
 * left: GET /members (spec: "the members at the time the user left"), /state and
 * /state/{type}/{key} (403 only for who "weren't previously a member"), and /messages up
 * to their departure. Later changes stay hidden; someone who never joined gets 403.
 */

const server = useServer({ rc_joins: { local: { per_second: 1000, burst_count: 1000 } } });
let alice: User, bob: User, carol: User, dave: User, eve: User, mallory: User;
let roomId: string;
let before: string;
let after: string;
/** A /messages token from after every event, taken by alice. */
let latest: string;

const get = (u: User, path: string) =>
  server().req('GET', `${V3}/rooms/${e(roomId)}${path}`, { token: u.token });
const topic = (text: string) =>
  server().req('PUT', `${V3}/rooms/${e(roomId)}/state/m.room.topic/`, {
    token: alice.token,
    body: { topic: text },
  });
const membersOf = (chunk: { state_key: string; content: { membership: string } }[]) =>
  Object.fromEntries(chunk.map((ev) => [ev.state_key, ev.content.membership]));

beforeAll(async () => {
  const s = server();
  [alice, bob, carol, dave, eve, mallory] = (await Promise.all(
    ['alice', 'bob', 'carol', 'dave', 'eve', 'mallory'].map((n) => s.register(n)),
  )) as [User, User, User, User, User, User];
  roomId = await createRoom(s, alice);
  await join(s, bob, roomId);
  await join(s, mallory, roomId);
  expect((await topic('old topic')).statusCode).toBe(200);
  before = await send(s, alice, roomId, { msgtype: 'm.text', body: 'before' });
  const invite = await s.req('POST', `${V3}/rooms/${e(roomId)}/invite`, {
    token: alice.token,
    body: { user_id: eve.userId },
  });
  expect(invite.statusCode).toBe(200);
  expect(
    (await s.req('POST', `${V3}/rooms/${e(roomId)}/leave`, { token: bob.token, body: {} }))
      .statusCode,
  ).toBe(200);
  expect(
    (await s.req('POST', `${V3}/rooms/${e(roomId)}/leave`, { token: eve.token, body: {} }))
      .statusCode,
  ).toBe(200);
  const ban = await s.req('POST', `${V3}/rooms/${e(roomId)}/ban`, {
    token: alice.token,
    body: { user_id: mallory.userId },
  });
  expect(ban.statusCode).toBe(200);
  expect((await topic('new topic')).statusCode).toBe(200);
  await join(s, carol, roomId);
  after = await send(s, alice, roomId, { msgtype: 'm.text', body: 'after' });
  latest = (await get(alice, '/messages?dir=b&limit=1')).json().start;
});

describe('reading a room one has left', () => {
  it('GET /members: the members when the user left, even `at` a later token', async () => {
    for (const path of ['/members', `/members?at=${e(latest)}`]) {
      const r = await get(bob, path);
      expect(r.statusCode).toBe(200);
      expect(membersOf(r.json().chunk)).toEqual({
        [alice.userId]: 'join',
        [bob.userId]: 'leave',
        [mallory.userId]: 'join',
        [eve.userId]: 'invite',
      });
    }
    // The membership filter applies as for members.
    const joined = (await get(bob, '/members?membership=join')).json().chunk;
    expect(Object.keys(membersOf(joined)).sort()).toEqual([alice.userId, mallory.userId].sort());
    // Members still see the current list.
    expect(membersOf((await get(alice, '/members')).json().chunk)[carol.userId]).toBe('join');
  });

  it('GET /state and /state/{type}/{key}: the state when the user left', async () => {
    const r = await get(bob, '/state');
    expect(r.statusCode).toBe(200);
    const state = r.json() as { type: string; state_key: string; content: { topic?: string } }[];
    expect(state.find((ev) => ev.type === 'm.room.topic')!.content.topic).toBe('old topic');
    expect(state.some((ev) => ev.state_key === carol.userId)).toBe(false);
    expect((await get(bob, '/state/m.room.topic/')).json()).toEqual({ topic: 'old topic' });
    expect((await get(bob, `/state/m.room.member/${e(bob.userId)}`)).json().membership).toBe(
      'leave',
    );
    expectError(await get(bob, `/state/m.room.member/${e(carol.userId)}`), 404, 'M_NOT_FOUND');
    expect((await get(alice, '/state/m.room.topic/')).json()).toEqual({ topic: 'new topic' });
  });

  it('a banned former member reads the room as it was at the ban', async () => {
    expect((await get(mallory, '/state/m.room.topic/')).json()).toEqual({ topic: 'old topic' });
    const members = membersOf((await get(mallory, '/members')).json().chunk);
    expect(members[mallory.userId]).toBe('ban');
    expect(members[carol.userId]).toBeUndefined();
  });

  it('GET /messages: history up to the leave, nothing after', async () => {
    const r = await get(bob, '/messages?dir=b&limit=50');
    expect(r.statusCode).toBe(200);
    const ids = (r.json().chunk as { event_id: string }[]).map((ev) => ev.event_id);
    expect(ids).toContain(before);
    expect(ids).not.toContain(after);
  });

  it('who never joined (a stranger, a rejected invite) still gets 403', async () => {
    for (const u of [dave, eve]) {
      for (const path of ['/members', '/state', '/state/m.room.topic/']) {
        expectError(await get(u, path), 403, 'M_FORBIDDEN');
      }
    }
    expectError(await get(dave, '/messages?dir=b'), 403, 'M_FORBIDDEN');
    // joined_members stays for members only (as Synapse).
    expectError(await get(bob, '/joined_members'), 403, 'M_FORBIDDEN');
  });

  it('a former member who forgot the room gets 403 (as Synapse)', async () => {
    const forget = await server().req('POST', `${V3}/rooms/${e(roomId)}/forget`, {
      token: mallory.token,
      body: {},
    });
    expect(forget.statusCode).toBe(200);
    for (const path of ['/members', '/state', '/state/m.room.topic/']) {
      expectError(await get(mallory, path), 403, 'M_FORBIDDEN');
    }
    expect((await get(bob, '/state/m.room.topic/')).statusCode).toBe(200);
  });
});
