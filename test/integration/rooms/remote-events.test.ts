import { expect, test } from 'vitest';
import { systemClock, systemRandom } from '../../../server/core/clock.js';
import { generateSigningKey, signingKeyFromSeed } from '../../../server/core/signing.js';
import { authEventsNeeded, type AuthEvent } from '../../../server/events/auth/check.js';
import { buildEvent, type EventOrigin } from '../../../server/events/build.js';
import type { Pdu } from '../../../server/events/event-format.js';
import { MissingEventsError, persistRemoteEvent } from '../../../server/events/persist-remote.js';
import { roomVersion } from '../../../server/events/room-versions.js';
import { loadStateGroup } from '../../../server/events/state-groups.js';
import { stateKeyId, type StateMap } from '../../../server/events/state-map.js';
import * as store from '../../../server/events/store.js';
import { useServer, type TestServer } from '../../helpers/server.js';

/**
 * Events of another server entering a local room (server/events/persist-remote.ts): the
 * spec's checks on receipt, steps 4 to 6 — rejected against their auth events or the state
 * before them, soft-failed against the current state — and forks of the DAG merged by
 * state resolution, as a local client sees the outcome.
 */

const server = useServer();

const key = generateSigningKey(systemRandom);
const remote: EventOrigin = {
  serverName: 'remote.test',
  key: signingKeyFromSeed(key.version, key.seed),
  now: () => systemClock.now(),
  random: systemRandom,
};
const BOB = '@bob:remote.test';

async function setUp(s: TestServer, name: string) {
  const alice = await s.register(name);
  const roomId = (
    await s.req('POST', '/_matrix/client/v3/createRoom', {
      token: alice.token,
      body: { preset: 'public_chat', room_version: '10' },
    })
  ).json().room_id as string;
  return { alice, roomId };
}

/** The state after `eventId` and its auth events' refs, as the remote server would see it. */
async function stateAfter(s: TestServer, eventId: string): Promise<StateMap> {
  const row = (await store.getEventRow(s.ctx.db, eventId))!;
  return loadStateGroup(s.ctx, row.state_group!);
}

async function ref(s: TestServer, eventId: string) {
  const pdu = JSON.parse((await store.getEventJson(s.ctx.db, eventId))!) as Pdu;
  return { eventId, sha256: pdu.hashes.sha256, depth: pdu.depth };
}

/** An event of remote.test on `prevIds`, with the auth events their first state names. */
async function remoteEvent(
  s: TestServer,
  roomId: string,
  e: { type: string; stateKey?: string; sender?: string; content: object; prevIds: string[] },
) {
  const version = roomVersion('10')!;
  const state = await stateAfter(s, e.prevIds[0]!);
  const draft = {
    type: e.type,
    sender: e.sender ?? BOB,
    content: e.content as Record<string, unknown>,
    room_id: roomId,
    ...(e.stateKey !== undefined ? { state_key: e.stateKey } : {}),
  } as AuthEvent;
  const authIds = authEventsNeeded(draft, version)
    .map(([t, k]) => state.get(stateKeyId(t, k)))
    .filter((id): id is string => id !== undefined);
  const prevs = await Promise.all(e.prevIds.map((id) => ref(s, id)));
  const built = buildEvent(remote, version, {
    type: e.type,
    stateKey: e.stateKey,
    sender: e.sender ?? BOB,
    content: e.content as Record<string, unknown>,
    roomId,
    prevEvents: prevs,
    authEvents: await Promise.all(authIds.map((id) => ref(s, id))),
    depth: Math.max(...prevs.map((p) => p.depth)) + 1,
  });
  return { version, roomId, eventId: built.eventId, pdu: built.pdu };
}

const extremities = (s: TestServer, roomId: string) =>
  store.getForwardExtremities(s.ctx.db, roomId);

