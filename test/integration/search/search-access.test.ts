import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { searchClient, V3, type User } from './fixture.js';

/**
 * POST /search: only what the user may see is found (rooms they are joined to, events
 * their history visibility allows, nothing redacted), and no search term or body can make
 * it fail with anything but a clear 400.
 */

let s: TestServer;
let c: ReturnType<typeof searchClient>;
let alice: User;
let bob: User;
let carol: User;

beforeAll(async () => {
  s = await createTestServer({
    rc_room_creation: { per_second: 1000, burst_count: 1000 },
    allow_guest_access: true,
  });
  c = searchClient(s);
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
});
afterAll(() => s.close());

describe('which rooms and events are searched', () => {
  it('a room the user never joined is not searched, even a public one', async () => {
    const room = await c.createRoom(carol, { preset: 'public_chat' });
    await c.send(carol, room, 'unicorn sighting');
    expect(await c.ids(alice, { search_term: 'unicorn' })).toEqual([]);
    expect(await c.ids(alice, { search_term: 'unicorn', filter: { rooms: [room] } })).toEqual([]);
    expect((await c.roomEvents(alice, { search_term: 'unicorn' })).count).toBe(0);
    expect(await c.ids(carol, { search_term: 'unicorn' })).toHaveLength(1);
  });

  it('a room the user left is no longer searched (as Synapse: joined rooms only)', async () => {
    const room = await c.createRoom(carol, { preset: 'public_chat' });
    await c.join(alice, room);
    const id = await c.send(carol, room, 'departure lounge');
    expect(await c.ids(alice, { search_term: 'departure' })).toEqual([id]);
    await c.leave(alice, room);
    expect(await c.ids(alice, { search_term: 'departure' })).toEqual([]);
  });

  it('an invite is not a join', async () => {
    const room = await c.createRoom(carol, { preset: 'private_chat' });
    await c.send(carol, room, 'invitation only');
    await c.invite(carol, room, alice);
    expect(await c.ids(alice, { search_term: 'invitation' })).toEqual([]);
  });

  it('history visibility applies: with "joined", nothing from before the user joined', async () => {
    const room = await c.createRoom(carol, {
      preset: 'public_chat',
      initial_state: [
        { type: 'm.room.history_visibility', content: { history_visibility: 'joined' } },
      ],
    });
    await c.send(carol, room, 'visibility before');
    await c.join(bob, room);
    const after = await c.send(carol, room, 'visibility after');
    expect(await c.ids(bob, { search_term: 'visibility' })).toEqual([after]);
    // More matches than one batch the user may not see: still only the visible ones.
    for (let i = 0; i < 3; i++) await c.send(carol, room, `hidden ${i}`);
    expect(await c.ids(bob, { search_term: 'hidden' })).toHaveLength(3);
  });

  it('a redacted event is not found, and no longer counted', async () => {
    const room = await c.createRoom(alice, { preset: 'public_chat' });
    await c.join(bob, room);
    const keep = await c.send(bob, room, 'spoiler free');
    const gone = await c.send(bob, room, 'spoiler the butler did it');
    expect(new Set(await c.ids(alice, { search_term: 'spoiler' }))).toEqual(new Set([keep, gone]));
    const r = await s.req(
      'PUT',
      `${V3}/rooms/${encodeURIComponent(room)}/redact/${encodeURIComponent(gone)}/x1`,
      { token: alice.token, body: {} },
    );
    expect(r.statusCode).toBe(200);
    const res = await c.roomEvents(bob, { search_term: 'spoiler' });
    expect(res.results.map((x: { result: { event_id: string } }) => x.result.event_id)).toEqual([
      keep,
    ]);
    expect(res.count).toBe(1);
    expect(await c.ids(bob, { search_term: 'butler' })).toEqual([]);
    // The index row itself is gone, not only hidden.
    const left = s.ctx.db.get<{ n: number }>(
      `SELECT count(*) AS n FROM event_search WHERE event_search MATCH '"butler"'`,
    );
    expect((await left)?.n).toBe(0);
  });
});

