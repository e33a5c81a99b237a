import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { getEventJson, insertEvent } from '../../../server/events/store.js';

/** Reading a room's timeline: /messages, /event, /context and /timestamp_to_event. */

const V3 = '/_matrix/client/v3';
type User = { userId: string; token: string; deviceId: string };
type Ev = {
  event_id: string;
  type: string;
  sender: string;
  state_key?: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  unsigned: Record<string, unknown>;
};
let s: TestServer;
let alice: User;
let bob: User;
let carol: User;
let txn = 0;

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
});
afterAll(() => s.close());

const room = (roomId: string) => `${V3}/rooms/${encodeURIComponent(roomId)}`;
async function createRoom(body: Record<string, unknown> = {}): Promise<string> {
  const r = await s.req('POST', `${V3}/createRoom`, { token: alice.token, body });
  expect(r.statusCode).toBe(200);
  return r.json().room_id as string;
}
async function send(roomId: string, user: User, body: string, extra = {}): Promise<string> {
  const r = await s.req('PUT', `${room(roomId)}/send/m.room.message/t${++txn}`, {
    token: user.token,
    body: { msgtype: 'm.text', body, ...extra },
  });
  expect(r.statusCode).toBe(200);
  return r.json().event_id as string;
}
async function setState(roomId: string, user: User, type: string, key: string, content: object) {
  const r = await s.req('PUT', `${room(roomId)}/state/${type}/${encodeURIComponent(key)}`, {
    token: user.token,
    body: content,
  });
  expect(r.statusCode).toBe(200);
  return r.json().event_id as string;
}
const member = (roomId: string, user: User, membership: string, by = user) =>
  setState(roomId, by, 'm.room.member', user.userId, { membership });
async function messages(roomId: string, user: User, query: string) {
  return s.req('GET', `${room(roomId)}/messages?${query}`, { token: user.token });
}
/** Every page of /messages in one direction, following `end` until it is absent. */
async function pageAll(roomId: string, user: User, dir: 'b' | 'f', limit: number) {
  const seen: Ev[] = [];
  let from: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const q = `dir=${dir}&limit=${limit}${from ? `&from=${from}` : ''}`;
    const r = await messages(roomId, user, q);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.chunk.length).toBeLessThanOrEqual(limit);
    seen.push(...(body.chunk as Ev[]));
    if (body.end === undefined) return seen;
    from = body.end as string;
  }
  throw new Error('pagination did not end');
}
const bodies = (evs: Ev[]) =>
  evs.filter((e) => e.type === 'm.room.message').map((e) => e.content.body as string);

