import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildLocalEvent } from '../../../server/events/build.js';
import type { Pdu } from '../../../server/events/event-format.js';
import * as events from '../../../server/events/store.js';
import { receiveOutOfRoomMembership } from '../../../server/federation/membership/out-of-room.js';
import { draftMemberEvent } from '../../../server/federation/membership/template.js';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';

/**
 * Invites, leaves and knocks between two real Hearths (a.test and b.test) on loopback, as
 * their users and the other server see them: an invite across servers shown in the
 * invitee's /sync with the room's stripped state and rejected through make_leave /
 * send_leave; a knock from b.test shown in a.test's /sync; and what each endpoint refuses.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

const ports = new Map<string, number>();
let A: FederatedTestServer;
let B: FederatedTestServer;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };

/** The tests make many rooms, invites and knocks quickly: no rate limit gets in the way. */
const NO_LIMIT = { per_second: 1000, burst_count: 1000 };
const config = {
  rc_room_creation: NO_LIMIT,
  rc_joins: { local: NO_LIMIT, remote: NO_LIMIT },
  rc_invites: { per_room: NO_LIMIT, per_user: NO_LIMIT, per_issuer: NO_LIMIT },
};

beforeAll(async () => {
  A = await startFederatedServer('a.test', ports, { config });
  B = await startFederatedServer('b.test', ports, { config });
  alice = await A.register('alice');
  bob = await B.register('bob');
});
afterAll(async () => {
  await B?.close();
  await A?.close();
});