describe('search terms are never FTS5 syntax', () => {
  let room: string;
  let target: string;
  beforeAll(async () => {
    room = await c.createRoom(alice, { preset: 'public_chat' });
    target = await c.send(alice, room, 'near the OR gate (and) NOT "quoted" star* value:x');
  });

  it.each(
    [
      '"',
      '"unbalanced quote',
      'unbalanced" quote',
      '""',
      '"""',
      'AND',
      'OR',
      'NOT',
      'a OR',
      'OR a',
      'a AND NOT',
      'NEAR(near gate)',
      'NEAR(near gate, 2)',
      '*',
      'star*',
      '* star',
      '(',
      ')',
      '(near',
      'near)',
      '((near OR gate) AND',
      'value:x',
      'body:near',
      '^near',
      '-',
      '- -',
      '-near',
      '--near',
      '-"near',
      "'",
      '{near}',
      '\\',
      '\u0000',
      'near\u0000gate',
      '🦔',
      '   ',
      'near '.repeat(200),
      'x'.repeat(5000),
    ].map((t) => [JSON.stringify(t).slice(0, 40), t]),
  )('%s: 200', async (_name, term) => {
    const r = await c.search(alice, { search_term: term });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().search_categories.room_events.results).toEqual(expect.any(Array));
  });

  it('operators and punctuation in the term are searched as words', async () => {
    for (const term of ['NOT gate', 'near OR gate', '"OR gate"', '(and)', 'star*', 'value:x']) {
      expect({ term, ids: await c.ids(alice, { search_term: term }) }).toEqual({
        term,
        ids: [target],
      });
    }
    expect(await c.ids(alice, { search_term: 'NEAR( near gate )' })).toEqual([target]);
    // Words joined by punctuation are a phrase, as the index reads the text.
    expect(await c.ids(alice, { search_term: 'NEAR(near' })).toEqual([]);
    expect(await c.ids(alice, { search_term: 'the-or' })).toEqual([target]);
    expect(await c.ids(alice, { search_term: '-near' })).toEqual([]);
  });
});

describe('bad requests change nothing and say what is wrong', () => {
  const post = (body: unknown, token = alice.token) =>
    s.req('POST', `${V3}/search`, { token, body });

  it('requires an access token', async () => {
    const r = await s.req('POST', `${V3}/search`, {
      body: { search_categories: { room_events: { search_term: 'x' } } },
    });
    expectError(r, 401, 'M_MISSING_TOKEN');
  });

  it('guests may not search: 403 M_GUEST_ACCESS_FORBIDDEN', async () => {
    const guest = await s.req('POST', `${V3}/register?kind=guest`, { body: {} });
    expect(guest.statusCode).toBe(200);
    const body = { search_categories: { room_events: { search_term: 'x' } } };
    expectError(await post(body, guest.json().access_token), 403, 'M_GUEST_ACCESS_FORBIDDEN');
    const dir = await s.req('POST', `${V3}/user_directory/search`, {
      token: guest.json().access_token,
      body: { search_term: 'alice' },
    });
    expectError(dir, 403, 'M_GUEST_ACCESS_FORBIDDEN');
  });

  it('missing search_categories or search_term: 400 M_MISSING_PARAM', async () => {
    expectError(await post({}), 400, 'M_MISSING_PARAM');
    expectError(await post({ search_categories: { room_events: {} } }), 400, 'M_MISSING_PARAM');
  });

  it('wrong shapes: 400 M_BAD_JSON', async () => {
    for (const room_events of [
      { search_term: 5 },
      { search_term: 'x', keys: ['content.url'] },
      { search_term: 'x', keys: 'content.body' },
      { search_term: 'x', order_by: 'oldest' },
      { search_term: 'x', event_context: { before_limit: -1 } },
      { search_term: 'x', event_context: { after_limit: 'many' } },
      { search_term: 'x', include_state: 'yes' },
      { search_term: 'x', groupings: { group_by: [{ key: 'type' }] } },
      { search_term: 'x', groupings: { group_by: 'room_id' } },
    ]) {
      const r = await post({ search_categories: { room_events } });
      expect({ room_events, status: r.statusCode, errcode: r.json().errcode }).toEqual({
        room_events,
        status: 400,
        errcode: 'M_BAD_JSON',
      });
    }
    expectError(await post({ search_categories: 'room_events' }), 400, 'M_BAD_JSON');
  });

  it('not JSON: 400 M_NOT_JSON', async () => {
    expectError(await post('{"search_categories":'), 400, 'M_NOT_JSON');
  });

  it('no room_events category: no categories back; unknown categories are ignored', async () => {
    const none = await post({ search_categories: {} });
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({ search_categories: {} });
    const other = await post({ search_categories: { users: { search_term: 'x' } } });
    expect(other.json()).toEqual({ search_categories: {} });
    const both = await post({
      search_categories: { users: {}, room_events: { search_term: 'x' } },
    });
    expect(Object.keys(both.json().search_categories)).toEqual(['room_events']);
  });

  it('is also served under r0', async () => {
    const r = await s.req('POST', '/_matrix/client/r0/search', {
      token: alice.token,
      body: { search_categories: { room_events: { search_term: 'x' } } },
    });
    expect(r.statusCode).toBe(200);
  });
});