describe('GET /messages', () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await createRoom({ preset: 'public_chat' });
    for (let i = 0; i < 500; i++) await send(roomId, alice, `m${i}`);
  }, 60_000);

  it('pages 500 messages backwards and forwards with no gaps or duplicates', async () => {
    const back = await pageAll(roomId, alice, 'b', 37);
    const fwd = await pageAll(roomId, alice, 'f', 50);
    const expected = Array.from({ length: 500 }, (_, i) => `m${i}`);
    expect(bodies(back)).toEqual([...expected].reverse());
    expect(bodies(fwd)).toEqual(expected);
    expect(new Set(back.map((e) => e.event_id)).size).toBe(back.length);
    expect(fwd.map((e) => e.event_id)).toEqual(back.map((e) => e.event_id).reverse());
    // The room's first event is its create event; state events are part of the timeline.
    expect(fwd[0]!.type).toBe('m.room.create');
  });

  it('defaults to 10 from the end; `to` bounds a page and `start` echoes `from`', async () => {
    const first = (await messages(roomId, alice, 'dir=b')).json();
    expect(bodies(first.chunk)).toEqual(Array.from({ length: 10 }, (_, i) => `m${499 - i}`));
    expect(first.start).toMatch(/^s\d+$/);
    const next = (await messages(roomId, alice, `dir=b&from=${first.end}&limit=5`)).json();
    expect(next.start).toBe(first.end);
    expect(bodies(next.chunk)).toEqual(['m489', 'm488', 'm487', 'm486', 'm485']);
    // Forwards from where the second page ended up to where the first started: the 15 again.
    const between = (
      await messages(roomId, alice, `dir=f&from=${next.end}&to=${first.start}&limit=100`)
    ).json();
    expect(bodies(between.chunk)).toEqual(Array.from({ length: 15 }, (_, i) => `m${485 + i}`));
    expect(between.end).toBeUndefined();
    // A /sync-style token is read by its first (events) position.
    const sync = (
      await messages(roomId, alice, `dir=b&from=${first.end as string}_0_0_0_0_0&limit=1`)
    ).json();
    expect(bodies(sync.chunk)).toEqual(['m489']);
  });

  it("filters by type, sender and contains_url, and lazy-loads the senders' members", async () => {
    const r2 = await createRoom({ preset: 'public_chat' });
    await member(r2, bob, 'join');
    await send(r2, bob, 'from bob');
    await send(r2, alice, 'picture', { msgtype: 'm.image', url: 'mxc://test.local/abc' });
    await send(r2, alice, 'from alice');
    const q = (f: object) => `dir=b&filter=${encodeURIComponent(JSON.stringify(f))}`;
    const only = async (f: object) => (await messages(r2, alice, q(f))).json();
    expect(bodies((await only({ senders: [bob.userId] })).chunk)).toEqual(['from bob']);
    expect(bodies((await only({ contains_url: true })).chunk)).toEqual(['picture']);
    expect(bodies((await only({ contains_url: false, types: ['m.room.message'] })).chunk)).toEqual([
      'from alice',
      'from bob',
    ]);
    const noState = (await only({ not_types: ['m.room.*'] })).chunk as Ev[];
    expect(noState).toEqual([]);
    const lazy = await only({ types: ['m.room.message'], lazy_load_members: true });
    const members = (lazy.state as Ev[]).map((e) => [e.type, e.state_key]).sort();
    expect(members).toEqual(
      [
        ['m.room.member', alice.userId],
        ['m.room.member', bob.userId],
      ].sort(),
    );
    expect((await only({})).state).toBeUndefined();
  });

  it('refuses bad requests: tokens, limits, dir, filters; non-members and unknown rooms', async () => {
    for (const q of [
      'dir=b&from=abc',
      'dir=b&from=s',
      'dir=f&to=t12',
      'dir=b&limit=-1',
      'dir=b&limit=1001',
      'dir=b&limit=ten',
      'dir=x',
      `dir=b&filter=${encodeURIComponent('{"limit":"x"}')}`,
      `dir=b&filter=${encodeURIComponent('[1]')}`,
    ]) {
      expectError(await messages(roomId, alice, q), 400, 'M_INVALID_PARAM');
    }
    expectError(await messages(roomId, alice, 'limit=1'), 400, 'M_MISSING_PARAM');
    expectError(await messages(roomId, alice, 'dir=b&filter=%7Bnope'), 400, 'M_NOT_JSON');
    expectError(await messages(roomId, carol, 'dir=b'), 403, 'M_FORBIDDEN');
    expectError(await messages('!nope:test.local', alice, 'dir=b'), 404, 'M_NOT_FOUND');
    const all = (await messages(roomId, alice, 'dir=b&limit=1000')).json();
    expect(bodies(all.chunk)).toHaveLength(500);
    expect(all.end).toBeUndefined();
  });
});

describe('history visibility', () => {
  async function roomWith(visibility: string) {
    const roomId = await createRoom({ preset: 'public_chat' });
    await setState(roomId, alice, 'm.room.history_visibility', '', {
      history_visibility: visibility,
    });
    await send(roomId, alice, 'before');
    return roomId;
  }

  it('joined: a later joiner sees from their join on, not before', async () => {
    const roomId = await roomWith('joined');
    const beforeId = (await pageAll(roomId, alice, 'b', 50))[0]!.event_id;
    await member(roomId, bob, 'join');
    await send(roomId, alice, 'after');
    const seen = await pageAll(roomId, bob, 'b', 3);
    expect(bodies(seen)).toEqual(['after']);
    // Events from before the change to `joined` stay visible (shared then); those after it,
    // until bob joined, are not.
    expect(seen.map((e) => e.event_id)).not.toContain(beforeId);
    expect(seen.find((e) => e.type === 'm.room.history_visibility')).toBeDefined();
    expect(seen.find((e) => e.state_key === bob.userId)).toBeDefined();
    expectError(
      await s.req('GET', `${room(roomId)}/event/${encodeURIComponent(beforeId)}`, {
        token: bob.token,
      }),
      404,
      'M_NOT_FOUND',
    );
    expectError(
      await s.req('GET', `${room(roomId)}/context/${encodeURIComponent(beforeId)}`, {
        token: bob.token,
      }),
      404,
      'M_NOT_FOUND',
    );
  });

  it('shared: a later joiner sees everything; after leaving, nothing newer', async () => {
    const roomId = await roomWith('shared');
    await member(roomId, bob, 'join');
    await send(roomId, alice, 'while joined');
    await member(roomId, bob, 'leave');
    await send(roomId, alice, 'after leaving');
    expect(bodies(await pageAll(roomId, bob, 'b', 4))).toEqual(['while joined', 'before']);
    expect(bodies(await pageAll(roomId, bob, 'f', 4))).toEqual(['before', 'while joined']);
    // Their own leave event stays visible to them.
    const seen = await pageAll(roomId, bob, 'f', 100);
    expect(seen.at(-1)).toMatchObject({ type: 'm.room.member', content: { membership: 'leave' } });
  });

  it('invited: visible from the invite on once joined', async () => {
    const roomId = await roomWith('invited');
    await member(roomId, bob, 'invite', alice);
    await send(roomId, alice, 'after invite');
    await member(roomId, bob, 'join');
    expect(bodies(await pageAll(roomId, bob, 'b', 10))).toEqual(['after invite']);
  });

  it('world_readable: anyone may read without joining', async () => {
    const roomId = await roomWith('world_readable');
    expect(bodies(await pageAll(roomId, carol, 'b', 10))).toEqual(['before']);
  });
});