async function createRoom(body: Record<string, unknown>): Promise<string> {
  const res = await A.req('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: { room_version: '10', ...body },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().room_id as string;
}

async function sync(s: FederatedTestServer, token: string): Promise<Loose> {
  const res = await s.req('GET', '/_matrix/client/v3/sync?timeout=0', { token });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function membersOf(roomId: string): Promise<Record<string, string>> {
  const res = await A.req('GET', `/_matrix/client/v3/rooms/${roomId}/members`, {
    token: alice.token,
  });
  return Object.fromEntries(
    (res.json().chunk as Loose[]).map((e) => [e.state_key, e.content.membership]),
  );
}

const enc = encodeURIComponent;

/** An invite of `target` into `roomId`, made and signed by a.test (not persisted). */
async function aliceInvite(roomId: string, target: string, sender = alice.userId) {
  const d = await draftMemberEvent(A.ctx, {
    roomId,
    sender,
    target,
    content: { membership: 'invite' },
  });
  return { version: d.version, ...buildLocalEvent(A.ctx, d.version, d.draft) };
}

test('a user of A invites a user of B, who sees it in /sync with the stripped state and rejects it', async () => {
  const roomId = await createRoom({ name: 'Tea room', topic: 'Earl Grey' });
  const invited = await A.req('POST', `/_matrix/client/v3/rooms/${roomId}/invite`, {
    token: alice.token,
    body: { user_id: bob.userId },
  });
  expect(invited.statusCode, invited.body).toBe(200);

  // The invite in A's room carries both servers' signatures.
  const row = await events.getCurrentStateEventJson(A.ctx.db, roomId, 'm.room.member', bob.userId);
  const stored = JSON.parse(row!.json) as Pdu;
  expect(stored.content.membership).toBe('invite');
  expect(Object.keys(stored.signatures).sort()).toEqual(['a.test', 'b.test']);
  expect(await membersOf(roomId)).toMatchObject({ [bob.userId]: 'invite' });

  // Bob sees the invite, with what the room looks like.
  const first = await sync(B, bob.token);
  const invite = first.rooms.invite[roomId] as Loose;
  expect(invite).toBeDefined();
  const state = invite.invite_state.events as Loose[];
  const byType = (t: string) => state.find((e) => e.type === t);
  expect(byType('m.room.name')?.content.name).toBe('Tea room');
  expect(byType('m.room.topic')?.content.topic).toBe('Earl Grey');
  expect(byType('m.room.create')?.sender).toBe(alice.userId);
  const own = state.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId);
  expect(own).toMatchObject({ sender: alice.userId, content: { membership: 'invite' } });
  for (const e of state)
    expect(Object.keys(e).sort()).toEqual(['content', 'sender', 'state_key', 'type']);

  // An incremental sync after it is quiet about the invite.
  const again = await B.req('GET', `/_matrix/client/v3/sync?timeout=0&since=${first.next_batch}`, {
    token: bob.token,
  });
  expect(again.json().rooms.invite[roomId]).toBeUndefined();

  // Bob rejects it: make_leave / send_leave through a.test.
  const asked = B.federation.sent.length;
  const left = await B.req('POST', `/_matrix/client/v3/rooms/${roomId}/leave`, {
    token: bob.token,
    body: { reason: 'not today' },
  });
  expect(left.statusCode, left.body).toBe(200);
  const paths = B.federation.sent
    .slice(asked)
    .map((r) => `${r.method} ${r.path.split('/').slice(0, 5).join('/')}`);
  expect(paths).toEqual([
    'GET /_matrix/federation/v1/make_leave',
    'PUT /_matrix/federation/v2/send_leave',
  ]);
  expect(await membersOf(roomId)).toMatchObject({ [bob.userId]: 'leave' });
  const leaveRow = await events.getCurrentStateEventJson(
    A.ctx.db,
    roomId,
    'm.room.member',
    bob.userId,
  );
  expect((JSON.parse(leaveRow!.json) as Pdu).content).toMatchObject({
    membership: 'leave',
    reason: 'not today',
  });

  // Bob's /sync moves the room under leave; Alice's shows the leave in the timeline.
  const after = await B.req('GET', `/_matrix/client/v3/sync?timeout=0&since=${first.next_batch}`, {
    token: bob.token,
  });
  const leave = after.json().rooms.leave[roomId] as Loose;
  expect(leave.timeline.events).toEqual([
    expect.objectContaining({
      type: 'm.room.member',
      state_key: bob.userId,
      content: expect.objectContaining({ membership: 'leave' }),
    }),
  ]);
  expect(after.json().rooms.invite[roomId]).toBeUndefined();
  const aliceView = (await sync(A, alice.token)).rooms.join[roomId].timeline.events as Loose[];
  expect(aliceView.at(-1)).toMatchObject({
    state_key: bob.userId,
    content: { membership: 'leave' },
  });

  // Leaving again changes nothing and asks no one.
  const sentBefore = B.federation.sent.length;
  const twice = await B.req('POST', `/_matrix/client/v3/rooms/${roomId}/leave`, {
    token: bob.token,
    body: {},
  });
  expect(twice.statusCode).toBe(404);
  expect(B.federation.sent.length).toBe(sentBefore);

  // The rejected room can be forgotten: then even include_leave does not show it.
  const withLeave = `/_matrix/client/v3/sync?timeout=0&filter=${enc(JSON.stringify({ room: { include_leave: true } }))}`;
  expect(
    (await B.req('GET', withLeave, { token: bob.token })).json().rooms.leave[roomId],
  ).toBeDefined();
  const forgot = await B.req('POST', `/_matrix/client/v3/rooms/${roomId}/forget`, {
    token: bob.token,
    body: {},
  });
  expect(forgot.statusCode, forgot.body).toBe(200);
  expect(
    (await B.req('GET', withLeave, { token: bob.token })).json().rooms.leave[roomId],
  ).toBeUndefined();
});

test('an invite to a v12 room carries its create event, checked by the invitee server', async () => {
  const roomId = await createRoom({ room_version: '12', name: 'New style' });
  const frank = await B.register('frank');
  const invited = await A.req('POST', `/_matrix/client/v3/rooms/${roomId}/invite`, {
    token: alice.token,
    body: { user_id: frank.userId },
  });
  expect(invited.statusCode, invited.body).toBe(200);
  const state = (await sync(B, frank.token)).rooms.invite[roomId].invite_state.events as Loose[];
  expect(state.map((e) => e.type)).toEqual(
    expect.arrayContaining(['m.room.create', 'm.room.name', 'm.room.member']),
  );

  // Without the create event in invite_room_state, a v12 invite is refused.
  const grace = await B.register('grace');
  const inv = await aliceInvite(roomId, grace.userId);
  const res = await A.federation.request('b.test', {
    method: 'PUT',
    path: `/_matrix/federation/v2/invite/${enc(roomId)}/${enc(inv.eventId)}`,
    body: { room_version: '12', event: inv.pdu, invite_room_state: [] },
  });
  expect(res.status).toBe(400);
  expect((res.body as Loose).errcode).toBe('M_INVALID_PARAM');
});

test('inviting a user of a server that cannot be reached fails with 502 and stores nothing', async () => {
  const roomId = await createRoom({});
  const res = await A.req('POST', `/_matrix/client/v3/rooms/${roomId}/invite`, {
    token: alice.token,
    body: { user_id: '@someone:nowhere.test' },
  });
  expect(res.statusCode).toBe(502);
  expect(await membersOf(roomId)).not.toHaveProperty('@someone:nowhere.test');
});

test('an invite rescinded by the inviting server ends the invite; no other server may end it', async () => {
  const roomId = await createRoom({ name: 'Changed my mind' });
  const henry = await B.register('henry');
  const invited = await A.req('POST', `/_matrix/client/v3/rooms/${roomId}/invite`, {
    token: alice.token,
    body: { user_id: henry.userId },
  });
  expect(invited.statusCode, invited.body).toBe(200);
  const first = await sync(B, henry.token);
  expect(first.rooms.invite[roomId]).toBeDefined();
  const kicked = await A.req('POST', `/_matrix/client/v3/rooms/${roomId}/kick`, {
    token: alice.token,
    body: { user_id: henry.userId },
  });
  expect(kicked.statusCode, kicked.body).toBe(200);
  // The leave A queued for b.test, as its /send would bring it.
  const row = await events.getCurrentStateEventJson(
    A.ctx.db,
    roomId,
    'm.room.member',
    henry.userId,
  );
  const rescind = JSON.parse(row!.json) as Record<string, unknown>;

  expect(await receiveOutOfRoomMembership(B.ctx, 'c.test', rescind)).toMatchObject({
    error: expect.stringContaining('c.test'),
  });
  expect(
    await receiveOutOfRoomMembership(B.ctx, 'a.test', { ...rescind, state_key: '@nobody:b.test' }),
  ).toBeNull();
  expect(await receiveOutOfRoomMembership(B.ctx, 'a.test', rescind)).toEqual({});
  const after = await B.req('GET', `/_matrix/client/v3/sync?timeout=0&since=${first.next_batch}`, {
    token: henry.token,
  });
  expect(after.json().rooms.leave[roomId].timeline.events).toEqual([
    expect.objectContaining({ sender: alice.userId, state_key: henry.userId }),
  ]);
  // Nothing left to reject.
  const left = await B.req('POST', `/_matrix/client/v3/rooms/${roomId}/leave`, {
    token: henry.token,
    body: {},
  });
  expect(left.statusCode).toBe(404);
});

test('an invite is rejected locally when the inviting server cannot be reached', async () => {
  const roomId = await createRoom({ name: 'Unreachable' });
  const carol = await B.register('carol');
  const invited = await A.req('POST', `/_matrix/client/v3/rooms/${roomId}/invite`, {
    token: alice.token,
    body: { user_id: carol.userId },
  });
  expect(invited.statusCode, invited.body).toBe(200);
  const first = await sync(B, carol.token);
  expect(first.rooms.invite[roomId]).toBeDefined();

  const port = ports.get('a.test')!;
  ports.delete('a.test');
  try {
    const left = await B.req('POST', `/_matrix/client/v3/rooms/${roomId}/leave`, {
      token: carol.token,
      body: {},
    });
    expect(left.statusCode, left.body).toBe(200);
  } finally {
    ports.set('a.test', port);
  }
  const after = await B.req('GET', `/_matrix/client/v3/sync?timeout=0&since=${first.next_batch}`, {
    token: carol.token,
  });
  expect(after.json().rooms.leave[roomId]).toBeDefined();
  // A never heard of it: the invite stands there.
  expect(await membersOf(roomId)).toMatchObject({ [carol.userId]: 'invite' });
});

test('a user of B knocks on a room of A: A sees the knock, B sees the room under knock', async () => {
  const roomId = await createRoom({
    name: 'Knock here',
    initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
  });
  const aliceSince = (await sync(A, alice.token)).next_batch as string;
  const knocked = await B.req('POST', `/_matrix/client/v3/knock/${enc(roomId)}?via=a.test`, {
    token: bob.token,
    body: { reason: 'let me in' },
  });
  expect(knocked.statusCode, knocked.body).toBe(200);
  expect(knocked.json()).toEqual({ room_id: roomId });

  const aliceSync = await A.req('GET', `/_matrix/client/v3/sync?timeout=0&since=${aliceSince}`, {
    token: alice.token,
  });
  const timeline = aliceSync.json().rooms.join[roomId].timeline.events as Loose[];
  expect(timeline).toContainEqual(
    expect.objectContaining({
      type: 'm.room.member',
      state_key: bob.userId,
      content: expect.objectContaining({ membership: 'knock', reason: 'let me in' }),
    }),
  );
  expect(await membersOf(roomId)).toMatchObject({ [bob.userId]: 'knock' });

  const bobSync = await sync(B, bob.token);
  const knockState = bobSync.rooms.knock[roomId].knock_state.events as Loose[];
  expect(knockState.find((e) => e.type === 'm.room.name')?.content.name).toBe('Knock here');
  expect(knockState.find((e) => e.type === 'm.room.join_rules')?.content.join_rule).toBe('knock');
  expect(knockState.at(-1)).toMatchObject({
    state_key: bob.userId,
    content: { membership: 'knock' },
  });

  // Retracting the knock goes through make_leave / send_leave too.
  const left = await B.req('POST', `/_matrix/client/v3/rooms/${roomId}/leave`, {
    token: bob.token,
    body: {},
  });
  expect(left.statusCode, left.body).toBe(200);
  expect(await membersOf(roomId)).toMatchObject({ [bob.userId]: 'leave' });
});

test('a knock on a room whose join rule forbids it is refused, and nothing is stored', async () => {
  const roomId = await createRoom({ preset: 'public_chat' });
  const knocked = await B.req('POST', `/_matrix/client/v3/knock/${enc(roomId)}?via=a.test`, {
    token: bob.token,
    body: {},
  });
  expect(knocked.statusCode).toBe(403);
  expect(knocked.json().errcode).toBe('M_FORBIDDEN');
  expect((await sync(B, bob.token)).rooms.knock[roomId]).toBeUndefined();
  expect(await membersOf(roomId)).not.toHaveProperty(bob.userId);

  // The same straight from b.test's server: make_knock is refused by the auth rules.
  const res = await B.federation.request('a.test', {
    method: 'GET',
    path: `/_matrix/federation/v1/make_knock/${enc(roomId)}/${enc(bob.userId)}?ver=10`,
  });
  expect(res.status).toBe(403);
  expect((res.body as Loose).errcode).toBe('M_FORBIDDEN');
});

test('make_knock: version list, unknown room, user of another server', async () => {
  const roomId = await createRoom({
    initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
  });
  const ask = (path: string) => B.federation.request('a.test', { method: 'GET', path });
  const oldOnly = await ask(
    `/_matrix/federation/v1/make_knock/${enc(roomId)}/${enc(bob.userId)}?ver=1&ver=2`,
  );
  expect(oldOnly.status).toBe(400);
  expect(oldOnly.body).toMatchObject({
    errcode: 'M_INCOMPATIBLE_ROOM_VERSION',
    room_version: '10',
  });
  const ok = await ask(
    `/_matrix/federation/v1/make_knock/${enc(roomId)}/${enc(bob.userId)}?ver=9&ver=10`,
  );
  expect(ok.status).toBe(200);
  expect(ok.body).toMatchObject({
    room_version: '10',
    event: {
      type: 'm.room.member',
      state_key: bob.userId,
      sender: bob.userId,
      room_id: roomId,
      content: { membership: 'knock' },
    },
  });
  const unknown = await ask(
    `/_matrix/federation/v1/make_knock/${enc('!nope:a.test')}/${enc(bob.userId)}?ver=10`,
  );
  expect(unknown.status).toBe(404);
  const other = await ask(
    `/_matrix/federation/v1/make_knock/${enc(roomId)}/${enc('@eve:c.test')}?ver=10`,
  );
  expect(other.status).toBe(403);
});

test('make_leave / send_leave for a remote member, and what send_leave refuses', async () => {
  const roomId = await createRoom({});
  const dave = await B.register('dave');
  const invited = await A.req('POST', `/_matrix/client/v3/rooms/${roomId}/invite`, {
    token: alice.token,
    body: { user_id: dave.userId },
  });
  expect(invited.statusCode, invited.body).toBe(200);
  const ask = (req: { method: 'GET' | 'PUT'; path: string; body?: unknown }) =>
    B.federation.request('a.test', req);

  // Someone of no membership cannot leave; users of other servers are not b.test's to ask for.
  const stranger = await ask({
    method: 'GET',
    path: `/_matrix/federation/v1/make_leave/${enc(roomId)}/${enc('@nobody:b.test')}`,
  });
  expect(stranger.status).toBe(403);
  const foreign = await ask({
    method: 'GET',
    path: `/_matrix/federation/v1/make_leave/${enc(roomId)}/${enc(alice.userId)}`,
  });
  expect(foreign.status).toBe(403);
  const unknown = await ask({
    method: 'GET',
    path: `/_matrix/federation/v1/make_leave/${enc('!nope:a.test')}/${enc(dave.userId)}`,
  });
  expect(unknown.status).toBe(404);

  const made = await ask({
    method: 'GET',
    path: `/_matrix/federation/v1/make_leave/${enc(roomId)}/${enc(dave.userId)}`,
  });
  expect(made.status, JSON.stringify(made.body)).toBe(200);
  const template = (made.body as Loose).event as Loose;
  expect(template).toMatchObject({ origin: 'a.test', content: { membership: 'leave' } });
  const { version, built } =
    await import('../../../server/federation/membership/remote-leave.js').then((m) =>
      m.signMemberTemplate(B.ctx, {
        server: 'a.test',
        body: made.body,
        roomId,
        userId: dave.userId,
        membership: 'leave',
        content: {},
      }),
    );
  expect(version.id).toBe('10');
  const sendPath = (id: string, v = 'v2') =>
    `/_matrix/federation/${v}/send_leave/${enc(roomId)}/${enc(id)}`;

  // Wrong id, tampered content (the signature no longer matches), not a leave: 400, nothing stored.
  const wrongId = await ask({ method: 'PUT', path: sendPath('$notit'), body: built.pdu });
  expect(wrongId.status).toBe(400);
  const tampered = { ...built.pdu, content: { membership: 'leave', reason: 'forged' } };
  const badSig = await ask({ method: 'PUT', path: sendPath(built.eventId), body: tampered });
  expect(badSig.status).toBe(400);
  expect((badSig.body as Loose).errcode).toBe('M_INVALID_PARAM');
  const malformed = await ask({
    method: 'PUT',
    path: sendPath(built.eventId),
    body: { type: 'm.room.member' },
  });
  expect(malformed.status).toBe(400);
  expect(await membersOf(roomId)).toMatchObject({ [dave.userId]: 'invite' });

  // The real one, through v1 (answered [200, {}]); a retry is answered the same.
  const sent = await ask({ method: 'PUT', path: sendPath(built.eventId, 'v1'), body: built.pdu });
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  expect(sent.body).toEqual([200, {}]);
  expect(await membersOf(roomId)).toMatchObject({ [dave.userId]: 'leave' });
  const retry = await ask({ method: 'PUT', path: sendPath(built.eventId), body: built.pdu });
  expect(retry.status).toBe(200);
  expect(retry.body).toEqual({});

  // Unsigned requests are refused before anything is read.
  const unsigned = await fetch(`${A.baseUrl}${sendPath(built.eventId)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(built.pdu),
  });
  expect(unsigned.status).toBe(401);
});

test('a server denied by the room ACL cannot knock or leave', async () => {
  const roomId = await createRoom({
    initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
  });
  const acl = await A.req('PUT', `/_matrix/client/v3/rooms/${roomId}/state/m.room.server_acl/`, {
    token: alice.token,
    body: { allow: ['*'], deny: ['b.test'], allow_ip_literals: false },
  });
  expect(acl.statusCode, acl.body).toBe(200);
  const knock = await B.federation.request('a.test', {
    method: 'GET',
    path: `/_matrix/federation/v1/make_knock/${enc(roomId)}/${enc(bob.userId)}?ver=10`,
  });
  expect(knock.status).toBe(403);
  expect((knock.body as Loose).error).toMatch(/ACL/);
  const leave = await B.federation.request('a.test', {
    method: 'GET',
    path: `/_matrix/federation/v1/make_leave/${enc(roomId)}/${enc(bob.userId)}`,
  });
  expect(leave.status).toBe(403);
  const viaClient = await B.req('POST', `/_matrix/client/v3/knock/${enc(roomId)}?via=a.test`, {
    token: bob.token,
    body: {},
  });
  expect(viaClient.statusCode).toBe(403);
});

test('what the invite endpoints refuse, and the v1 answer', async () => {
  const roomId = await createRoom({ name: 'Checks' });
  const erin = await B.register('erin');
  const put = (path: string, body: unknown) =>
    A.federation.request('b.test', { method: 'PUT', path, body });
  const v2 = (id: string) => `/_matrix/federation/v2/invite/${enc(roomId)}/${enc(id)}`;

  // A user of another server (here: of the inviting server itself).
  const forOther = await aliceInvite(roomId, '@zed:a.test');
  const r1 = await put(v2(forOther.eventId), { room_version: '10', event: forOther.pdu });
  expect(r1.status).toBe(400);
  expect((r1.body as Loose).errcode).toBe('M_INVALID_PARAM');

  // A room version b.test does not implement.
  const ok = await aliceInvite(roomId, erin.userId);
  const r2 = await put(v2(ok.eventId), { room_version: '99', event: ok.pdu });
  expect(r2.status).toBe(400);
  expect(r2.body).toMatchObject({ errcode: 'M_INCOMPATIBLE_ROOM_VERSION', room_version: '99' });

  // Wrongly signed: content changed after signing; and no signature at all.
  const forged = { ...ok.pdu, content: { membership: 'invite', displayname: 'forged' } };
  const r3 = await put(v2(ok.eventId), { room_version: '10', event: forged });
  expect(r3.status).toBe(400);
  const { signatures: _s, ...unsignedPdu } = ok.pdu;
  const r4 = await put(v2(ok.eventId), { room_version: '10', event: unsignedPdu });
  expect(r4.status).toBe(400);
  // Another event id than the event's own.
  const r5 = await put(v2('$elsewhere'), { room_version: '10', event: ok.pdu });
  expect(r5.status).toBe(400);
  // A request without X-Matrix.
  const r6 = await fetch(`${B.baseUrl}${v2(ok.eventId)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ room_version: '10', event: ok.pdu }),
  });
  expect(r6.status).toBe(401);
  // An invite a.test sends for a sender of c.test.
  const notTheirs = await aliceInvite(roomId, erin.userId, '@mallory:c.test');
  const r8 = await put(v2(notTheirs.eventId), { room_version: '10', event: notTheirs.pdu });
  expect(r8.status).toBe(400);
  // None of these left an invite behind.
  expect((await sync(B, erin.token)).rooms.invite[roomId]).toBeUndefined();

  // The v1 endpoint: the body is the event, the answer [200, { event }] signed by b.test.
  const v1Room = await createRoom({ room_version: '1', name: 'Old room' });
  const old = await aliceInvite(v1Room, erin.userId);
  const r7 = await put(`/_matrix/federation/v1/invite/${enc(v1Room)}/${enc(old.eventId)}`, {
    ...old.pdu,
    unsigned: {
      invite_room_state: [
        { type: 'm.room.name', state_key: '', sender: alice.userId, content: { name: 'Old room' } },
      ],
    },
  });
  expect(r7.status, JSON.stringify(r7.body)).toBe(200);
  const [code, answer] = r7.body as [number, Loose];
  expect(code).toBe(200);
  expect(Object.keys(answer.event.signatures).sort()).toEqual(['a.test', 'b.test']);
  const erinSync = await sync(B, erin.token);
  const shown = erinSync.rooms.invite[v1Room].invite_state.events as Loose[];
  expect(shown.find((e) => e.type === 'm.room.name')?.content.name).toBe('Old room');
});

