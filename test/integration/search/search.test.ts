import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { searchClient, type User } from './fixture.js';

/**
 * POST /search, `room_events` (client-server API "Server Side Search"): what is found,
 * its order, pages, filters, groups, context and state, as a client reads them.
 */

let s: TestServer;
let c: ReturnType<typeof searchClient>;
let alice: User;
let bob: User;
let carol: User;
/** alice and bob */
let roomA: string;
/** alice and carol */
let roomB: string;

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  c = searchClient(s);
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
  roomA = await c.createRoom(alice, { preset: 'public_chat', name: 'Orchard planning' });
  await c.join(bob, roomA, { displayname: 'Bobby', avatar_url: 'mxc://test.local/bob' });
  roomB = await c.createRoom(alice, { preset: 'public_chat', topic: 'Gardening club' });
  await c.join(carol, roomB);
});
afterAll(() => s.close());

describe('matching', () => {
  it('finds a message by a word of its body, with rank, count and highlights', async () => {
    const id = await c.send(bob, roomA, 'The Martians have landed');
    const res = await c.roomEvents(alice, { search_term: 'martians' });
    expect(res.results).toHaveLength(1);
    expect(res.results[0].rank).toEqual(expect.any(Number));
    expect(res.results[0].result).toMatchObject({
      event_id: id,
      room_id: roomA,
      sender: bob.userId,
      type: 'm.room.message',
      content: { body: 'The Martians have landed' },
    });
    expect(res.results[0].result.unsigned.age).toEqual(expect.any(Number));
    expect(res.results[0].context).toBeUndefined();
    expect(res.count).toBe(1);
    expect(res.highlights).toContain('martians');
    expect(res.next_batch).toBeUndefined();
  });

  it('matches word prefixes, ignoring case and accents; highlights the words found', async () => {
    const id = await c.send(alice, roomA, 'Crème brûlée at the Café');
    expect(await c.ids(alice, { search_term: 'CREME brul' })).toEqual([id]);
    const res = await c.roomEvents(bob, { search_term: 'cafe' });
    expect(res.results.map((r: { result: { event_id: string } }) => r.result.event_id)).toEqual([
      id,
    ]);
    expect(res.highlights).toEqual(expect.arrayContaining(['cafe', 'café']));
    expect(await c.ids(alice, { search_term: 'brulees' })).toEqual([]);
  });

  it('every word must match; "or" gives alternatives, -word excludes, quotes make a phrase', async () => {
    const tea = await c.send(alice, roomA, 'green tea with lemon');
    const coffee = await c.send(alice, roomA, 'black coffee with sugar');
    expect(await c.ids(alice, { search_term: 'tea lemon' })).toEqual([tea]);
    expect(await c.ids(alice, { search_term: 'tea sugar' })).toEqual([]);
    expect(new Set(await c.ids(alice, { search_term: 'tea or coffee' }))).toEqual(
      new Set([tea, coffee]),
    );
    expect(await c.ids(alice, { search_term: 'with -lemon' })).toEqual([coffee]);
    expect(await c.ids(alice, { search_term: '"coffee with"' })).toEqual([coffee]);
    expect(await c.ids(alice, { search_term: '"with coffee"' })).toEqual([]);
    expect(await c.ids(alice, { search_term: 'with -"green tea"' })).toEqual([coffee]);
  });

  it('searches room names and topics; `keys` narrows the search to some of them', async () => {
    const byName = await c.roomEvents(alice, { search_term: 'orchard' });
    expect(byName.results.map((r: { result: { type: string } }) => r.result.type)).toEqual([
      'm.room.name',
    ]);
    const byTopic = await c.roomEvents(alice, { search_term: 'gardening' });
    expect(byTopic.results[0].result).toMatchObject({
      type: 'm.room.topic',
      room_id: roomB,
      content: { topic: 'Gardening club' },
    });
    expect(await c.ids(alice, { search_term: 'orchard', keys: ['content.body'] })).toEqual([]);
    expect(
      await c.ids(alice, { search_term: 'gardening', keys: ['content.name', 'content.topic'] }),
    ).toHaveLength(1);
  });

  it('searches the text/plain m.topic representations of a topic', async () => {
    const id = await c.state(alice, roomB, 'm.room.topic', {
      topic: 'Weekly meeting',
      'm.topic': {
        'm.text': [
          { mimetype: 'text/html', body: '<b>Weekly</b> meeting about hedgehogs' },
          { body: 'Weekly meeting, bring compost' },
        ],
      },
    });
    expect(await c.ids(alice, { search_term: 'compost' })).toEqual([id]);
    expect(await c.ids(alice, { search_term: 'hedgehogs' })).toEqual([]);
  });

  it('an event whose searched key is not a string is stored and simply not found', async () => {
    for (const body of [42, { nested: 'zebra' }, null, ['zebra']]) {
      await c.send(alice, roomA, body);
    }
    await c.state(alice, roomA, 'm.room.name', { name: { text: 'zebra' } });
    expect(await c.ids(alice, { search_term: 'zebra' })).toEqual([]);
  });

  it('a term with no letters or digits finds nothing (and is no error)', async () => {
    const res = await c.roomEvents(alice, { search_term: '  ...  ' });
    expect(res).toEqual({ results: [], count: 0, highlights: [] });
  });
});