describe('GET /event and /context', () => {
  let roomId: string;
  const ids: string[] = [];
  beforeAll(async () => {
    roomId = await createRoom({ preset: 'public_chat' });
    await member(roomId, bob, 'join');
    for (let i = 0; i < 20; i++) ids.push(await send(roomId, i % 2 ? bob : alice, `c${i}`));
  });
  const get = (p: string, user = alice) =>
    s.req('GET', `${room(roomId)}${p}`, { token: user.token });

  it('/event returns the event as clients see it; unknown, foreign and unseen events are 404', async () => {
    const r = await get(`/event/${encodeURIComponent(ids[3]!)}`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      event_id: ids[3],
      room_id: roomId,
      type: 'm.room.message',
      sender: bob.userId,
      content: { body: 'c3' },
    });
    expect(typeof r.json().unsigned.age).toBe('number');
    expectError(await get('/event/$nope'), 404, 'M_NOT_FOUND');
    const other = await createRoom();
    const otherEvent = await send(other, alice, 'elsewhere');
    expectError(await get(`/event/${encodeURIComponent(otherEvent)}`), 404, 'M_NOT_FOUND');
    expectError(await get(`/event/${encodeURIComponent(ids[0]!)}`, carol), 404, 'M_NOT_FOUND');
    expectError(
      await s.req('GET', `${room('!nope:test.local')}/event/${encodeURIComponent(ids[0]!)}`, {
        token: alice.token,
      }),
      404,
      'M_NOT_FOUND',
    );
  });

  it('a state event that replaced another carries prev_content, prev_sender and replaces_state', async () => {
    const first = await setState(roomId, alice, 'm.room.topic', '', { topic: 'one' });
    const second = await setState(roomId, alice, 'm.room.topic', '', { topic: 'two' });
    const ev = (await get(`/event/${encodeURIComponent(second)}`)).json();
    expect(ev.unsigned).toMatchObject({
      prev_content: { topic: 'one' },
      prev_sender: alice.userId,
      replaces_state: first,
    });
    const page = (await get('/messages?dir=b&limit=2')).json();
    expect(page.chunk[0].unsigned.prev_content).toEqual({ topic: 'one' });
    expect(page.chunk[1].unsigned.prev_content).toBeUndefined();
    ids.push(await send(roomId, alice, 'c20'));
  });

  it('outliers and rejected events are never served', async () => {
    const json = (await getEventJson(s.ctx.db, ids.at(-1)!))!;
    const hidden = ['$outlier', '$rejected'];
    await s.ctx.writer.transaction('test_insert', async (tx) => {
      for (const eventId of hidden) {
        await insertEvent(tx, {
          eventId,
          roomId,
          type: 'm.room.message',
          stateKey: null,
          sender: alice.userId,
          depth: 1000,
          originServerTs: Date.now(),
          outlier: eventId === '$outlier',
          rejectedReason: eventId === '$rejected' ? 'auth' : null,
          stateGroup: null,
          json,
        });
      }
    });
    for (const id of hidden) expectError(await get(`/event/${id}`), 404, 'M_NOT_FOUND');
    const page = (await get('/messages?dir=b&limit=1')).json();
    expect(page.chunk.map((e: Ev) => e.event_id)).toEqual([ids.at(-1)]);
  });

  it('/context splits the limit around the event; its tokens continue in /messages', async () => {
    const r = await get(`/context/${encodeURIComponent(ids[10]!)}?limit=6`);
    expect(r.statusCode).toBe(200);
    const c = r.json();
    expect(c.event.event_id).toBe(ids[10]);
    expect(bodies(c.events_before)).toEqual(['c9', 'c8', 'c7']);
    expect(bodies(c.events_after)).toEqual(['c11', 'c12', 'c13']);
    const before = (await get(`/messages?dir=b&limit=2&from=${c.start}`)).json();
    expect(bodies(before.chunk)).toEqual(['c6', 'c5']);
    const after = (await get(`/messages?dir=f&limit=2&from=${c.end}`)).json();
    expect(bodies(after.chunk)).toEqual(['c14', 'c15']);
    const types = (c.state as Ev[]).map((e) => e.type);
    expect(types).toContain('m.room.create');
    expect(types).toContain('m.room.power_levels');
  });

  it('/context applies the filter to the events around and to the state', async () => {
    const f = encodeURIComponent(
      JSON.stringify({ senders: [bob.userId], lazy_load_members: true }),
    );
    const c = (await get(`/context/${encodeURIComponent(ids[10]!)}?limit=4&filter=${f}`)).json();
    expect(c.event.content.body).toBe('c10');
    expect(bodies(c.events_before)).toEqual(['c9', 'c7']);
    expect(bodies(c.events_after)).toEqual(['c11', 'c13']);
    // The members of the senders of every event returned, the event itself included.
    expect((c.state as Ev[]).map((e) => e.state_key).sort()).toEqual(
      [alice.userId, bob.userId].sort(),
    );
    const zero = (await get(`/context/${encodeURIComponent(ids[0]!)}?limit=0`)).json();
    expect(zero.events_before).toEqual([]);
    expect(zero.events_after).toEqual([]);
  });

  it('/context errors: unknown event 404, non-member 403, bad limit 400', async () => {
    expectError(await get('/context/$nope'), 404, 'M_NOT_FOUND');
    expectError(await get(`/context/${encodeURIComponent(ids[1]!)}`, carol), 403, 'M_FORBIDDEN');
    expectError(
      await get(`/context/${encodeURIComponent(ids[1]!)}?limit=x`),
      400,
      'M_INVALID_PARAM',
    );
  });
});

