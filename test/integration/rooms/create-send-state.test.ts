import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Creating rooms, sending messages and reading and writing state, as a client sees it. */

const V3 = '/_matrix/client/v3';
let s: TestServer;
let alice: { userId: string; token: string; deviceId: string };
let bob: { userId: string; token: string; deviceId: string };

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('alice');
  bob = await s.register('bob');
});
afterAll(() => s.close());

const create = (body: Record<string, unknown>, token = alice.token) =>
  s.req('POST', `${V3}/createRoom`, { token, body });
const state = async (roomId: string, token = alice.token) => {
  const r = await s.req('GET', `${V3}/rooms/${encodeURIComponent(roomId)}/state`, { token });
  return r.json<
    { type: string; state_key: string; content: Record<string, unknown>; sender: string }[]
  >();
};
const find = (events: { type: string; state_key: string }[], type: string, key = '') =>
  events.find((e) => e.type === type && e.state_key === key) as
    { content: Record<string, unknown> } | undefined;

describe('createRoom', () => {
  it('a public room with alias, name and topic has the state the spec lists', async () => {
    const r = await create({
      preset: 'public_chat',
      room_alias_name: 'pub',
      name: 'Pub',
      topic: 'Drinks',
      visibility: 'public',
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().room_id).toMatch(/^!/);
    const st = await state(r.json().room_id);
    expect(find(st, 'm.room.create')!.content.room_version).toBe('12');
    expect(find(st, 'm.room.member', alice.userId)!.content).toMatchObject({
      membership: 'join',
      displayname: 'alice',
    });
    expect(find(st, 'm.room.join_rules')!.content).toEqual({ join_rule: 'public' });
    expect(find(st, 'm.room.history_visibility')!.content).toEqual({
      history_visibility: 'shared',
    });
    expect(find(st, 'm.room.guest_access')!.content).toEqual({ guest_access: 'forbidden' });
    expect(find(st, 'm.room.canonical_alias')!.content).toEqual({ alias: '#pub:test.local' });
    expect(find(st, 'm.room.name')!.content).toEqual({ name: 'Pub' });
    expect(find(st, 'm.room.topic')!.content.topic).toBe('Drinks');
    const pl = find(st, 'm.room.power_levels')!.content;
    // v12: the creator has infinite power and is not listed; tombstones above state_default.
    expect(pl.users).toEqual({});
    expect((pl.events as Record<string, number>)['m.room.tombstone']).toBe(150);
    expect(pl.invite).toBe(50);
  });

  it('a private chat in v10 invites, lists the creator at 100 and lets members invite', async () => {
    const r = await create({
      preset: 'private_chat',
      room_version: '10',
      invite: [bob.userId],
      is_direct: true,
    });
    const st = await state(r.json().room_id);
    expect(find(st, 'm.room.member', bob.userId)!.content).toEqual({
      membership: 'invite',
      is_direct: true,
    });
    const pl = find(st, 'm.room.power_levels')!.content;
    expect(pl.users).toEqual({ [alice.userId]: 100 });
    expect(pl.invite).toBe(0);
    expect(find(st, 'm.room.join_rules')!.content).toEqual({ join_rule: 'invite' });
  });

  it('bad requests change nothing', async () => {
    expectError(await create({ room_version: '99' }), 400, 'M_UNSUPPORTED_ROOM_VERSION');
    expectError(await create({ room_alias_name: 'pub' }), 400, 'M_ROOM_IN_USE');
    expectError(await create({ room_alias_name: 'has space' }), 400, 'M_INVALID_PARAM');
    expectError(await create({ invite: ['not-a-user'] }), 400, 'M_INVALID_PARAM');
    expectError(await create({ preset: 'party' }), 400, 'M_BAD_JSON');
    expectError(
      await create({ initial_state: [{ type: 'm.room.create', content: {} }] }),
      400,
      'M_BAD_JSON',
    );
    expectError(await s.req('POST', `${V3}/createRoom`, { body: {} }), 401, 'M_MISSING_TOKEN');
    const rooms = (await s.req('GET', `${V3}/joined_rooms`, { token: alice.token })).json()
      .joined_rooms;
    expect(rooms).toHaveLength(2);
  });
});

describe('send and state', () => {
  let roomId: string;
  const path = (p: string) => `${V3}/rooms/${encodeURIComponent(roomId)}${p}`;
  beforeAll(async () => {
    roomId = (await create({ preset: 'public_chat', room_version: '11' })).json().room_id;
  });

  it('a message is sent once per transaction id and device', async () => {
    const body = { msgtype: 'm.text', body: 'hello' };
    const a = await s.req('PUT', path('/send/m.room.message/txn1'), { token: alice.token, body });
    const again = await s.req('PUT', path('/send/m.room.message/txn1'), {
      token: alice.token,
      body,
    });
    expect(a.statusCode).toBe(200);
    expect(again.json().event_id).toBe(a.json().event_id);
    const other = await s.req('PUT', path('/send/m.room.message/txn2'), {
      token: alice.token,
      body,
    });
    expect(other.json().event_id).not.toBe(a.json().event_id);
  });

  it('a transaction id is scoped by its request: the same id in another room is a new event', async () => {
    const other = (await create({ preset: 'public_chat' })).json().room_id as string;
    const body = { msgtype: 'm.text', body: 'same txn' };
    const a = await s.req('PUT', path('/send/m.room.message/shared'), { token: alice.token, body });
    const b = await s.req(
      'PUT',
      `${V3}/rooms/${encodeURIComponent(other)}/send/m.room.message/shared`,
      {
        token: alice.token,
        body,
      },
    );
    expect(b.statusCode).toBe(200);
    expect(b.json().event_id).not.toBe(a.json().event_id);
  });

  it('a redaction sent through /send (v11: redacts in content) takes effect', async () => {
    const msg = await s.req('PUT', path('/send/m.room.message/to-redact'), {
      token: alice.token,
      body: { msgtype: 'm.text', body: 'oops' },
    });
    const id = msg.json().event_id as string;
    const red = await s.req('PUT', path('/send/m.room.redaction/r1'), {
      token: alice.token,
      body: { redacts: id },
    });
    expect(red.statusCode).toBe(200);
    const ev = (
      await s.req('GET', path(`/event/${encodeURIComponent(id)}`), { token: alice.token })
    ).json();
    expect(ev.content).toEqual({});
    expect(ev.unsigned.redacted_because.event_id).toBe(red.json().event_id);
  });

  it('state can be written and read back, as content or as the event', async () => {
    const put = await s.req('PUT', path('/state/m.room.name/'), {
      token: alice.token,
      body: { name: 'Renamed' },
    });
    expect(put.statusCode).toBe(200);
    const same = await s.req('PUT', path('/state/m.room.name'), {
      token: alice.token,
      body: { name: 'Renamed' },
    });
    expect(same.json().event_id).toBe(put.json().event_id);
    expect(
      (await s.req('GET', path('/state/m.room.name/'), { token: alice.token })).json(),
    ).toEqual({ name: 'Renamed' });
    const ev = (
      await s.req('GET', path('/state/m.room.name?format=event'), { token: alice.token })
    ).json();
    expect(ev).toMatchObject({
      event_id: put.json().event_id,
      type: 'm.room.name',
      state_key: '',
      sender: alice.userId,
    });
    expectError(
      await s.req('GET', path('/state/m.room.avatar/'), { token: alice.token }),
      404,
      'M_NOT_FOUND',
    );
  });

  it('a non-member can neither read nor send; after joining, power levels still bind', async () => {
    expectError(await s.req('GET', path('/state'), { token: bob.token }), 403, 'M_FORBIDDEN');
    expectError(
      await s.req('PUT', path('/send/m.room.message/t1'), {
        token: bob.token,
        body: { body: 'x' },
      }),
      403,
      'M_FORBIDDEN',
    );
    const join = await s.req(
      'PUT',
      path(`/state/m.room.member/${encodeURIComponent(bob.userId)}`),
      {
        token: bob.token,
        body: { membership: 'join' },
      },
    );
    expect(join.statusCode).toBe(200);
    expect(
      (
        await s.req('PUT', path('/send/m.room.message/t1'), {
          token: bob.token,
          body: { body: 'hi' },
        })
      ).statusCode,
    ).toBe(200);
    const pl = await s.req('PUT', path('/state/m.room.power_levels/'), {
      token: bob.token,
      body: { users: { [bob.userId]: 100 } },
    });
    expectError(pl, 403, 'M_FORBIDDEN');
    expect(pl.json().error).toMatch(/rule/);
  });

  it('an unknown room is 404; an event over 64 KiB is 413 M_TOO_LARGE; content must be an object', async () => {
    expectError(
      await s.req('PUT', `${V3}/rooms/!nope:test.local/send/m.room.message/x`, {
        token: alice.token,
        body: {},
      }),
      404,
      'M_NOT_FOUND',
    );
    const big = { msgtype: 'm.text', body: 'x'.repeat(70_000) };
    expectError(
      await s.req('PUT', path('/send/m.room.message/big'), { token: alice.token, body: big }),
      413,
      'M_TOO_LARGE',
    );
    expectError(
      await s.req('PUT', path('/send/m.room.message/arr'), { token: alice.token, body: '[1]' }),
      400,
      'M_NOT_JSON',
    );
  });
});