describe('ordering', () => {
  let strong: string;
  let weak: string;
  beforeAll(async () => {
    strong = await c.send(alice, roomA, 'kiwi kiwi kiwi');
    weak = await c.send(
      alice,
      roomA,
      'one kiwi among very many other words that make this message long and dull',
    );
  });

  it('rank (the default) puts the closer match first; recent puts the newer first', async () => {
    expect(await c.ids(alice, { search_term: 'kiwi' })).toEqual([strong, weak]);
    expect(await c.ids(alice, { search_term: 'kiwi', order_by: 'rank' })).toEqual([strong, weak]);
    expect(await c.ids(alice, { search_term: 'kiwi', order_by: 'recent' })).toEqual([weak, strong]);
    const ranked = await c.roomEvents(alice, { search_term: 'kiwi' });
    expect(ranked.results[0].rank).toBeGreaterThan(ranked.results[1].rank);
  });
});

describe('pagination', () => {
  const sent: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 23; i++) sent.push(await c.send(bob, roomA, `pagemarker number ${i}`));
  });

  it.each(['recent', 'rank'])(
    '%s: next_batch pages through every match, then stops',
    async (order) => {
      const seen: string[] = [];
      let next: string | undefined;
      const sizes: number[] = [];
      do {
        const res = await c.roomEvents(
          alice,
          { search_term: 'pagemarker', order_by: order, filter: { limit: 10 } },
          next,
        );
        expect(res.count).toBe(23);
        sizes.push(res.results.length);
        seen.push(...res.results.map((r: { result: { event_id: string } }) => r.result.event_id));
        next = res.next_batch;
      } while (next !== undefined && sizes.length < 10);
      expect(sizes).toEqual([10, 10, 3]);
      expect(new Set(seen)).toEqual(new Set(sent));
      expect(seen).toHaveLength(23);
      if (order === 'recent') expect(seen).toEqual([...sent].reverse());
    },
  );

  it('pages do not shift when new matches arrive meanwhile', async () => {
    const first = await c.roomEvents(alice, {
      search_term: 'pagemarker',
      order_by: 'recent',
      filter: { limit: 20 },
    });
    const newer = await c.send(bob, roomA, 'pagemarker arriving late');
    const second = await c.roomEvents(
      alice,
      { search_term: 'pagemarker', order_by: 'recent', filter: { limit: 20 } },
      first.next_batch,
    );
    const ids = second.results.map((r: { result: { event_id: string } }) => r.result.event_id);
    expect(ids).toEqual(sent.slice(0, 3).reverse());
    expect(ids).not.toContain(newer);
  });

  it('a token is for the ordering it came from, and must be ours: 400 M_INVALID_PARAM', async () => {
    const res = await c.roomEvents(alice, {
      search_term: 'pagemarker',
      order_by: 'recent',
      filter: { limit: 5 },
    });
    const other = await c.search(
      alice,
      { search_term: 'pagemarker', order_by: 'rank' },
      res.next_batch,
    );
    expect(other.statusCode).toBe(400);
    expect(other.json().errcode).toBe('M_INVALID_PARAM');
    for (const bad of [
      'not-a-token',
      '',
      Buffer.from('{"o":"recent","u":-1,"c":0}').toString('base64url'),
      Buffer.from('{"o":"recent","u":1,"c":0,"g":["topic","x"]}').toString('base64url'),
      Buffer.from('[1,2]').toString('base64url'),
    ]) {
      const r = await c.search(alice, { search_term: 'pagemarker', order_by: 'recent' }, bad);
      expect({ bad, status: r.statusCode, errcode: r.json().errcode }).toEqual({
        bad,
        status: 400,
        errcode: 'M_INVALID_PARAM',
      });
    }
  });
});

