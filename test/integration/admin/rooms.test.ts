import { beforeAll, describe, expect, test, vi } from 'vitest';
import { useServer, type TestServer } from '../../helpers/server.js';
import {
  createRoom,
  enc,
  expectError,
  join,
  registerAdmin,
  tablesHoldingRoom,
  type Session,
} from './admin-helpers.js';

// The rooms admin API: listing, details, members, state, blocking, deleting and purging.

const V1 = '/_synapse/admin/v1/rooms';
const C = '/_matrix/client/v3';
const get = useServer();
let s: TestServer;
let admin: Session;
let bob: Session;
let carol: Session;
let alpha: string;
let beta: string;
let gamma: string;

async function send(token: string, roomId: string, body: string, txn = `t${Math.random()}`) {
  const res = await s.req('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/${txn}`, {
    token,
    body: { msgtype: 'm.text', body },
  });
  expect(res.statusCode).toBe(200);
  return res.json().event_id as string;
}

beforeAll(async () => {
  s = get();
  admin = await registerAdmin(s, 'root');
  bob = await s.register('bob');
  carol = await s.register('carol');
  alpha = await createRoom(s, bob.token, {
    name: 'Alpha lounge',
    preset: 'public_chat',
    room_alias_name: 'alpha',
    visibility: 'public',
  });
  await join(s, carol.token, alpha);
  beta = await createRoom(s, carol.token, {
    name: 'Beta',
    topic: 'all about beta',
    initial_state: [
      { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
    ],
  });
  gamma = await createRoom(s, bob.token, { preset: 'public_chat', name: 'Gamma' });
});

describe('GET /v1/rooms', () => {
  test('lists rooms in Synapse shape, sorted by name', async () => {
    const res = await s.req('GET', V1, { token: admin.token });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b).toMatchObject({ offset: 0, total_rooms: 3 });
    expect(b.next_batch).toBeUndefined();
    expect(b.rooms.map((r: { name: string }) => r.name)).toEqual(['Alpha lounge', 'Beta', 'Gamma']);
    expect(b.rooms[0]).toEqual({
      room_id: alpha,
      name: 'Alpha lounge',
      canonical_alias: '#alpha:test.local',
      joined_members: 2,
      joined_local_members: 2,
      version: expect.any(String),
      creator: bob.userId,
      encryption: null,
      federatable: true,
      public: true,
      join_rules: 'public',
      guest_access: expect.anything(),
      history_visibility: 'shared',
      state_events: expect.any(Number),
      room_type: null,
    });
    expect(b.rooms[1]).toMatchObject({
      encryption: 'm.megolm.v1.aes-sha2',
      public: false,
      join_rules: 'invite',
    });
  });

  test('pages with next_batch and prev_batch, orders and searches', async () => {
    const p1 = (await s.req('GET', `${V1}?limit=2`, { token: admin.token })).json();
    expect(p1.rooms).toHaveLength(2);
    expect(p1.next_batch).toBe(2);
    const p2 = (await s.req('GET', `${V1}?limit=2&from=2`, { token: admin.token })).json();
    expect(p2).toMatchObject({ offset: 2, prev_batch: 0, total_rooms: 3 });
    expect(p2.rooms.map((r: { room_id: string }) => r.room_id)).toEqual([gamma]);
    const big = (
      await s.req('GET', `${V1}?order_by=joined_members&dir=b`, { token: admin.token })
    ).json();
    expect(big.rooms[0].room_id).toBe(alpha);
    const found = (await s.req('GET', `${V1}?search_term=LOUNGE`, { token: admin.token })).json();
    expect(found.rooms.map((r: { room_id: string }) => r.room_id)).toEqual([alpha]);
    expect(found.total_rooms).toBe(1);
    const byAlias = (
      await s.req('GET', `${V1}?search_term=%23alpha`, { token: admin.token })
    ).json();
    expect(byAlias.total_rooms).toBe(1);
    for (const q of ['order_by=colour', 'dir=x', 'limit=-3']) {
      expectError(await s.req('GET', `${V1}?${q}`, { token: admin.token }), 400, 'M_INVALID_PARAM');
    }
    expectError(await s.req('GET', V1, { token: bob.token }), 403, 'M_FORBIDDEN');
  });
});

