import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildLocalEvent, type EventRef } from '../../../server/events/build.js';
import type { Pdu } from '../../../server/events/event-format.js';
import { roomVersion } from '../../../server/events/room-versions.js';
import * as store from '../../../server/events/store.js';
import {
  BadJoinAnswerError,
  checkJoinAnswer,
} from '../../../server/federation/joins/check-join-answer.js';
import type { FederationSender } from '../../../server/federation/sender/sender.js';
import {
  startFederatedServer,
  startTestSender,
  until,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';
import { restrictedTo } from './reads-helpers.js';

/**
 * Joins over federation between two real Hearths on loopback (a.test and b.test): a user
 * of B joins rooms of A by alias and by id (make_join, send_join, the answer checked and
 * stored on B), both sides see it, messages then flow; and the refusals: bans, invite-only
 * rooms, unknown rooms, room versions, server ACLs, and send_join / make_join requests that
 * must change nothing.
 */

const ports = new Map<string, number>();
const NO_LIMIT = { per_second: 1000, burst_count: 1000 };
let a: FederatedTestServer;
let b: FederatedTestServer;
const senders: FederationSender[] = [];
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };

beforeAll(async () => {
  // Tests join and create rooms often: those rate limits stay out of the way.
  const config = {
    rc_joins: { local: NO_LIMIT, remote: NO_LIMIT },
    rc_joins_per_room: NO_LIMIT,
    rc_room_creation: NO_LIMIT,
  };
  a = await startFederatedServer('a.test', ports, { config });
  b = await startFederatedServer('b.test', ports, { config });
  for (const s of [a, b]) senders.push(await startTestSender(s.ctx));
  alice = await a.register('alice');
  bob = await b.register('bob');
});

afterAll(async () => {
  for (const s of senders) await s.stop();
  await b?.close();
  await a?.close();
});

async function createRoom(body: Record<string, unknown>): Promise<string> {
  const res = await a.req('POST', '/_matrix/client/v3/createRoom', { token: alice.token, body });
  expect(res.statusCode).toBe(200);
  return res.json().room_id as string;
}

async function joinedMembers(s: FederatedTestServer, token: string, roomId: string) {
  const res = await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/joined_members`, { token });
  expect(res.statusCode).toBe(200);
  return Object.keys(res.json().joined as Record<string, unknown>).sort();
}

async function messages(s: FederatedTestServer, token: string, roomId: string) {
  const res = await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/messages?dir=b&limit=50`, {
    token,
  });
  expect(res.statusCode).toBe(200);
  return res.json().chunk as { event_id: string; type: string; content: { body?: string } }[];
}

describe('a user of B joins a room of A', () => {
  let roomId: string;

  beforeAll(async () => {
    roomId = await createRoom({
      preset: 'public_chat',
      room_alias_name: 'lobby',
      name: 'The lobby',
      topic: 'all welcome',
    });
  });

  test('by alias: the join shows on both servers, with the room state on B', async () => {
    const res = await b.req('POST', '/_matrix/client/v3/join/%23lobby:a.test', {
      token: bob.token,
      body: {},
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().room_id).toBe(roomId);

    expect(await joinedMembers(a, alice.token, roomId)).toEqual([alice.userId, bob.userId]);
    expect(await joinedMembers(b, bob.token, roomId)).toEqual([alice.userId, bob.userId]);

    const sync = (await b.req('GET', '/_matrix/client/v3/sync', { token: bob.token })).json();
    const room = sync.rooms.join[roomId];
    expect(room).toBeDefined();
    const stateTypes = (room.state.events as { type: string }[]).map((e) => e.type);
    expect(stateTypes).toEqual(
      expect.arrayContaining([
        'm.room.create',
        'm.room.name',
        'm.room.topic',
        'm.room.power_levels',
      ]),
    );
    const timeline = room.timeline.events as { type: string; state_key?: string }[];
    expect(timeline.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId });
    const name = await b.req('GET', `/_matrix/client/v3/rooms/${roomId}/state/m.room.name`, {
      token: bob.token,
    });
    expect(name.json()).toEqual({ name: 'The lobby' });

    // Joining again changes nothing.
    const again = await b.req('POST', `/_matrix/client/v3/rooms/${roomId}/join`, {
      token: bob.token,
      body: {},
    });
    expect(again.statusCode).toBe(200);
  });

  test('messages flow both ways after the join', async () => {
    const fromB = await b.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/b1`, {
      token: bob.token,
      body: { msgtype: 'm.text', body: 'hello from B' },
    });
    expect(fromB.statusCode, fromB.body).toBe(200);
    const onA = await until(async () =>
      (await messages(a, alice.token, roomId)).find((e) => e.content.body === 'hello from B'),
    );
    expect(onA.event_id).toBe(fromB.json().event_id);

    const fromA = await a.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/a1`, {
      token: alice.token,
      body: { msgtype: 'm.text', body: 'hello from A' },
    });
    expect(fromA.statusCode).toBe(200);
    const onB = await until(async () =>
      (await messages(b, bob.token, roomId)).find((e) => e.content.body === 'hello from A'),
    );
    expect(onB.event_id).toBe(fromA.json().event_id);
  });

  test('an incremental /sync after the join shows the room with its state', async () => {
    const erin = await b.register('erin');
    const first = await b.req('GET', '/_matrix/client/v3/sync', { token: erin.token });
    const since = first.json().next_batch as string;
    const fresh = await createRoom({ preset: 'public_chat', name: 'fresh' });
    const res = await b.req('POST', `/_matrix/client/v3/join/${fresh}?via=a.test`, {
      token: erin.token,
      body: {},
    });
    expect(res.statusCode).toBe(200);
    const sync = await b.req('GET', `/_matrix/client/v3/sync?since=${since}&timeout=0`, {
      token: erin.token,
    });
    const room = sync.json().rooms.join[fresh];
    const types = (room.state.events as { type: string }[]).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['m.room.create', 'm.room.name']));
    const timeline = room.timeline.events as { type: string; state_key?: string }[];
    expect(timeline.at(-1)).toMatchObject({ type: 'm.room.member', state_key: erin.userId });
  });

  test('by room id with via: a server that cannot be reached is skipped', async () => {
    const other = await createRoom({ preset: 'public_chat' });
    const res = await b.req('POST', `/_matrix/client/v3/join/${other}?via=gone.test&via=a.test`, {
      token: bob.token,
      body: {},
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await joinedMembers(a, alice.token, other)).toEqual([alice.userId, bob.userId]);
  });
});

