import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildLocalEvent } from '../../../server/events/build.js';
import type { Pdu } from '../../../server/events/event-format.js';
import { roomVersion } from '../../../server/events/room-versions.js';
import * as store from '../../../server/events/store.js';
import type { FederationClient } from '../../../server/federation/types.js';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';

/**
 * History older than what a server has (server-server "Backfilling and retrieving missing
 * events"), between two real Hearths: a user of B who joins a room of A pages back past
 * the join and reads the room's earlier messages, fetched from A with /backfill, in order;
 * /sync does not serve them as news. A room created on B never asks anyone. A backfilled
 * event with a bad signature is dropped and never served. A unreachable: /messages
 * answers with what B has. And an incoming transaction whose gap is wider than
 * /get_missing_events closes is persisted on the state at the gap (/state_ids).
 */

const ports = new Map<string, number>();
let a: FederatedTestServer;
let b: FederatedTestServer;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };

interface Ev {
  event_id: string;
  type: string;
  sender: string;
  content: { body?: string; topic?: string };
}

beforeAll(async () => {
  a = await startFederatedServer('a.test', ports);
  b = await startFederatedServer('b.test', ports);
  alice = await a.register('alice');
  bob = await b.register('bob');
}, 30_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
});

async function send(s: FederatedTestServer, token: string, roomId: string, body: string) {
  const res = await s.req(
    'PUT',
    `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/${encodeURIComponent(body)}`,
    { token, body: { msgtype: 'm.text', body } },
  );
  expect(res.statusCode, res.body).toBe(200);
  return res.json().event_id as string;
}

/** A room of A with `n` messages of alice's, then bob of B joins it. */
async function roomWithHistory(
  name: string,
  n: number,
): Promise<{ roomId: string; sent: string[] }> {
  const created = await a.req('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: { preset: 'public_chat', name },
  });
  expect(created.statusCode, created.body).toBe(200);
  const roomId = created.json().room_id as string;
  const sent: string[] = [];
  for (let i = 1; i <= n; i++) {
    const body = `${name} ${i}`;
    await send(a, alice.token, roomId, body);
    sent.push(body);
  }
  const join = await b.req('POST', `/_matrix/client/v3/join/${roomId}?server_name=a.test`, {
    token: bob.token,
    body: {},
  });
  expect(join.statusCode, join.body).toBe(200);
  return { roomId, sent };
}

/** Pages back through B's /messages with `end` tokens; every event, newest first. */
async function pageBack(
  roomId: string,
  limit = 10,
): Promise<{ events: Ev[]; pages: number; tokens: string[] }> {
  const events: Ev[] = [];
  const tokens: string[] = [];
  let from: string | undefined;
  let pages = 0;
  for (; pages < 50; pages++) {
    const q = `dir=b&limit=${limit}${from ? `&from=${encodeURIComponent(from)}` : ''}`;
    const res = await b.req('GET', `/_matrix/client/v3/rooms/${roomId}/messages?${q}`, {
      token: bob.token,
    });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { chunk: Ev[]; end?: string };
    events.push(...page.chunk);
    if (!page.end) break;
    from = page.end;
    tokens.push(from);
  }
  return { events, pages, tokens };
}

function bodiesOf(events: Ev[]): string[] {
  return events.filter((e) => e.type === 'm.room.message').map((e) => e.content.body!);
}

function requestsTo(s: FederatedTestServer, part: string): number {
  return s.federation.sent.filter((r) => r.path.includes(part)).length;
}