describe('filter', () => {
  let fromBob: string;
  let fromAlice: string;
  let inB: string;
  let withUrl: string;
  beforeAll(async () => {
    fromBob = await c.send(bob, roomA, 'filtertest from bob');
    fromAlice = await c.send(alice, roomA, 'filtertest from alice');
    inB = await c.send(carol, roomB, 'filtertest in room b');
    withUrl = await c.send(alice, roomB, 'filtertest picture', {
      msgtype: 'm.image',
      url: 'mxc://test.local/pic',
    });
  });
  const ids = (filter: Record<string, unknown>) =>
    c.ids(alice, { search_term: 'filtertest', order_by: 'recent', filter });

  it('rooms and not_rooms', async () => {
    expect(await ids({ rooms: [roomA] })).toEqual([fromAlice, fromBob]);
    expect(await ids({ not_rooms: [roomA] })).toEqual([withUrl, inB]);
    expect(await ids({ rooms: [roomA], not_rooms: [roomA] })).toEqual([]);
  });

  it('senders and not_senders', async () => {
    expect(await ids({ senders: [bob.userId, carol.userId] })).toEqual([inB, fromBob]);
    expect(await ids({ not_senders: [alice.userId] })).toEqual([inB, fromBob]);
  });

  it('types, contains_url and limit', async () => {
    expect(await ids({ types: ['m.room.name'] })).toEqual([]);
    expect(await ids({ types: ['m.room.*'] })).toHaveLength(4);
    expect(await ids({ not_types: ['m.room.message'] })).toEqual([]);
    expect(await ids({ contains_url: true })).toEqual([withUrl]);
    expect(await ids({ contains_url: false })).toEqual([inB, fromAlice, fromBob]);
    const limited = await c.roomEvents(alice, {
      search_term: 'filtertest',
      order_by: 'recent',
      filter: { limit: 1 },
    });
    expect(limited.results).toHaveLength(1);
    expect(limited.next_batch).toEqual(expect.any(String));
  });

  it('count follows the rooms and senders searched', async () => {
    const count = async (filter: Record<string, unknown>) =>
      (await c.roomEvents(alice, { search_term: 'filtertest', filter })).count;
    expect(await count({})).toBe(4);
    expect(await count({ rooms: [roomB] })).toBe(2);
    expect(await count({ senders: [bob.userId] })).toBe(1);
  });

  it('a filter that is not a RoomEventFilter: 400 M_BAD_JSON', async () => {
    for (const filter of [{ limit: -1 }, { rooms: 'nope' }, { senders: ['not-a-user'] }, 'x']) {
      const r = await c.search(alice, { search_term: 'filtertest', filter });
      expect({ filter, status: r.statusCode, errcode: r.json().errcode }).toEqual({
        filter,
        status: 400,
        errcode: 'M_BAD_JSON',
      });
    }
  });
});

