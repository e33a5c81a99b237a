import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** POST /rooms/{roomId}/upgrade, as the spec's "Room Upgrades" server behaviour has it. */

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
type User = { userId: string; token: string };
let s: TestServer;
let alice: User;
let bob: User;
let carol: User;

const create = async (body: Record<string, unknown>, token = alice.token) => {
  const r = await s.req('POST', `${V3}/createRoom`, { token, body });
  expect(r.statusCode).toBe(200);
  return r.json().room_id as string;
};
const upgrade = (roomId: string, body: Record<string, unknown>, token = alice.token) =>
  s.req('POST', `${V3}/rooms/${enc(roomId)}/upgrade`, { token, body });
const state = async (roomId: string, type: string, key = '', token = alice.token) => {
  const r = await s.req('GET', `${V3}/rooms/${enc(roomId)}/state/${type}/${enc(key)}`, {
    token,
  });
  return r.statusCode === 200 ? r.json() : undefined;
};
const createEvent = async (roomId: string) =>
  (
    await s.req('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.create/?format=event`, {
      token: alice.token,
    })
  ).json();
const join = (roomId: string, token: string) =>
  s.req('POST', `${V3}/rooms/${enc(roomId)}/join`, { token, body: {} });
const putState = (roomId: string, type: string, content: unknown, key = '', token = alice.token) =>
  s.req('PUT', `${V3}/rooms/${enc(roomId)}/state/${type}/${enc(key)}`, { token, body: content });
