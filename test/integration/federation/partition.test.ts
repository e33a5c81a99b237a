import { afterAll, beforeAll, expect, test } from 'vitest';
import * as store from '../../../server/events/store.js';
import type { FederationSender } from '../../../server/federation/sender/sender.js';
import {
  startFederatedServer,
  startTestSender,
  until,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';

/**
 * Two real Hearths sharing a room, cut off from each other and joined again (the test
 * takes their names out of the loopback map, so every request between them fails as if
 * the other were down, then puts them back): what one sent while the other was away
 * arrives, in order; and when both changed the room while apart, both end with the same
 * state (state resolution over the forked DAG) and the next event merges the forks.
 */

const ports = new Map<string, number>();
let a: FederatedTestServer;
let b: FederatedTestServer;
const senders: FederationSender[] = [];
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };

beforeAll(async () => {
  a = await startFederatedServer('a.test', ports);
  b = await startFederatedServer('b.test', ports);
  for (const s of [a, b]) senders.push(await startTestSender(s.ctx, 400));
  alice = await a.register('alice');
  bob = await b.register('bob');
}, 30_000);

afterAll(async () => {
  for (const s of senders) await s.stop();
  await b?.close();
  await a?.close();
});

function partition(): Map<string, number> {
  const saved = new Map(ports);
  ports.clear();
  return saved;
}

async function heal(saved: Map<string, number>): Promise<void> {
  for (const [name, port] of saved) ports.set(name, port);
  await Promise.all(senders.map((s) => s.wake()));
}

async function bodies(s: FederatedTestServer, token: string, roomId: string): Promise<string[]> {
  const res = await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/messages?dir=f&limit=1000`, {
    token,
  });
  expect(res.statusCode).toBe(200);
  return (res.json().chunk as { type: string; content: { body?: string } }[])
    .filter((e) => e.type === 'm.room.message')
    .map((e) => e.content.body!);
}

async function stateIds(s: FederatedTestServer, token: string, roomId: string) {
  const res = await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/state`, { token });
  expect(res.statusCode).toBe(200);
  return (res.json() as { event_id: string }[]).map((e) => e.event_id).sort();
}

async function sharedRoom(name: string): Promise<string> {
  const created = await a.req('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: {
      preset: 'public_chat',
      name,
      power_level_content_override: { users: { [bob.userId]: 50 } },
    },
  });
  expect(created.statusCode, created.body).toBe(200);
  const roomId = created.json().room_id as string;
  const join = await b.req('POST', `/_matrix/client/v3/join/${roomId}?server_name=a.test`, {
    token: bob.token,
    body: {},
  });
  expect(join.statusCode, join.body).toBe(200);
  return roomId;
}

test('200 messages sent while the other server is down arrive, all and in order', async () => {
  const roomId = await sharedRoom('catch-up');
  const saved = partition();
  const sent: string[] = [];
  for (let i = 0; i < 200; i++) {
    const body = `while you were away ${i}`;
    const res = await a.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/c${i}`, {
      token: alice.token,
      body: { msgtype: 'm.text', body },
    });
    expect(res.statusCode).toBe(200);
    sent.push(body);
  }
  expect(await bodies(b, bob.token, roomId)).toEqual([]);
  await heal(saved);
  const got = await until(async () => {
    const seen = await bodies(b, bob.token, roomId);
    return seen.length >= 200 && seen;
  }, 30_000);
  expect(got).toEqual(sent);
}, 60_000);

test('both servers change the room while apart; both end with the same state, and the next event merges', async () => {
  const roomId = await sharedRoom('fork');
  const saved = partition();
  const onA = await a.req('PUT', `/_matrix/client/v3/rooms/${roomId}/state/m.room.topic/`, {
    token: alice.token,
    body: { topic: 'set on A' },
  });
  expect(onA.statusCode).toBe(200);
  const onB = await b.req('PUT', `/_matrix/client/v3/rooms/${roomId}/state/m.room.name/`, {
    token: bob.token,
    body: { name: 'named on B' },
  });
  expect(onB.statusCode, onB.body).toBe(200);
  for (const [s, u, tag] of [
    [a, alice, 'a'],
    [b, bob, 'b'],
  ] as const) {
    const res = await s.req(
      'PUT',
      `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/${tag}1`,
      {
        token: u.token,
        body: { msgtype: 'm.text', body: `apart on ${tag}` },
      },
    );
    expect(res.statusCode).toBe(200);
  }
  await heal(saved);
  for (const [s, u] of [
    [a, alice],
    [b, bob],
  ] as const) {
    await until(async () => {
      const seen = await bodies(s, u.token, roomId);
      return seen.includes('apart on a') && seen.includes('apart on b');
    }, 20_000);
  }
  const [stateA, stateB] = [
    await stateIds(a, alice.token, roomId),
    await stateIds(b, bob.token, roomId),
  ];
  expect(stateA).toEqual(stateB);
  for (const [s, u] of [
    [a, alice],
    [b, bob],
  ] as const) {
    const topic = await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/state/m.room.topic/`, {
      token: u.token,
    });
    expect(topic.json()).toEqual({ topic: 'set on A' });
    const name = await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/state/m.room.name/`, {
      token: u.token,
    });
    expect(name.json()).toEqual({ name: 'named on B' });
  }
  // Each side's DAG has two ends now; the next event cites both, and then there is one.
  expect((await store.getForwardExtremities(a.ctx.db, roomId)).length).toBe(2);
  const merge = await a.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/m1`, {
    token: alice.token,
    body: { msgtype: 'm.text', body: 'together again' },
  });
  const mergeId = merge.json().event_id as string;
  await until(async () => (await bodies(b, bob.token, roomId)).includes('together again'), 20_000);
  for (const s of [a, b]) {
    expect(await store.getForwardExtremities(s.ctx.db, roomId)).toEqual([mergeId]);
  }
}, 60_000);