describe('groupings, context and state', () => {
  let a1: string;
  let a2: string;
  let b1: string;
  beforeAll(async () => {
    a1 = await c.send(alice, roomA, 'grouped one');
    await c.send(alice, roomA, 'between the grouped ones');
    a2 = await c.send(bob, roomA, 'grouped two');
    b1 = await c.send(carol, roomB, 'grouped three');
  });

  it('group_by room_id and sender partitions the results, each group with its order', async () => {
    const res = await c.roomEvents(alice, {
      search_term: 'grouped',
      keys: ['content.body'],
      order_by: 'recent',
      filter: { not_senders: [alice.userId] },
      groupings: { group_by: [{ key: 'room_id' }, { key: 'sender' }] },
    });
    expect(res.results.map((r: { result: { event_id: string } }) => r.result.event_id)).toEqual([
      b1,
      a2,
    ]);
    expect(res.groups.room_id).toEqual({
      [roomB]: { results: [b1], order: 1 },
      [roomA]: { results: [a2], order: 2 },
    });
    expect(res.groups.sender).toEqual({
      [carol.userId]: { results: [b1], order: 1 },
      [bob.userId]: { results: [a2], order: 2 },
    });
  });

  it("a group's next_batch continues within that group", async () => {
    const res = await c.roomEvents(alice, {
      search_term: 'grouped',
      order_by: 'recent',
      filter: { limit: 1 },
      groupings: { group_by: [{ key: 'room_id' }] },
    });
    expect(res.results[0].result.event_id).toBe(b1);
    const token = res.groups.room_id[roomB].next_batch as string;
    expect(token).toEqual(expect.any(String));
    const more = await c.roomEvents(
      alice,
      { search_term: 'grouped', order_by: 'recent', filter: { limit: 5 } },
      token,
    );
    // Only room B's matches: nothing older than b1 there.
    expect(more.results).toEqual([]);
    expect(more.next_batch).toBeUndefined();
    const sender = await c.roomEvents(alice, {
      search_term: 'grouped',
      order_by: 'recent',
      filter: { limit: 1 },
      groupings: { group_by: [{ key: 'sender' }] },
    });
    const bobs = await c.ids(
      alice,
      { search_term: 'grouped', order_by: 'recent' },
      sender.groups.sender[carol.userId].next_batch,
    );
    expect(bobs).toEqual([]);
  });

  it("event_context: events around each result, tokens, and the senders' profiles then", async () => {
    const res = await c.roomEvents(alice, {
      search_term: '"grouped one"',
      event_context: { before_limit: 1, after_limit: 2, include_profile: true },
    });
    expect(res.results).toHaveLength(1);
    const ctx = res.results[0].context;
    expect(ctx.events_before).toHaveLength(1);
    expect(ctx.events_after.map((e: { event_id: string }) => e.event_id)).toEqual([
      expect.any(String),
      a2,
    ]);
    expect(ctx.events_after[0].content.body).toBe('between the grouped ones');
    expect(ctx.start).toMatch(/^s\d+$/);
    expect(ctx.end).toMatch(/^s\d+$/);
    expect(ctx.profile_info[bob.userId]).toEqual({
      displayname: 'Bobby',
      avatar_url: 'mxc://test.local/bob',
    });
    expect(Object.keys(ctx.profile_info)).toContain(alice.userId);
    // The tokens page /messages from the context's edges.
    const page = await s.req(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomA)}/messages?dir=f&limit=4&from=${ctx.start}`,
      { token: alice.token },
    );
    expect(page.json().chunk.map((e: { event_id: string }) => e.event_id)).toEqual([
      ctx.events_before[0].event_id,
      a1,
      ctx.events_after[0].event_id,
      a2,
    ]);
  });

  it('event_context defaults to 5 before and 5 after; no profile_info unless asked', async () => {
    const res = await c.roomEvents(alice, { search_term: 'grouped two', event_context: {} });
    const ctx = res.results[0].context;
    expect(ctx.events_before).toHaveLength(5);
    expect(ctx.events_after.length).toBeLessThanOrEqual(5);
    expect(ctx.profile_info).toBeUndefined();
  });

  it('include_state: the current state of each room with results', async () => {
    const res = await c.roomEvents(alice, {
      search_term: 'grouped',
      include_state: true,
      filter: { rooms: [roomB] },
    });
    expect(Object.keys(res.state)).toEqual([roomB]);
    const types = res.state[roomB].map((e: { type: string }) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['m.room.create', 'm.room.member', 'm.room.topic']),
    );
    expect(
      res.state[roomB].find(
        (e: { type: string; state_key: string }) => e.state_key === carol.userId,
      ),
    ).toMatchObject({ content: { membership: 'join' } });
  });
});