describe('room details, members, state', () => {
  test('details add topic, avatar and forgotten', async () => {
    const res = await s.req('GET', `${V1}/${enc(beta)}`, { token: admin.token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      room_id: beta,
      name: 'Beta',
      topic: 'all about beta',
      avatar: null,
      forgotten: false,
      joined_members: 1,
    });
    expectError(
      await s.req('GET', `${V1}/${enc('!nope:test.local')}`, { token: admin.token }),
      404,
      'M_NOT_FOUND',
    );
    expectError(
      await s.req('GET', `${V1}/${enc('#alias:test.local')}`, { token: admin.token }),
      400,
      'M_INVALID_PARAM',
    );
    expectError(
      await s.req('GET', `${V1}/${enc(beta)}`, { token: carol.token }),
      403,
      'M_FORBIDDEN',
    );
  });

  test('members and state', async () => {
    const m = (await s.req('GET', `${V1}/${enc(alpha)}/members`, { token: admin.token })).json();
    expect(m).toEqual({ members: [bob.userId, carol.userId].sort(), total: 2 });
    const st = (await s.req('GET', `${V1}/${enc(beta)}/state`, { token: admin.token })).json();
    const types = st.state.map((e: { type: string }) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'm.room.create',
        'm.room.member',
        'm.room.topic',
        'm.room.encryption',
      ]),
    );
    expect(st.state[0]).toMatchObject({
      event_id: expect.any(String),
      room_id: beta,
      sender: expect.any(String),
    });
    expectError(
      await s.req('GET', `${V1}/${enc('!nope:test.local')}/members`, { token: admin.token }),
      404,
      'M_NOT_FOUND',
    );
    expectError(
      await s.req('GET', `${V1}/${enc('!nope:test.local')}/state`, { token: admin.token }),
      404,
      'M_NOT_FOUND',
    );
  });
});

describe('blocking', () => {
  test('a blocked room refuses joins and invites of local users, until unblocked', async () => {
    const url = `${V1}/${enc(gamma)}/block`;
    expect((await s.req('GET', url, { token: admin.token })).json()).toEqual({ block: false });
    const put = await s.req('PUT', url, { token: admin.token, body: { block: true } });
    expect([put.statusCode, put.json()]).toEqual([200, { block: true }]);
    expect((await s.req('GET', url, { token: admin.token })).json()).toEqual({
      block: true,
      user_id: admin.userId,
    });
    expectError(await join(s, carol.token, gamma), 403, 'M_FORBIDDEN');
    const invite = await s.req('POST', `${C}/rooms/${enc(gamma)}/invite`, {
      token: bob.token,
      body: { user_id: carol.userId },
    });
    expectError(invite, 403, 'M_FORBIDDEN');
    const members = (
      await s.req('GET', `${V1}/${enc(gamma)}/members`, { token: admin.token })
    ).json();
    expect(members.members).toEqual([bob.userId]);

    await s.req('PUT', url, { token: admin.token, body: { block: false } });
    expect((await join(s, carol.token, gamma)).statusCode).toBe(200);
  });

  test('bad input and non-admins change nothing; unknown rooms may be blocked ahead', async () => {
    const url = `${V1}/${enc(gamma)}/block`;
    expectError(
      await s.req('PUT', url, { token: bob.token, body: { block: true } }),
      403,
      'M_FORBIDDEN',
    );
    expectError(
      await s.req('PUT', url, { token: admin.token, body: { block: 'yes' } }),
      400,
      'M_BAD_JSON',
    );
    expect((await s.req('GET', url, { token: admin.token })).json()).toEqual({ block: false });
    const ahead = `${V1}/${enc('!future:elsewhere.org')}/block`;
    expect(
      (await s.req('PUT', ahead, { token: admin.token, body: { block: true } })).statusCode,
    ).toBe(200);
    expect((await s.req('GET', ahead, { token: admin.token })).json().block).toBe(true);
    expectError(
      await s.req('GET', `${V1}/not-a-room/block`, { token: admin.token }),
      400,
      'M_INVALID_PARAM',
    );
  });
});