test('an invited user joins without via: through the inviting server', async () => {
  const roomId = await createRoom({ preset: 'private_chat', name: 'invited' });
  const frank = await b.register('frank');
  const invite = await a.req('POST', `/_matrix/client/v3/rooms/${roomId}/invite`, {
    token: alice.token,
    body: { user_id: frank.userId },
  });
  expect(invite.statusCode, invite.body).toBe(200);
  const res = await b.req('POST', `/_matrix/client/v3/rooms/${roomId}/join`, {
    token: frank.token,
    body: {},
  });
  expect(res.statusCode, res.body).toBe(200);
  expect(await joinedMembers(a, alice.token, roomId)).toEqual([alice.userId, frank.userId]);
  expect(await joinedMembers(b, frank.token, roomId)).toEqual([alice.userId, frank.userId]);
});

test('leave, then join again through A', async () => {
  const roomId = await createRoom({ preset: 'public_chat', name: 'again' });
  const gina = await b.register('gina');
  const join = () =>
    b.req('POST', `/_matrix/client/v3/join/${roomId}?via=a.test`, { token: gina.token, body: {} });
  expect((await join()).statusCode).toBe(200);
  const left = await b.req('POST', `/_matrix/client/v3/rooms/${roomId}/leave`, {
    token: gina.token,
    body: {},
  });
  expect(left.statusCode).toBe(200);
  await until(async () =>
    (await joinedMembers(a, alice.token, roomId)).length === 1 ? true : undefined,
  );
  // Meanwhile the room moved on without B.
  await a.req('PUT', `/_matrix/client/v3/rooms/${roomId}/state/m.room.topic`, {
    token: alice.token,
    body: { topic: 'while you were away' },
  });
  const again = await join();
  expect(again.statusCode, again.body).toBe(200);
  expect(await joinedMembers(a, alice.token, roomId)).toEqual([alice.userId, gina.userId]);
  const topic = await b.req('GET', `/_matrix/client/v3/rooms/${roomId}/state/m.room.topic`, {
    token: gina.token,
  });
  expect(topic.json()).toEqual({ topic: 'while you were away' });
  const sent = await b.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/g1`, {
    token: gina.token,
    body: { msgtype: 'm.text', body: 'back again' },
  });
  expect(sent.statusCode).toBe(200);
  await until(async () =>
    (await messages(a, alice.token, roomId)).find((e) => e.content.body === 'back again'),
  );
});

describe('refusals a client of B sees', () => {
  test('a banned user: 403', async () => {
    const roomId = await createRoom({ preset: 'public_chat' });
    const ban = await a.req('POST', `/_matrix/client/v3/rooms/${roomId}/ban`, {
      token: alice.token,
      body: { user_id: '@banned:b.test' },
    });
    expect(ban.statusCode).toBe(200);
    const banned = await b.register('banned');
    const res = await b.req('POST', `/_matrix/client/v3/rooms/${roomId}/join?via=a.test`, {
      token: banned.token,
      body: {},
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().errcode).toBe('M_FORBIDDEN');
    expect(await store.getRoom(b.ctx.db, roomId)).toBeUndefined();
  });

  test('an invite-only room: 403', async () => {
    const roomId = await createRoom({ preset: 'private_chat' });
    const res = await b.req('POST', `/_matrix/client/v3/join/${roomId}?server_name=a.test`, {
      token: bob.token,
      body: {},
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().errcode).toBe('M_FORBIDDEN');
    expect(await joinedMembers(a, alice.token, roomId)).toEqual([alice.userId]);
  });

  test('an unknown room or alias, an unreachable server: 404', async () => {
    for (const path of [
      '/_matrix/client/v3/join/!nope:a.test',
      '/_matrix/client/v3/join/%23nope:a.test',
      '/_matrix/client/v3/join/!nope:gone.test?via=gone.test',
      '/_matrix/client/v3/join/%23room:gone.test',
    ]) {
      const res = await b.req('POST', path, { token: bob.token, body: {} });
      expect(res.statusCode, path).toBe(404);
      expect(res.json().errcode).toBe('M_NOT_FOUND');
    }
  });

  test('a server the room ACL denies: 403', async () => {
    const roomId = await createRoom({
      preset: 'public_chat',
      initial_state: [
        {
          type: 'm.room.server_acl',
          state_key: '',
          content: { allow: ['*'], deny: ['b.test'], allow_ip_literals: true },
        },
      ],
    });
    const res = await b.req('POST', `/_matrix/client/v3/join/${roomId}?via=a.test`, {
      token: bob.token,
      body: {},
    });
    expect(res.statusCode).toBe(403);
    expect(await joinedMembers(a, alice.token, roomId)).toEqual([alice.userId]);
  });
});

describe('the resident side refuses bad requests and changes nothing', () => {
  let roomId: string;
  let version: string;

  beforeAll(async () => {
    roomId = await createRoom({ preset: 'public_chat' });
    version = (await store.getRoom(a.ctx.db, roomId))!.room_version;
  });

  const makeJoin = (userId: string, ver = `ver=${version}`) =>
    b.federation.request('a.test', {
      method: 'GET',
      path: `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent(userId)}?${ver}`,
    });

  /** A join built by B on A's template, with `content` and `sender` changed as asked. */
  async function signedJoin(userId: string, change: { content?: object; sender?: string } = {}) {
    const res = await makeJoin(userId);
    expect(res.status).toBe(200);
    const t = (res.body as { event: Record<string, unknown> }).event;
    const refs = (l: unknown) =>
      (l as string[]).map((id): EventRef => ({ eventId: id, sha256: '' }));
    return buildLocalEvent(b.ctx, roomVersion(version)!, {
      type: 'm.room.member',
      stateKey: change.sender ?? userId,
      sender: change.sender ?? userId,
      roomId,
      content: { membership: 'join', ...change.content },
      prevEvents: refs(t.prev_events),
      authEvents: refs(t.auth_events),
      depth: t.depth as number,
    });
  }

  const sendJoin = (eventId: string, body: unknown, v = 'v2') =>
    b.federation.request('a.test', {
      method: 'PUT',
      path: `/_matrix/federation/${v}/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`,
      body,
    });

  test('make_join answers a template for a user of the origin', async () => {
    const res = await makeJoin('@tmpl:b.test');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      room_version: version,
      event: {
        type: 'm.room.member',
        room_id: roomId,
        sender: '@tmpl:b.test',
        state_key: '@tmpl:b.test',
        content: { membership: 'join' },
      },
    });
    const event = (res.body as { event: Record<string, unknown> }).event;
    expect(event.signatures).toBeUndefined();
    expect(event.hashes).toBeUndefined();
  });

  test('make_join for a user of another server: 403', async () => {
    const res = await makeJoin('@carol:c.test');
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ errcode: 'M_FORBIDDEN' });
  });

  test('make_join without the room version: 400 M_INCOMPATIBLE_ROOM_VERSION', async () => {
    const other = version === '1' ? '2' : '1';
    const res = await makeJoin('@x:b.test', `ver=${other}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      errcode: 'M_INCOMPATIBLE_ROOM_VERSION',
      room_version: version,
    });
  });

  test('make_join of an unknown room: 404', async () => {
    const res = await b.federation.request('a.test', {
      method: 'GET',
      path: `/_matrix/federation/v1/make_join/${encodeURIComponent('!nope:a.test')}/${encodeURIComponent('@x:b.test')}?ver=${version}`,
    });
    expect(res.status).toBe(404);
  });

  test('send_join of an event that is not a join: 400, nothing stored', async () => {
    const ev = await signedJoin('@leaver:b.test', { content: { membership: 'leave' } });
    const res = await sendJoin(ev.eventId, ev.pdu);
    expect(res.status).toBe(400);
    expect(await store.getEventRow(a.ctx.db, ev.eventId)).toBeUndefined();
  });

  test("send_join of another server's user: 400, nothing stored", async () => {
    // B signs a join for a user of c.test, built on a template B asked for itself.
    const ev = await signedJoin('@mal:b.test', { sender: '@mal:c.test' });
    const res = await sendJoin(ev.eventId, ev.pdu);
    expect(res.status).toBe(400);
    expect(await store.getEventRow(a.ctx.db, ev.eventId)).toBeUndefined();
  });

  test('send_join with a bad signature or a wrong id: 400, nothing stored', async () => {
    const ev = await signedJoin('@forged:b.test');
    const sigs = ev.pdu.signatures['b.test']!;
    const keyId = Object.keys(sigs)[0]!;
    const forged: Pdu = {
      ...ev.pdu,
      signatures: {
        'b.test': { [keyId]: sigs[keyId]!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) },
      },
    };
    expect((await sendJoin(ev.eventId, forged)).status).toBe(400);
    expect((await sendJoin('$wrong', ev.pdu)).status).toBe(400);
    expect(await store.getEventRow(a.ctx.db, ev.eventId)).toBeUndefined();
    expect(await joinedMembers(a, alice.token, roomId)).toEqual([alice.userId]);
  });

  test('send_join v1 answers [200, { state, auth_chain }]', async () => {
    const ev = await signedJoin('@old:b.test');
    const res = await sendJoin(ev.eventId, ev.pdu, 'v1');
    expect(res.status).toBe(200);
    const [code, body] = res.body as [number, { state: Pdu[]; auth_chain: Pdu[] }];
    expect(code).toBe(200);
    expect(body.state.map((e) => e.type)).toContain('m.room.create');
    expect(await joinedMembers(a, alice.token, roomId)).toContain('@old:b.test');
  });
});