describe('GET /timestamp_to_event', () => {
  it('finds the closest event in each direction, or 404', async () => {
    const roomId = await createRoom({ preset: 'public_chat' });
    for (let i = 0; i < 5; i++) await send(roomId, alice, `ts${i}`);
    const evs = (await pageAll(roomId, alice, 'f', 100)).filter((e) => e.type === 'm.room.message');
    const mid = evs[2]!;
    const path = `/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/timestamp_to_event`;
    const at = (q: string, user = alice) => s.req('GET', `${path}?${q}`, { token: user.token });
    const f = (await at(`ts=${mid.origin_server_ts}&dir=f`)).json();
    expect(f.origin_server_ts).toBeGreaterThanOrEqual(mid.origin_server_ts);
    const b = (await at(`ts=${mid.origin_server_ts}&dir=b`)).json();
    expect(b.origin_server_ts).toBeLessThanOrEqual(mid.origin_server_ts);
    const last = evs.at(-1)!;
    expect((await at(`ts=${last.origin_server_ts + 60_000}&dir=b`)).json()).toEqual({
      event_id: last.event_id,
      origin_server_ts: last.origin_server_ts,
    });
    expectError(await at(`ts=${last.origin_server_ts + 60_000}&dir=f`), 404, 'M_NOT_FOUND');
    expectError(await at('ts=0&dir=b'), 404, 'M_NOT_FOUND');
    expectError(await at('dir=b'), 400, 'M_MISSING_PARAM');
    expectError(await at('ts=soon&dir=b'), 400, 'M_INVALID_PARAM');
    expectError(await at('ts=1&dir=up'), 400, 'M_INVALID_PARAM');
    expectError(await at('ts=1&dir=f', carol), 403, 'M_FORBIDDEN');
  });
});

describe('every spec endpoint of these modules is served', () => {
  const MODULES = new Set([
    'message_pagination',
    'event_context',
    'room_event_by_timestamp',
    'redaction',
  ]);
  const url = new URL('../../fixtures/endpoints.tsv', import.meta.url);
  const [header, ...lines] = readFileSync(url, 'utf8').trimEnd().split('\n');
  const cols = header!.split('\t');
  const rows = lines
    .map((line) => Object.fromEntries(line.split('\t').map((v, i) => [cols[i], v])))
    .filter(
      (r) =>
        r.api === 'client-server' &&
        (MODULES.has(r.module!) || r.operationId === 'getOneRoomEvent'),
    )
    .map((r) => [r.method!, r.path!] as const);

  it('covers the 5 endpoints', () => {
    expect(rows).toHaveLength(5);
  });

  it.each(rows)('%s %s', async (method, path) => {
    const target = path.replace(/\{(\w+)\}/g, (_m: string, n: string) =>
      encodeURIComponent(n === 'roomId' ? '!room:test.local' : n === 'eventId' ? '$e' : 'x'),
    );
    const r = await s.req(method, target, {
      token: alice.token,
      ...(method === 'PUT' ? { body: {} } : {}),
    });
    const errcode = r.body ? (JSON.parse(r.body) as { errcode?: string }).errcode : undefined;
    expect(errcode, `${method} ${path} -> ${r.statusCode} ${r.body}`).not.toBe('M_UNRECOGNIZED');
    expect(r.statusCode).toBeLessThan(500);
  });
});