async function messagesOf(s: TestServer, token: string, roomId: string): Promise<string[]> {
  const res = await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/messages?dir=b&limit=100`, {
    token,
  });
  return res.json().chunk.map((e: { event_id: string }) => e.event_id);
}

async function joinBob(s: TestServer, roomId: string) {
  const [head] = await extremities(s, roomId);
  const join = await remoteEvent(s, roomId, {
    type: 'm.room.member',
    stateKey: BOB,
    content: { membership: 'join' },
    prevIds: [head!],
  });
  expect((await persistRemoteEvent(s.ctx, join)).outcome).toBe('accepted');
  return join.eventId;
}

test('a remote join and message are accepted, seen by local clients, and move the extremity', async () => {
  const s = server();
  const { alice, roomId } = await setUp(s, 'accept');
  const joinId = await joinBob(s, roomId);
  expect(await extremities(s, roomId)).toEqual([joinId]);
  const members = await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/joined_members`, {
    token: alice.token,
  });
  expect(Object.keys(members.json().joined)).toContain(BOB);

  const msg = await remoteEvent(s, roomId, {
    type: 'm.room.message',
    content: { msgtype: 'm.text', body: 'hi from afar' },
    prevIds: [joinId],
  });
  expect(await persistRemoteEvent(s.ctx, msg)).toMatchObject({ outcome: 'accepted' });
  expect((await messagesOf(s, alice.token, roomId))[0]).toBe(msg.eventId);
  // The same event again changes nothing.
  expect(await persistRemoteEvent(s.ctx, msg)).toEqual({
    eventId: msg.eventId,
    outcome: 'duplicate',
  });
  // A local event builds on the remote one.
  const sent = await s.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/1`, {
    token: alice.token,
    body: { msgtype: 'm.text', body: 'welcome' },
  });
  const local = JSON.parse((await store.getEventJson(s.ctx.db, sent.json().event_id))!) as Pdu;
  expect(local.prev_events).toEqual([msg.eventId]);
});

test('an event that fails the auth rules against the state before it is rejected and never served', async () => {
  const s = server();
  const { alice, roomId } = await setUp(s, 'reject');
  const [head] = await extremities(s, roomId);
  // Mallory never joined: her message fails against the state before it.
  const msg = await remoteEvent(s, roomId, {
    type: 'm.room.message',
    sender: '@mallory:remote.test',
    content: { msgtype: 'm.text', body: 'let me in' },
    prevIds: [head!],
  });
  const out = await persistRemoteEvent(s.ctx, msg);
  expect(out.outcome).toBe('rejected');
  expect(out.outcome === 'rejected' && out.reason).toMatch(/not in this room/);
  expect(await messagesOf(s, alice.token, roomId)).not.toContain(msg.eventId);
  expect(await extremities(s, roomId)).toEqual([head]);
  const byId = await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/event/${msg.eventId}`, {
    token: alice.token,
  });
  expect(byId.statusCode).toBe(404);
});

test('an event citing auth events the rules would not pick is rejected', async () => {
  const s = server();
  const { roomId } = await setUp(s, 'authlist');
  const joinId = await joinBob(s, roomId);
  const msg = await remoteEvent(s, roomId, {
    type: 'm.room.message',
    content: { msgtype: 'm.text', body: 'x' },
    prevIds: [joinId],
  });
  // Re-signed with an extra auth event (the join rules, which a message never needs).
  const state = await stateAfter(s, joinId);
  const joinRules = state.get(stateKeyId('m.room.join_rules', ''))!;
  const version = roomVersion('10')!;
  const bad = buildEvent(remote, version, {
    type: 'm.room.message',
    sender: BOB,
    content: { msgtype: 'm.text', body: 'x' },
    roomId,
    prevEvents: [await ref(s, joinId)],
    authEvents: await Promise.all(
      [...(msg.pdu.auth_events as string[]), joinRules].map((id) => ref(s, id)),
    ),
    depth: msg.pdu.depth,
  });
  const out = await persistRemoteEvent(s.ctx, {
    version,
    roomId,
    eventId: bad.eventId,
    pdu: bad.pdu,
  });
  expect(out.outcome).toBe('rejected');
});