describe('deleting rooms', () => {
  test('v1 delete with purge kicks local members and leaves no row of the room in any table', async () => {
    const roomId = await createRoom(s, bob.token, {
      name: 'Doomed',
      preset: 'public_chat',
      room_alias_name: 'doomed',
      visibility: 'public',
    });
    await join(s, carol.token, roomId);
    const first = await send(bob.token, roomId, 'hello doomed world');
    await send(carol.token, roomId, `@bob:test.local look`);
    // a reaction (relations), a receipt, room account data (tags), a report, a key backup
    await s.req('PUT', `${C}/rooms/${enc(roomId)}/send/m.reaction/r1`, {
      token: carol.token,
      body: { 'm.relates_to': { rel_type: 'm.annotation', event_id: first, key: '👍' } },
    });
    await s.req('POST', `${C}/rooms/${enc(roomId)}/receipt/m.read/${enc(first)}`, {
      token: carol.token,
      body: {},
    });
    await s.req('PUT', `${C}/user/${enc(carol.userId)}/rooms/${enc(roomId)}/tags/u.work`, {
      token: carol.token,
      body: { order: 0.5 },
    });
    await s.req('POST', `${C}/rooms/${enc(roomId)}/report/${enc(first)}`, {
      token: carol.token,
      body: { reason: 'spam' },
    });
    const backup = await s.req('POST', `${C}/room_keys/version`, {
      token: carol.token,
      body: {
        algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2',
        auth_data: { public_key: 'abc' },
      },
    });
    expect(backup.statusCode, backup.body).toBe(200);
    const keys = await s.req(
      'PUT',
      `${C}/room_keys/keys/${enc(roomId)}/sess1?version=${backup.json().version}`,
      {
        token: carol.token,
        body: {
          first_message_index: 0,
          forwarded_count: 0,
          is_verified: false,
          session_data: { ephemeral: 'e', ciphertext: 'c', mac: 'm' },
        },
      },
    );
    expect(keys.statusCode, keys.body).toBe(200);
    expect(await tablesHoldingRoom(s, roomId)).toEqual(
      expect.arrayContaining([
        'events',
        'current_state',
        'state_groups',
        'room_aliases',
        'receipts',
        'account_data',
        'event_relations',
        'event_reports',
        'key_backup_sessions',
        'event_push_actions',
      ]),
    );
    // First without purge (the leaves are the newest events), then the purge.
    const res = await s.req('DELETE', `${V1}/${enc(roomId)}`, {
      token: admin.token,
      body: { purge: false },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      kicked_users: expect.arrayContaining([bob.userId, carol.userId]),
      failed_to_kick_users: [],
      local_aliases: ['#doomed:test.local'],
      new_room_id: null,
    });
    const since = (await s.req('GET', `${C}/sync?timeout=0`, { token: bob.token })).json()
      .next_batch;
    const purged = await s.req('DELETE', `${V1}/${enc(roomId)}`, { token: admin.token, body: {} });
    expect(purged.json()).toEqual({
      kicked_users: [],
      failed_to_kick_users: [],
      local_aliases: [],
      new_room_id: null,
    });
    expect(await tablesHoldingRoom(s, roomId)).toEqual([]);
    const search = await s.req('POST', `${C}/search`, {
      token: bob.token,
      body: { search_categories: { room_events: { search_term: 'doomed' } } },
    });
    expect(search.json().search_categories.room_events.count ?? 0).toBe(0);
    expectError(
      await s.req('GET', `${V1}/${enc(roomId)}`, { token: admin.token }),
      404,
      'M_NOT_FOUND',
    );
    expect(
      (await s.req('GET', `${C}/directory/room/${enc('#doomed:test.local')}`)).statusCode,
    ).toBe(404);

    // The server goes on: a new event after the purge reaches a client synced before it.
    const eventId = await send(bob.token, alpha, 'after the purge');
    const next = (
      await s.req('GET', `${C}/sync?timeout=0&since=${enc(since)}`, { token: bob.token })
    ).json();
    const timeline = next.rooms?.join?.[alpha]?.timeline?.events ?? [];
    expect(timeline.map((e: { event_id: string }) => e.event_id)).toContain(eventId);
  });

  test('delete without purge and with a new room: members moved, room kept, aliases gone', async () => {
    const roomId = await createRoom(s, bob.token, {
      preset: 'public_chat',
      room_alias_name: 'moving',
    });
    await join(s, carol.token, roomId);
    const res = await s.req('DELETE', `${V1}/${enc(roomId)}`, {
      token: admin.token,
      body: { purge: false, block: true, new_room_user_id: admin.userId, message: 'Moved, sorry' },
    });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b.kicked_users.sort()).toEqual([bob.userId, carol.userId].sort());
    expect(b.local_aliases).toEqual(['#moving:test.local']);
    expect(b.new_room_id).toMatch(/^!/);
    const details = (await s.req('GET', `${V1}/${enc(roomId)}`, { token: admin.token })).json();
    expect(details).toMatchObject({ joined_members: 0, forgotten: true, blocked: true });
    const moved = (
      await s.req('GET', `${V1}/${enc(b.new_room_id)}/members`, { token: admin.token })
    ).json();
    expect(moved.members.sort()).toEqual([admin.userId, bob.userId, carol.userId].sort());
    const msgs = (
      await s.req('GET', `${C}/rooms/${enc(b.new_room_id)}/messages?dir=b&limit=20`, {
        token: carol.token,
      })
    ).json();
    expect(msgs.chunk.map((e: { content: { body?: string } }) => e.content.body)).toContain(
      'Moved, sorry',
    );
    // blocked: nobody comes back
    expectError(await join(s, carol.token, roomId), 403, 'M_FORBIDDEN');
  });

  test('bad requests change nothing', async () => {
    expectError(
      await s.req('DELETE', `${V1}/${enc(alpha)}`, { token: bob.token, body: {} }),
      403,
      'M_FORBIDDEN',
    );
    expectError(
      await s.req('DELETE', `${V1}/${enc(alpha)}`, {
        token: admin.token,
        body: { new_room_user_id: '@nobody:test.local' },
      }),
      400,
      'M_INVALID_PARAM',
    );
    expectError(
      await s.req('DELETE', `${V1}/${enc(alpha)}`, { token: admin.token, body: { purge: 'yes' } }),
      400,
      'M_BAD_JSON',
    );
    expectError(
      await s.req('DELETE', `${V1}/${enc('!nope:test.local')}`, { token: admin.token, body: {} }),
      404,
      'M_NOT_FOUND',
    );
    const members = (
      await s.req('GET', `${V1}/${enc(alpha)}/members`, { token: admin.token })
    ).json();
    expect(members.total).toBe(2);
  });

  test('v2 deletes in the background; its status is followed by delete id and by room', async () => {
    const roomId = await createRoom(s, carol.token, { name: 'Async doomed' });
    await send(carol.token, roomId, 'bye');
    const res = await s.req('DELETE', `/_synapse/admin/v2/rooms/${enc(roomId)}`, {
      token: admin.token,
      body: { block: false, purge: true },
    });
    expect(res.statusCode).toBe(200);
    const deleteId = res.json().delete_id as string;
    expect(deleteId).toEqual(expect.any(String));
    await vi.waitFor(async () => {
      const st = await s.req('GET', `/_synapse/admin/v2/rooms/delete_status/${deleteId}`, {
        token: admin.token,
      });
      expect(st.json()).toMatchObject({
        status: 'complete',
        shutdown_room: {
          kicked_users: [carol.userId],
          failed_to_kick_users: [],
          new_room_id: null,
        },
      });
    });
    const byRoom = (
      await s.req('GET', `/_synapse/admin/v2/rooms/${enc(roomId)}/delete_status`, {
        token: admin.token,
      })
    ).json();
    expect(byRoom.results).toEqual([
      expect.objectContaining({ delete_id: deleteId, status: 'complete' }),
    ]);
    expect(await tablesHoldingRoom(s, roomId)).toEqual([]);
    expectError(
      await s.req('GET', `/_synapse/admin/v2/rooms/delete_status/nope`, { token: admin.token }),
      404,
      'M_NOT_FOUND',
    );
    expectError(
      await s.req('GET', `/_synapse/admin/v2/rooms/${enc(alpha)}/delete_status`, {
        token: admin.token,
      }),
      404,
      'M_NOT_FOUND',
    );
    expectError(
      await s.req('DELETE', `/_synapse/admin/v2/rooms/${enc('!nope:test.local')}`, {
        token: admin.token,
        body: {},
      }),
      404,
      'M_NOT_FOUND',
    );
  });
});