test('B pages back past the join: all 30 earlier messages, in order; /sync does not serve them as new', async () => {
  const { roomId, sent } = await roomWithHistory('history', 30);
  // bob's sync right after the join: the join, none of the history.
  const first = await b.req('GET', '/_matrix/client/v3/sync?timeout=0', { token: bob.token });
  expect(first.statusCode).toBe(200);
  const firstTimeline = first.json().rooms.join[roomId].timeline.events as Ev[];
  expect(bodiesOf(firstTimeline)).toEqual([]);
  const since = first.json().next_batch as string;

  const before = requestsTo(b, '/backfill/');
  const { events, pages, tokens } = await pageBack(roomId);
  expect(requestsTo(b, '/backfill/')).toBeGreaterThan(before);
  // Each round is bounded: at most 100 events asked for.
  for (const r of b.federation.sent.filter((x) => x.path.includes('/backfill/'))) {
    expect(Number(/[?&]limit=(\d+)/.exec(r.path)![1])).toBeLessThanOrEqual(100);
  }
  // Newest first, as dir=b pages: the join, then alice's messages from the last one back.
  expect(events[0]).toMatchObject({ type: 'm.room.member', sender: bob.userId });
  expect(bodiesOf(events)).toEqual([...sent].reverse());
  expect(pages).toBeGreaterThanOrEqual(3);
  // History sorts below every stored event: the tokens that reach it are negative.
  expect(tokens.some((t) => /^s-\d+$/.test(t))).toBe(true);
  // The oldest ones needed the state before them (their prev events are the room's
  // state, which B holds as outliers).
  expect(requestsTo(b, '/state_ids/')).toBeGreaterThan(0);
  // One of them, by id, as a client reads it.
  const oldest = events.find((e) => e.content.body === sent[0])!;
  const one = await b.req('GET', `/_matrix/client/v3/rooms/${roomId}/event/${oldest.event_id}`, {
    token: bob.token,
  });
  expect(one.statusCode, one.body).toBe(200);
  expect(one.json().content.body).toBe(sent[0]);

  // Not news: an incremental sync from before the backfill serves none of it.
  const next = await b.req('GET', `/_matrix/client/v3/sync?timeout=0&since=${since}`, {
    token: bob.token,
  });
  expect(next.statusCode).toBe(200);
  const room = next.json().rooms?.join?.[roomId];
  expect(bodiesOf((room?.timeline?.events as Ev[] | undefined) ?? [])).toEqual([]);
  // Nor a fresh initial sync: its timeline is the room's news since the join.
  const later = await b.req('GET', `/_matrix/client/v3/sync?timeout=0`, { token: bob.token });
  expect(bodiesOf(later.json().rooms.join[roomId].timeline.events as Ev[])).toEqual([]);

  // Paging back again asks nobody: the history reaches the room's creation.
  const asked = requestsTo(b, '/backfill/');
  const again = await pageBack(roomId, 100);
  expect(bodiesOf(again.events)).toEqual([...sent].reverse());
  expect(requestsTo(b, '/backfill/')).toBe(asked);
}, 60_000);

test('a room created on B never asks for backfill, even with a member of A', async () => {
  const created = await b.req('POST', '/_matrix/client/v3/createRoom', {
    token: bob.token,
    body: { preset: 'public_chat' },
  });
  expect(created.statusCode).toBe(200);
  const roomId = created.json().room_id as string;
  const join = await a.req('POST', `/_matrix/client/v3/join/${roomId}?server_name=b.test`, {
    token: alice.token,
    body: {},
  });
  expect(join.statusCode, join.body).toBe(200);
  for (const m of ['one', 'two', 'three']) await send(b, bob.token, roomId, m);
  const before = b.federation.sent.length;
  const { events } = await pageBack(roomId, 100);
  expect(bodiesOf(events)).toEqual(['three', 'two', 'one']);
  expect(events.at(-1)!.type).toBe('m.room.create');
  expect(b.federation.sent.slice(before).filter((r) => r.path.includes('/backfill/'))).toEqual([]);
}, 30_000);

test('a backfilled event with a bad signature is dropped and never served', async () => {
  const { roomId, sent } = await roomWithHistory('forged', 6);
  const forgedBody = sent[2]!;
  const real: FederationClient = b.ctx.federation;
  b.ctx.federation = {
    async request(destination, req) {
      const res = await real.request(destination, req);
      if (req.path.includes('/backfill/')) {
        const pdus = (res.body as { pdus: Record<string, unknown>[] }).pdus;
        for (const pdu of pdus) {
          if ((pdu.content as { body?: string }).body !== forgedBody) continue;
          // Another signature of a.test's key: valid base64, wrong bytes.
          const sigs = pdu.signatures as Record<string, Record<string, string>>;
          for (const key of Object.keys(sigs['a.test']!)) {
            sigs['a.test']![key] = Buffer.alloc(64, 7).toString('base64').replace(/=+$/, '');
          }
        }
      }
      return res;
    },
  };
  try {
    const { events } = await pageBack(roomId);
    const bodies = bodiesOf(events);
    expect(bodies).not.toContain(forgedBody);
    // The others are there, in order.
    expect(bodies).toEqual([...sent].filter((s) => s !== forgedBody).reverse());
  } finally {
    b.ctx.federation = real;
  }
  // Never stored: not served by id either.
  const onA = await a.req('GET', `/_matrix/client/v3/rooms/${roomId}/messages?dir=b&limit=50`, {
    token: alice.token,
  });
  const forgedId = (onA.json().chunk as Ev[]).find((e) => e.content.body === forgedBody)!.event_id;
  expect(await store.getEventRow(b.ctx.db, forgedId)).toBeUndefined();
  const byId = await b.req('GET', `/_matrix/client/v3/rooms/${roomId}/event/${forgedId}`, {
    token: bob.token,
  });
  expect(byId.statusCode).toBe(404);
}, 60_000);