const say = (roomId: string, txn: string, token: string) =>
  s.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/${txn}`, {
    token,
    body: { msgtype: 'm.text', body: txn },
  });

beforeAll(async () => {
  s = await createTestServer({
    rc_room_creation: { per_second: 1000, burst_count: 1000 },
    rc_joins: { local: { per_second: 1000, burst_count: 1000 } },
  });
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
});
afterAll(() => s.close());

describe('upgrading a room', () => {
  let oldRoom: string;
  let newRoom: string;
  let lastOldEvent: string;
  const acl = { allow: ['*'], deny: ['evil.example'], allow_ip_literals: false };

  beforeAll(async () => {
    oldRoom = await create({
      preset: 'public_chat',
      room_version: '10',
      room_alias_name: 'old',
      visibility: 'public',
      name: 'Old room',
      topic: 'things',
      initial_state: [
        { type: 'm.room.avatar', content: { url: 'mxc://test.local/a' } },
        { type: 'm.room.server_acl', content: acl },
        {
          type: 'm.space.parent',
          state_key: '!space:test.local',
          content: { via: ['test.local'] },
        },
        { type: 'org.example.custom', content: { not: 'copied' } },
      ],
    });
    expect(
      (
        await s.req('PUT', `${V3}/directory/room/${enc('#old-alt:test.local')}`, {
          token: alice.token,
          body: { room_id: oldRoom },
        })
      ).statusCode,
    ).toBe(200);
    await putState(oldRoom, 'm.room.canonical_alias', {
      alias: '#old:test.local',
      alt_aliases: ['#old-alt:test.local', '#far:elsewhere.example'],
    });
    expect((await join(oldRoom, bob.token)).statusCode).toBe(200);
    expect((await join(oldRoom, carol.token)).statusCode).toBe(200);
    const ban = await s.req('POST', `${V3}/rooms/${enc(oldRoom)}/ban`, {
      token: alice.token,
      body: { user_id: carol.userId, reason: 'spam' },
    });
    expect(ban.statusCode).toBe(200);
    const last = await say(oldRoom, 'last', alice.token);
    lastOldEvent = last.json().event_id;

    const r = await upgrade(oldRoom, { new_version: '11' });
    expect(r.statusCode).toBe(200);
    newRoom = r.json().replacement_room;
    expect(newRoom).toMatch(/^!.+:test\.local$/);
  });

  it('the new room is of the new version and names its predecessor', async () => {
    const ev = await createEvent(newRoom);
    expect(ev.sender).toBe(alice.userId);
    expect(ev.content).toEqual({
      room_version: '11',
      predecessor: { room_id: oldRoom, event_id: lastOldEvent },
    });
  });

  it('the old room gets a tombstone pointing at the new one', async () => {
    expect(await state(oldRoom, 'm.room.tombstone')).toEqual({
      body: expect.any(String),
      replacement_room: newRoom,
    });
  });

  it('transferable state is copied; members and unknown types are not', async () => {
    for (const [type, key] of [
      ['m.room.name', ''],
      ['m.room.topic', ''],
      ['m.room.avatar', ''],
      ['m.room.join_rules', ''],
      ['m.room.history_visibility', ''],
      ['m.room.guest_access', ''],
      ['m.room.server_acl', ''],
      ['m.space.parent', '!space:test.local'],
    ] as const) {
      expect({ type, content: await state(newRoom, type, key) }).toEqual({
        type,
        content: await state(oldRoom, type, key),
      });
    }
    expect(await state(newRoom, 'org.example.custom')).toBeUndefined();
    expect(await state(newRoom, 'm.room.member', bob.userId)).toBeUndefined();
  });

  it('bans are carried over, with their reason', async () => {
    expect(await state(newRoom, 'm.room.member', carol.userId)).toEqual({
      membership: 'ban',
      reason: 'spam',
    });
    expectError(await join(newRoom, carol.token), 403, 'M_FORBIDDEN');
  });

  it('the power levels are copied', async () => {
    const oldPl = await state(oldRoom, 'm.room.power_levels');
    const newPl = await state(newRoom, 'm.room.power_levels');
    expect(newPl).toEqual({ ...oldPl, events_default: 0, invite: 50 });
    expect(newPl.users).toEqual({ [alice.userId]: 100 });
  });

  it('local aliases move; the canonical alias is split between the rooms', async () => {
    for (const alias of ['#old:test.local', '#old-alt:test.local']) {
      const r = await s.req('GET', `${V3}/directory/room/${enc(alias)}`);
      expect(r.json().room_id).toBe(newRoom);
    }
    expect(await state(newRoom, 'm.room.canonical_alias')).toEqual({
      alias: '#old:test.local',
      alt_aliases: ['#old-alt:test.local'],
    });
    expect(await state(oldRoom, 'm.room.canonical_alias')).toEqual({
      alt_aliases: ['#far:elsewhere.example'],
    });
  });

  it('the directory listing moves to the new room', async () => {
    const vis = async (roomId: string) =>
      (await s.req('GET', `${V3}/directory/list/room/${enc(roomId)}`)).json().visibility;
    expect(await vis(newRoom)).toBe('public');
    expect(await vis(oldRoom)).toBe('private');
  });

  it('the old room is restricted: ordinary members can no longer speak or invite', async () => {
    const pl = await state(oldRoom, 'm.room.power_levels');
    expect(pl.events_default).toBe(50);
    expect(pl.invite).toBe(50);
    expectError(await say(oldRoom, 'after', bob.token), 403, 'M_FORBIDDEN');
  });

  it('members of the old room can join the new one and talk there', async () => {
    expect((await join(newRoom, bob.token)).statusCode).toBe(200);
    expect((await say(newRoom, 'hi-new', bob.token)).statusCode).toBe(200);
  });
});

describe('who may upgrade, and bad requests', () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await create({ preset: 'public_chat', room_version: '10' });
    await join(roomId, bob.token);
  });

  it('403 for a member without power to send m.room.tombstone, and nothing changes', async () => {
    expectError(await upgrade(roomId, { new_version: '11' }, bob.token), 403, 'M_FORBIDDEN');
    expect(await state(roomId, 'm.room.tombstone')).toBeUndefined();
  });

  it('403 for a user not in the room', async () => {
    expectError(await upgrade(roomId, { new_version: '11' }, carol.token), 403, 'M_FORBIDDEN');
  });

  it('400 M_UNSUPPORTED_ROOM_VERSION for a version the server lacks', async () => {
    expectError(await upgrade(roomId, { new_version: '999' }), 400, 'M_UNSUPPORTED_ROOM_VERSION');
    expect(await state(roomId, 'm.room.tombstone')).toBeUndefined();
  });

  it('400 for a missing or ill-typed new_version or additional_creators', async () => {
    expectError(await upgrade(roomId, {}), 400, 'M_MISSING_PARAM');
    expectError(await upgrade(roomId, { new_version: 11 }), 400, 'M_BAD_JSON');
    expectError(
      await upgrade(roomId, { new_version: '12', additional_creators: ['not-a-user'] }),
      400,
      'M_INVALID_PARAM',
    );
    expect(await state(roomId, 'm.room.tombstone')).toBeUndefined();
  });

  it('404 for an unknown room', async () => {
    expectError(await upgrade('!nope:test.local', { new_version: '11' }), 404, 'M_NOT_FOUND');
  });
});

describe('a moderator who may tombstone but not set every state', () => {
  it('is raised while the state is copied, then the real levels are restored', async () => {
    const roomId = await create({
      preset: 'public_chat',
      room_version: '10',
      power_level_content_override: {
        users: { [alice.userId]: 100, [bob.userId]: 50 },
        events: { 'm.room.tombstone': 50, 'm.room.power_levels': 100, 'm.room.server_acl': 100 },
      },
      initial_state: [{ type: 'm.room.server_acl', content: { allow: ['*'] } }],
    });
    await join(roomId, bob.token);
    const r = await upgrade(roomId, { new_version: '11' }, bob.token);
    expect(r.statusCode).toBe(200);
    const newRoom = r.json().replacement_room;
    const pl = await state(newRoom, 'm.room.power_levels', '', bob.token);
    expect(pl.users).toEqual({ [alice.userId]: 100, [bob.userId]: 50 });
    expect(await state(newRoom, 'm.room.server_acl', '', bob.token)).toEqual({ allow: ['*'] });
    // Bob may not change the old room's power levels: it keeps them, and the upgrade stands.
    expect((await state(roomId, 'm.room.power_levels')).events_default).toBe(0);
    expect((await state(roomId, 'm.room.tombstone')).replacement_room).toBe(newRoom);
  });
});

describe('upgrading to v12 (creators in the create event)', () => {
  it('the upgrader and additional_creators are creators, absent from the power levels', async () => {
    const roomId = await create({ preset: 'public_chat', room_version: '11' });
    const r = await upgrade(roomId, { new_version: '12', additional_creators: [bob.userId] });
    expect(r.statusCode).toBe(200);
    const newRoom = r.json().replacement_room;
    const ev = await createEvent(newRoom);
    // v12 leaves the predecessor's event_id out (the room id is the create event's hash).
    expect(ev.content).toEqual({
      room_version: '12',
      predecessor: { room_id: roomId },
      additional_creators: [bob.userId],
    });
    const pl = await state(newRoom, 'm.room.power_levels');
    expect(pl.users).toEqual({});
    expect(pl.events['m.room.tombstone']).toBe(150);
  });

  it('additional_creators is ignored for versions without them', async () => {
    const roomId = await create({ preset: 'public_chat', room_version: '10' });
    const r = await upgrade(roomId, { new_version: '11', additional_creators: [bob.userId] });
    expect(r.statusCode).toBe(200);
    expect((await createEvent(r.json().replacement_room)).content.additional_creators).toBe(
      undefined,
    );
  });

  it('the room type carries over', async () => {
    const roomId = await create({
      preset: 'public_chat',
      room_version: '11',
      creation_content: { type: 'm.space' },
    });
    const r = await upgrade(roomId, { new_version: '12' });
    expect((await createEvent(r.json().replacement_room)).content.type).toBe('m.space');
  });
});

describe('repeated upgrades', () => {
  it('concurrent and repeated requests of one user make one replacement room', async () => {
    const roomId = await create({ preset: 'public_chat', room_version: '10' });
    const [a, b] = await Promise.all([
      upgrade(roomId, { new_version: '11' }),
      upgrade(roomId, { new_version: '11' }),
    ]);
    expect(a.statusCode).toBe(200);
    expect(b.json().replacement_room).toBe(a.json().replacement_room);
    const again = await upgrade(roomId, { new_version: '11' });
    expect(again.json().replacement_room).toBe(a.json().replacement_room);
  });
});