test('an invited user of B accepts: the join goes through the inviting server and /sync moves the room to join', async () => {
  const roomId = await createRoom({ name: 'Welcome' });
  const ivy = await B.register('ivy');
  const invited = await A.req('POST', `/_matrix/client/v3/rooms/${roomId}/invite`, {
    token: alice.token,
    body: { user_id: ivy.userId },
  });
  expect(invited.statusCode, invited.body).toBe(200);
  const first = await sync(B, ivy.token);
  expect(first.rooms.invite[roomId]).toBeDefined();
  // No via: the server of the pending invite is asked.
  const joined = await B.req('POST', `/_matrix/client/v3/rooms/${roomId}/join`, {
    token: ivy.token,
    body: {},
  });
  expect(joined.statusCode, joined.body).toBe(200);
  expect(await membersOf(roomId)).toMatchObject({ [ivy.userId]: 'join' });
  const after = await B.req('GET', `/_matrix/client/v3/sync?timeout=0&since=${first.next_batch}`, {
    token: ivy.token,
  });
  expect(after.json().rooms.join[roomId]).toBeDefined();
  expect(after.json().rooms.invite[roomId]).toBeUndefined();
  // Leaving now is an ordinary leave of a room B is in, not a rejection.
  const asked = B.federation.sent.length;
  const left = await B.req('POST', `/_matrix/client/v3/rooms/${roomId}/leave`, {
    token: ivy.token,
    body: {},
  });
  expect(left.statusCode, left.body).toBe(200);
  expect(B.federation.sent.slice(asked).some((r) => r.path.includes('make_leave'))).toBe(false);
});

test('invite and rejection in a room of version 1 (event ids of the server, hashed references)', async () => {
  const roomId = await createRoom({ room_version: '1', name: 'Vintage' });
  const jo = await B.register('jo');
  const invited = await A.req('POST', `/_matrix/client/v3/rooms/${roomId}/invite`, {
    token: alice.token,
    body: { user_id: jo.userId },
  });
  expect(invited.statusCode, invited.body).toBe(200);
  const first = await sync(B, jo.token);
  expect(first.rooms.invite[roomId].invite_state.events).toContainEqual(
    expect.objectContaining({ type: 'm.room.name', content: { name: 'Vintage' } }),
  );
  const left = await B.req('POST', `/_matrix/client/v3/rooms/${roomId}/leave`, {
    token: jo.token,
    body: {},
  });
  expect(left.statusCode, left.body).toBe(200);
  const leave = await events.getCurrentStateEventJson(A.ctx.db, roomId, 'm.room.member', jo.userId);
  const pdu = JSON.parse(leave!.json) as Pdu;
  expect(pdu.content.membership).toBe('leave');
  expect(pdu.event_id).toMatch(/:b\.test$/);
  expect(Array.isArray(pdu.prev_events[0])).toBe(true);
});