test('a backfilled event that fails the auth rules is stored rejected and never served', async () => {
  const { roomId, sent } = await roomWithHistory('intruder', 4);
  // carol of c.test never joined: her message, properly signed by c.test, on the second
  // message of the room, slipped into A's answer.
  const c = await startFederatedServer('c.test', ports);
  try {
    const onA = await a.req('GET', `/_matrix/client/v3/rooms/${roomId}/messages?dir=b&limit=50`, {
      token: alice.token,
    });
    const second = (onA.json().chunk as Ev[]).find((e) => e.content.body === sent[1])!;
    const prev = JSON.parse((await store.getEventJson(a.ctx.db, second.event_id))!) as Pdu;
    const version = roomVersion((await store.getRoom(a.ctx.db, roomId))!.room_version)!;
    const built = buildLocalEvent(c.ctx, version, {
      type: 'm.room.message',
      sender: '@carol:c.test',
      content: { msgtype: 'm.text', body: 'carol was never here' },
      roomId,
      prevEvents: [{ eventId: second.event_id, sha256: prev.hashes.sha256 }],
      // The power levels alone: she has no member event to cite.
      authEvents: (prev.auth_events as string[])
        .slice(0, 1)
        .map((id) => ({ eventId: id, sha256: '' })),
      depth: prev.depth + 1,
    });
    const real: FederationClient = b.ctx.federation;
    b.ctx.federation = {
      async request(destination, req) {
        const res = await real.request(destination, req);
        if (req.path.includes('/backfill/')) {
          (res.body as { pdus: unknown[] }).pdus.unshift(built.pdu);
        }
        return res;
      },
    };
    try {
      const { events } = await pageBack(roomId);
      expect(bodiesOf(events)).toEqual([...sent].reverse());
    } finally {
      b.ctx.federation = real;
    }
    const row = await store.getEventRow(b.ctx.db, built.eventId);
    expect(row?.rejected_reason).toMatch(/auth events|state before/);
    const byId = await b.req('GET', `/_matrix/client/v3/rooms/${roomId}/event/${built.eventId}`, {
      token: bob.token,
    });
    expect(byId.statusCode).toBe(404);
  } finally {
    await c.close();
  }
}, 60_000);

test('A unreachable: /messages answers with what B has, without an error', async () => {
  const { roomId } = await roomWithHistory('unreachable', 5);
  const port = ports.get('a.test')!;
  ports.delete('a.test');
  try {
    const res = await b.req('GET', `/_matrix/client/v3/rooms/${roomId}/messages?dir=b&limit=10`, {
      token: bob.token,
    });
    expect(res.statusCode, res.body).toBe(200);
    const chunk = res.json().chunk as Ev[];
    expect(chunk.map((e) => e.type)).toEqual(['m.room.member']);
    expect(res.json().end).toBeUndefined();
  } finally {
    ports.set('a.test', port);
  }
}, 30_000);

test('a gap of 15 events in an incoming transaction is filled through /state_ids', async () => {
  const { roomId } = await roomWithHistory('gap', 0);
  // A changes the topic and sends 14 messages that B does not get (A runs no sender here),
  // then the 16th event comes to B in a transaction of its own.
  const topic = await a.req('PUT', `/_matrix/client/v3/rooms/${roomId}/state/m.room.topic/`, {
    token: alice.token,
    body: { topic: 'set in the gap' },
  });
  expect(topic.statusCode).toBe(200);
  for (let i = 1; i <= 14; i++) await send(a, alice.token, roomId, `gap ${i}`);
  const lastId = await send(a, alice.token, roomId, 'after the gap');
  const pdu = JSON.parse((await store.getEventJson(a.ctx.db, lastId))!) as Record<string, unknown>;
  delete pdu.event_id;
  delete pdu.unsigned;

  const stateIdsBefore = requestsTo(b, '/state_ids/');
  const res = await a.federation.request('b.test', {
    method: 'PUT',
    path: '/_matrix/federation/v1/send/gap-1',
    body: { origin: 'a.test', origin_server_ts: Date.now(), pdus: [pdu] },
  });
  expect(res.status).toBe(200);
  expect((res.body as { pdus: Record<string, unknown> }).pdus[lastId]).toEqual({});
  expect(requestsTo(b, '/get_missing_events/')).toBeGreaterThan(0);
  expect(requestsTo(b, '/state_ids/')).toBeGreaterThan(stateIdsBefore);

  // bob sees the event, and the room's state includes the topic set inside the gap.
  const got = await b.req('GET', `/_matrix/client/v3/rooms/${roomId}/event/${lastId}`, {
    token: bob.token,
  });
  expect(got.statusCode, got.body).toBe(200);
  const state = await b.req('GET', `/_matrix/client/v3/rooms/${roomId}/state/m.room.topic/`, {
    token: bob.token,
  });
  expect(state.statusCode, state.body).toBe(200);
  expect(state.json().topic).toBe('set in the gap');
  // The newest ten of the gap came with /get_missing_events, in order before the event.
  const page = await b.req('GET', `/_matrix/client/v3/rooms/${roomId}/messages?dir=b&limit=11`, {
    token: bob.token,
  });
  expect(bodiesOf(page.json().chunk as Ev[]).slice(0, 3)).toEqual([
    'after the gap',
    'gap 14',
    'gap 13',
  ]);
  // bob can answer in the room: his event builds on it.
  await send(b, bob.token, roomId, 'bob after the gap');
}, 60_000);
