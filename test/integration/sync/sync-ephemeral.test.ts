import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** GET /sync's account data and ephemeral sections, and the tokens that carry their streams. */

const V3 = '/_matrix/client/v3';
type User = { userId: string; token: string; deviceId: string };
type Ev = { type: string; content: Record<string, unknown> };
let s: TestServer;
let n = 0;

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
});
afterAll(() => s.close());

const e = encodeURIComponent;
let txn = 0;

const user = () => s.register(`u${++n}`) as Promise<User>;

async function sharedRoom(a: User, b: User): Promise<string> {
  const r = await s.req('POST', `${V3}/createRoom`, {
    token: a.token,
    body: { preset: 'public_chat' },
  });
  expect(r.statusCode).toBe(200);
  const roomId = r.json().room_id as string;
  const j = await s.req('POST', `${V3}/rooms/${e(roomId)}/join`, { token: b.token, body: {} });
  expect(j.statusCode).toBe(200);
  return roomId;
}
async function send(u: User, roomId: string, body: string): Promise<string> {
  const r = await s.req('PUT', `${V3}/rooms/${e(roomId)}/send/m.room.message/t${++txn}`, {
    token: u.token,
    body: { msgtype: 'm.text', body },
  });
  expect(r.statusCode).toBe(200);
  return r.json().event_id as string;
}
async function put(u: User, path: string, body: unknown) {
  const r = await s.req('PUT', `${V3}${path}`, { token: u.token, body });
  expect(r.statusCode).toBe(200);
}
async function receipt(u: User, roomId: string, eventId: string) {
  const r = await s.req('POST', `${V3}/rooms/${e(roomId)}/receipt/m.read/${e(eventId)}`, {
    token: u.token,
    body: {},
  });
  expect(r.statusCode).toBe(200);
}
async function sync(u: User, query: Record<string, string> = {}) {
  const qs = new URLSearchParams(query).toString();
  const r = await s.req('GET', `${V3}/sync${qs ? `?${qs}` : ''}`, { token: u.token });
  return r;
}
async function syncOk(u: User, query: Record<string, string> = {}) {
  const r = await sync(u, query);
  expect(r.statusCode).toBe(200);
  return r.json();
}
const ofType = (events: Ev[] | undefined, type: string) =>
  (events ?? []).filter((ev) => ev.type === type);

describe('account data in /sync', () => {
  it('global and room account data: all on initial sync, changes on incremental', async () => {
    const a = await user();
    const b = await user();
    const roomId = await sharedRoom(a, b);
    await put(a, `/user/${e(a.userId)}/account_data/org.example.one`, { v: 1 });
    await put(a, `/user/${e(a.userId)}/rooms/${e(roomId)}/account_data/org.example.r`, { r: 1 });

    const first = await syncOk(a);
    expect(first.next_batch).toMatch(/^s\d+(_\d+){0,6}$/);
    expect(ofType(first.account_data.events, 'org.example.one')).toEqual([
      { type: 'org.example.one', content: { v: 1 } },
    ]);
    expect(ofType(first.rooms.join[roomId].account_data.events, 'org.example.r')).toEqual([
      { type: 'org.example.r', content: { r: 1 } },
    ]);

    await put(a, `/user/${e(a.userId)}/account_data/org.example.two`, { v: 2 });
    await put(a, `/user/${e(a.userId)}/rooms/${e(roomId)}/account_data/org.example.r`, { r: 2 });
    const next = await syncOk(a, { since: first.next_batch });
    expect(next.account_data.events).toEqual([{ type: 'org.example.two', content: { v: 2 } }]);
    // The room is in the answer for its account data alone.
    const joined = next.rooms.join[roomId];
    expect(joined.timeline.events).toEqual([]);
    expect(joined.account_data.events).toEqual([{ type: 'org.example.r', content: { r: 2 } }]);

    const quiet = await syncOk(a, { since: next.next_batch });
    expect(quiet.account_data.events).toEqual([]);
    expect(quiet.rooms.join).toEqual({});
  });

  it('tags appear as m.tag room account data', async () => {
    const a = await user();
    const b = await user();
    const roomId = await sharedRoom(a, b);
    const since = (await syncOk(a)).next_batch as string;
    await put(a, `/user/${e(a.userId)}/rooms/${e(roomId)}/tags/u.work`, { order: 0.5 });
    const r = await syncOk(a, { since });
    expect(ofType(r.rooms.join[roomId].account_data.events, 'm.tag')).toEqual([
      { type: 'm.tag', content: { tags: { 'u.work': { order: 0.5 } } } },
    ]);
  });

  it('respects the filter account_data and room.account_data types', async () => {
    const a = await user();
    const b = await user();
    const roomId = await sharedRoom(a, b);
    await put(a, `/user/${e(a.userId)}/account_data/org.example.keep`, {});
    await put(a, `/user/${e(a.userId)}/account_data/org.example.drop`, {});
    await put(a, `/user/${e(a.userId)}/rooms/${e(roomId)}/account_data/org.example.drop`, {});
    const filter = JSON.stringify({
      account_data: { not_types: ['org.example.drop'] },
      room: { account_data: { types: ['m.tag'] } },
    });
    const r = await syncOk(a, { filter });
    const types = r.account_data.events.map((ev: Ev) => ev.type);
    expect(types).toContain('org.example.keep');
    expect(types).not.toContain('org.example.drop');
    expect(r.rooms.join[roomId].account_data.events).toEqual([]);
  });
});