test('an event allowed by the state before it but not by the current state is soft-failed', async () => {
  const s = server();
  const { alice, roomId } = await setUp(s, 'softfail');
  const joinId = await joinBob(s, roomId);
  const ban = await s.req('POST', `/_matrix/client/v3/rooms/${roomId}/ban`, {
    token: alice.token,
    body: { user_id: BOB },
  });
  expect(ban.statusCode).toBe(200);
  const [afterBan] = await extremities(s, roomId);
  // Bob's server sends on the part of the DAG from before the ban.
  const msg = await remoteEvent(s, roomId, {
    type: 'm.room.message',
    content: { msgtype: 'm.text', body: 'you cannot ban me' },
    prevIds: [joinId],
  });
  expect((await persistRemoteEvent(s.ctx, msg)).outcome).toBe('soft_failed');
  expect(await messagesOf(s, alice.token, roomId)).not.toContain(msg.eventId);
  // Not an extremity: the next local event builds on the ban alone.
  expect(await extremities(s, roomId)).toEqual([afterBan]);
});

test('a fork from another server is merged: current state is resolved and the next local event cites both ends', async () => {
  const s = server();
  const { alice, roomId } = await setUp(s, 'fork');
  await joinBob(s, roomId);
  // Alice lets Bob set the topic, then talks on.
  const pl = (
    await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/state/m.room.power_levels/`, {
      token: alice.token,
    })
  ).json();
  const plRes = await s.req(
    'PUT',
    `/_matrix/client/v3/rooms/${roomId}/state/m.room.power_levels/`,
    {
      token: alice.token,
      body: { ...pl, users: { ...pl.users, [BOB]: 50 } },
    },
  );
  const plId = plRes.json().event_id as string;
  const sent = await s.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/f1`, {
    token: alice.token,
    body: { msgtype: 'm.text', body: 'meanwhile' },
  });
  const aliceMsg = sent.json().event_id as string;
  // Bob's server, not having seen Alice's message, sets the topic on the power levels.
  const topic = await remoteEvent(s, roomId, {
    type: 'm.room.topic',
    stateKey: '',
    content: { topic: 'set from afar' },
    prevIds: [plId],
  });
  expect((await persistRemoteEvent(s.ctx, topic)).outcome).toBe('accepted');
  expect((await extremities(s, roomId)).sort()).toEqual([aliceMsg, topic.eventId].sort());
  const current = await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/state/m.room.topic/`, {
    token: alice.token,
  });
  expect(current.json()).toEqual({ topic: 'set from afar' });

  const next = await s.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/f2`, {
    token: alice.token,
    body: { msgtype: 'm.text', body: 'merged' },
  });
  expect(next.statusCode).toBe(200);
  const merged = JSON.parse((await store.getEventJson(s.ctx.db, next.json().event_id))!) as Pdu;
  expect([...(merged.prev_events as string[])].sort()).toEqual([aliceMsg, topic.eventId].sort());
  expect(await extremities(s, roomId)).toEqual([next.json().event_id]);
  // The state after the merge holds the topic, as the state at the new event.
  const at = await stateAfter(s, next.json().event_id);
  expect(at.get(stateKeyId('m.room.topic', ''))).toBe(topic.eventId);
});

test('an event whose prev events are unknown is refused until they are fetched; nothing is written', async () => {
  const s = server();
  const { roomId } = await setUp(s, 'missing');
  const joinId = await joinBob(s, roomId);
  const msg = await remoteEvent(s, roomId, {
    type: 'm.room.message',
    content: { msgtype: 'm.text', body: 'x' },
    prevIds: [joinId],
  });
  const version = roomVersion('10')!;
  const orphan = buildEvent(remote, version, {
    type: 'm.room.message',
    sender: BOB,
    content: { msgtype: 'm.text', body: 'after a gap' },
    roomId,
    prevEvents: [{ eventId: '$unknown-event', sha256: 'x' }],
    authEvents: await Promise.all((msg.pdu.auth_events as string[]).map((id) => ref(s, id))),
    depth: 10,
  });
  const err = await persistRemoteEvent(s.ctx, {
    version,
    roomId,
    eventId: orphan.eventId,
    pdu: orphan.pdu,
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(MissingEventsError);
  expect((err as MissingEventsError).eventIds).toEqual(['$unknown-event']);
  expect(await store.getEventRow(s.ctx.db, orphan.eventId)).toBeUndefined();
});