describe('query/directory', () => {
  test('answers for aliases of this server only', async () => {
    await createRoom({ preset: 'public_chat', room_alias_name: 'dir' });
    const ok = await b.federation.request('a.test', {
      method: 'GET',
      path: '/_matrix/federation/v1/query/directory?room_alias=%23dir:a.test',
    });
    expect(ok.status).toBe(200);
    expect((ok.body as { servers: string[] }).servers[0]).toBe('a.test');
    const unknown = await b.federation.request('a.test', {
      method: 'GET',
      path: '/_matrix/federation/v1/query/directory?room_alias=%23none:a.test',
    });
    expect(unknown.status).toBe(404);
  });
});

describe('room versions with server-made event ids', () => {
  test.each(['1', '2', '5'])('a room of version %s is joined and talked in', async (v) => {
    const roomId = await createRoom({ preset: 'public_chat', room_version: v });
    const res = await b.req('POST', `/_matrix/client/v3/join/${roomId}?via=a.test`, {
      token: bob.token,
      body: {},
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await joinedMembers(a, alice.token, roomId)).toEqual([alice.userId, bob.userId]);
    const sent = await b.req(
      'PUT',
      `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/v${v}`,
      {
        token: bob.token,
        body: { msgtype: 'm.text', body: `in v${v}` },
      },
    );
    expect(sent.statusCode).toBe(200);
    await until(async () =>
      (await messages(a, alice.token, roomId)).find((e) => e.content.body === `in v${v}`),
    );
  });
});

describe('restricted rooms', () => {
  test('a member of an allowed room joins through a local authoriser of A', async () => {
    const space = await createRoom({ preset: 'public_chat' });
    const carol = await b.register('carol');
    const joinedSpace = await b.req('POST', `/_matrix/client/v3/join/${space}?via=a.test`, {
      token: carol.token,
      body: {},
    });
    expect(joinedSpace.statusCode).toBe(200);
    const roomId = await createRoom({
      preset: 'public_chat',
      room_version: '10',
      initial_state: restrictedTo(space),
    });
    const res = await b.req('POST', `/_matrix/client/v3/join/${roomId}?via=a.test`, {
      token: carol.token,
      body: {},
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await joinedMembers(a, alice.token, roomId)).toEqual([alice.userId, carol.userId]);
    // The join on both sides names alice as authoriser and carries A's signature.
    for (const s of [a, b]) {
      const row = await s.ctx.db.get<{ json: string }>(
        `SELECT j.json FROM current_state c JOIN event_json_by_id j ON j.event_id = c.event_id
         WHERE c.room_id = ? AND c.type = 'm.room.member' AND c.state_key = ?`,
        roomId,
        carol.userId,
      );
      const pdu = JSON.parse(row!.json) as Pdu;
      expect(pdu.content.join_authorised_via_users_server).toBe(alice.userId);
      expect(Object.keys(pdu.signatures).sort()).toEqual(['a.test', 'b.test']);
    }

    // Bob is not in the allowed room: 403.
    const dave = await b.register('dave');
    const refused = await b.req('POST', `/_matrix/client/v3/join/${roomId}?via=a.test`, {
      token: dave.token,
      body: {},
    });
    expect(refused.statusCode).toBe(403);
  });

  test('allowed rooms A is not in: 400 M_UNABLE_TO_AUTHORISE_JOIN', async () => {
    const roomId = await createRoom({
      preset: 'public_chat',
      room_version: '10',
      initial_state: restrictedTo('!elsewhere:c.test'),
    });
    const res = await b.req('POST', `/_matrix/client/v3/join/${roomId}?via=a.test`, {
      token: bob.token,
      body: {},
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errcode).toBe('M_UNABLE_TO_AUTHORISE_JOIN');
  });
});

describe("B's checks on the resident's send_join answer", () => {
  let roomId: string;
  let join: { eventId: string; pdu: Pdu };
  let answer: { state: Pdu[]; auth_chain: Pdu[] };
  let version: string;

  beforeAll(async () => {
    roomId = await createRoom({ preset: 'public_chat', name: 'checked' });
    version = (await store.getRoom(a.ctx.db, roomId))!.room_version;
    const made = await b.federation.request('a.test', {
      method: 'GET',
      path: `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent('@checker:b.test')}?ver=${version}`,
    });
    const t = (made.body as { event: Record<string, unknown> }).event;
    const refs = (l: unknown) =>
      (l as string[]).map((id): EventRef => ({ eventId: id, sha256: '' }));
    const built = buildLocalEvent(b.ctx, roomVersion(version)!, {
      type: 'm.room.member',
      stateKey: '@checker:b.test',
      sender: '@checker:b.test',
      roomId,
      content: { membership: 'join' },
      prevEvents: refs(t.prev_events),
      authEvents: refs(t.auth_events),
      depth: t.depth as number,
    });
    join = { eventId: built.eventId, pdu: built.pdu };
    const sent = await b.federation.request('a.test', {
      method: 'PUT',
      path: `/_matrix/federation/v2/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(built.eventId)}`,
      body: built.pdu,
    });
    expect(sent.status).toBe(200);
    answer = sent.body as typeof answer;
  });

  const check = (body: unknown) =>
    checkJoinAnswer(b.ctx, { version: roomVersion(version)!, roomId, join, body });

  test('the real answer passes, with the state before the join', async () => {
    const checked = await check(answer);
    expect(checked.stateBefore.get('m.room.name\u0000')).toBeDefined();
    expect(checked.stateBefore.has(`m.room.member\u0000@checker:b.test`)).toBe(false);
    expect(checked.join.eventId).toBe(join.eventId);
  });

  test('answers that cannot be used are refused', async () => {
    const without = (type: string) => answer.state.filter((e) => e.type !== type);
    const tampered = answer.state.map((e) =>
      e.type === 'm.room.power_levels'
        ? { ...e, signatures: { 'a.test': { 'ed25519:x': 'AAAA' } } }
        : e,
    );
    const forged = answer.state.map((e) =>
      e.type === 'm.room.create' ? { ...e, content: { ...e.content, room_version: '1' } } : e,
    );
    const otherRoom = answer.state.map((e) =>
      e.type === 'm.room.name' ? { ...e, room_id: '!other:a.test' } : e,
    );
    const bodies: [string, unknown][] = [
      ['no lists', {}],
      ['no create event', { ...answer, state: without('m.room.create') }],
      ['a needed event with a bad signature', { state: tampered, auth_chain: tampered }],
      ['a create event changed after signing', { state: forged, auth_chain: forged }],
      ['an event of another room', { ...answer, state: otherRoom }],
      ['an incomplete auth chain', { state: without('m.room.power_levels'), auth_chain: [] }],
    ];
    for (const [what, body] of bodies) {
      await expect(check(body), what).rejects.toBeInstanceOf(BadJoinAnswerError);
    }
  });
});