describe('ephemeral events in /sync', () => {
  it('a receipt from another user appears in ephemeral', async () => {
    const a = await user();
    const b = await user();
    const roomId = await sharedRoom(a, b);
    const eventId = await send(a, roomId, 'read me');
    const since = (await syncOk(a)).next_batch as string;
    await receipt(b, roomId, eventId);
    const r = await syncOk(a, { since });
    const joined = r.rooms.join[roomId];
    expect(joined.timeline.events).toEqual([]);
    const [ev] = ofType(joined.ephemeral.events, 'm.receipt');
    expect(ev?.content[eventId]).toMatchObject({
      'm.read': { [b.userId]: { ts: expect.any(Number) } },
    });
    // An initial sync carries it too.
    const initial = await syncOk(a);
    expect(ofType(initial.rooms.join[roomId].ephemeral.events, 'm.receipt')).toHaveLength(1);
  });

  it('typing appears on incremental and initial sync, and its end too', async () => {
    const a = await user();
    const b = await user();
    const roomId = await sharedRoom(a, b);
    const since = (await syncOk(a)).next_batch as string;
    await put(b, `/rooms/${e(roomId)}/typing/${e(b.userId)}`, { typing: true, timeout: 30_000 });
    const r = await syncOk(a, { since });
    expect(ofType(r.rooms.join[roomId].ephemeral.events, 'm.typing')).toEqual([
      { type: 'm.typing', content: { user_ids: [b.userId] } },
    ]);
    const initial = await syncOk(a);
    expect(ofType(initial.rooms.join[roomId].ephemeral.events, 'm.typing')).toEqual([
      { type: 'm.typing', content: { user_ids: [b.userId] } },
    ]);
    await put(b, `/rooms/${e(roomId)}/typing/${e(b.userId)}`, { typing: false });
    const stopped = await syncOk(a, { since: r.next_batch });
    expect(ofType(stopped.rooms.join[roomId].ephemeral.events, 'm.typing')).toEqual([
      { type: 'm.typing', content: { user_ids: [] } },
    ]);
  });

  it('respects the filter room.ephemeral types', async () => {
    const a = await user();
    const b = await user();
    const roomId = await sharedRoom(a, b);
    const eventId = await send(a, roomId, 'x');
    await receipt(b, roomId, eventId);
    await put(b, `/rooms/${e(roomId)}/typing/${e(b.userId)}`, { typing: true, timeout: 30_000 });
    const filter = JSON.stringify({ room: { ephemeral: { not_types: ['m.receipt'] } } });
    const r = await syncOk(a, { filter });
    const types = r.rooms.join[roomId].ephemeral.events.map((ev: Ev) => ev.type);
    expect(types).toEqual(['m.typing']);
  });
});

describe('long-polls on the user data streams', () => {
  async function wokenBy(a: User, since: string, act: () => Promise<void>) {
    const polling = syncOk(a, { since, timeout: '10000' });
    await new Promise((r) => setTimeout(r, 50));
    const at = performance.now();
    await act();
    const r = await polling;
    expect(performance.now() - at).toBeLessThan(500);
    return r;
  }

  it('wakes on typing', async () => {
    const a = await user();
    const b = await user();
    const roomId = await sharedRoom(a, b);
    const since = (await syncOk(a)).next_batch as string;
    const r = await wokenBy(a, since, () =>
      put(b, `/rooms/${e(roomId)}/typing/${e(b.userId)}`, { typing: true, timeout: 30_000 }),
    );
    expect(ofType(r.rooms.join[roomId].ephemeral.events, 'm.typing')).toEqual([
      { type: 'm.typing', content: { user_ids: [b.userId] } },
    ]);
  });

  it('wakes on a receipt', async () => {
    const a = await user();
    const b = await user();
    const roomId = await sharedRoom(a, b);
    const eventId = await send(a, roomId, 'x');
    const since = (await syncOk(a)).next_batch as string;
    const r = await wokenBy(a, since, () => receipt(b, roomId, eventId));
    expect(ofType(r.rooms.join[roomId].ephemeral.events, 'm.receipt')).toHaveLength(1);
  });

  it('wakes on global account data', async () => {
    const a = await user();
    const since = (await syncOk(a)).next_batch as string;
    const r = await wokenBy(a, since, () =>
      put(a, `/user/${e(a.userId)}/account_data/org.example.wake`, { w: true }),
    );
    expect(r.account_data.events).toEqual([{ type: 'org.example.wake', content: { w: true } }]);
  });
});

describe('sync tokens', () => {
  it('an old s<n> token still works, reading the other streams as 0', async () => {
    const a = await user();
    const b = await user();
    const roomId = await sharedRoom(a, b);
    await receipt(b, roomId, await send(a, roomId, 'x'));
    const first = await syncOk(a);
    const events = /^s(\d+)/.exec(first.next_batch as string)![1]!;
    await put(a, `/user/${e(a.userId)}/account_data/org.example.old`, { o: 1 });
    const r = await syncOk(a, { since: `s${events}` });
    expect(ofType(r.account_data.events, 'org.example.old')).toHaveLength(1);
    // The receipt stream reads as 0 too: the receipt sent before the token comes again.
    expect(ofType(r.rooms.join[roomId]?.ephemeral.events, 'm.receipt')).toHaveLength(1);
    expect(r.next_batch).toMatch(/^s\d+_\d+/);
  });

  it('a typing position from before a restart reads as 0', async () => {
    const a = await user();
    const first = await syncOk(a);
    const [ev, ad, rc] = (first.next_batch as string).slice(1).split('_');
    const r = await syncOk(a, { since: `s${ev}_${ad ?? 0}_${rc ?? 0}_999999` });
    expect(r.rooms.join).toEqual({});
  });

  it.each(['s1_2_3_4_5_6_7_8', 'x1', 's01', 's1__2', 's1_-2'])(
    'a malformed token %j is 400',
    async (t) => {
      expectError(await sync(await user(), { since: t }), 400, 'M_INVALID_PARAM');
    },
  );
});
