import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * POST /user_directory/search (users.yaml): who can be found (Synapse's default scope, and
 * `user_directory.search_all_users`), how users match and rank, `limit` and `limited`.
 */

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
type User = { userId: string; token: string; deviceId: string };

async function setProfile(s: TestServer, u: User, displayname?: string, avatarUrl?: string) {
  if (displayname !== undefined) {
    const r = await s.req('PUT', `${V3}/profile/${enc(u.userId)}/displayname`, {
      token: u.token,
      body: { displayname },
    });
    expect(r.statusCode).toBe(200);
  }
  if (avatarUrl !== undefined) {
    const r = await s.req('PUT', `${V3}/profile/${enc(u.userId)}/avatar_url`, {
      token: u.token,
      body: { avatar_url: avatarUrl },
    });
    expect(r.statusCode).toBe(200);
  }
}

async function createRoom(s: TestServer, u: User, body: Record<string, unknown>): Promise<string> {
  const r = await s.req('POST', `${V3}/createRoom`, { token: u.token, body });
  expect(r.statusCode).toBe(200);
  return r.json().room_id as string;
}

async function join(s: TestServer, u: User, roomId: string): Promise<void> {
  const r = await s.req('POST', `${V3}/join/${enc(roomId)}`, { token: u.token, body: {} });
  expect(r.statusCode, r.body).toBe(200);
}

const search = (s: TestServer, u: User, body: unknown) =>
  s.req('POST', `${V3}/user_directory/search`, { token: u.token, body });

async function found(s: TestServer, u: User, term: string, limit?: number): Promise<string[]> {
  const r = await search(s, u, { search_term: term, ...(limit !== undefined ? { limit } : {}) });
  expect(r.statusCode, r.body).toBe(200);
  return (r.json().results as { user_id: string }[]).map((x) => x.user_id);
}

const CONFIG = { rc_room_creation: { per_second: 1000, burst_count: 1000 } };

describe('default scope: users who share a room, and users in public rooms', () => {
  let s: TestServer;
  let me: User;
  let friend: User;
  let publicUser: User;
  let stranger: User;
  let invited: User;
  let worldReader: User;

  beforeAll(async () => {
    s = await createTestServer(CONFIG);
    me = await s.register('searcher');
    friend = await s.register('friend');
    publicUser = await s.register('townsperson');
    stranger = await s.register('stranger');
    invited = await s.register('invitee');
    worldReader = await s.register('reader');
    await setProfile(s, friend, 'Frieda Friend', 'mxc://test.local/frieda');
    await setProfile(s, stranger, 'Stranger Danger');
    // A private room shared with `friend`, who invites `invitee` (not joined).
    const shared = await createRoom(s, me, { preset: 'private_chat', invite: [friend.userId] });
    await join(s, friend, shared);
    const r = await s.req('POST', `${V3}/rooms/${enc(shared)}/invite`, {
      token: friend.token,
      body: { user_id: invited.userId },
    });
    expect(r.statusCode).toBe(200);
    // A public room the searcher is not in.
    await createRoom(s, publicUser, { preset: 'public_chat' });
    // A private room of strangers only.
    await createRoom(s, stranger, { preset: 'private_chat' });
    // An invite-only room with world_readable history.
    await createRoom(s, worldReader, {
      preset: 'private_chat',
      initial_state: [
        { type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } },
      ],
    });
  });
  afterAll(() => s.close());

  it('finds a user who shares a room, with their profile', async () => {
    const r = await search(s, me, { search_term: 'friend' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      results: [
        {
          user_id: friend.userId,
          display_name: 'Frieda Friend',
          avatar_url: 'mxc://test.local/frieda',
        },
      ],
      limited: false,
    });
  });

  it('finds users joined to a public room, or to a world_readable one', async () => {
    expect(await found(s, me, 'townsperson')).toEqual([publicUser.userId]);
    expect(await found(s, me, 'reader')).toEqual([worldReader.userId]);
  });

  it('does not find a stranger, nor someone only invited', async () => {
    expect(await found(s, me, 'stranger')).toEqual([]);
    expect(await found(s, me, 'danger')).toEqual([]);
    expect(await found(s, me, 'invitee')).toEqual([]);
    // The stranger finds people in public rooms too, but not the private room's members.
    expect(await found(s, stranger, 'townsperson')).toEqual([publicUser.userId]);
    expect(await found(s, stranger, 'friend')).toEqual([]);
  });

  it('someone who leaves the only shared room is no longer found', async () => {
    const leaver = await s.register('leaver');
    const room = await createRoom(s, me, { preset: 'private_chat', invite: [leaver.userId] });
    await join(s, leaver, room);
    expect(await found(s, me, 'leaver')).toEqual([leaver.userId]);
    const r = await s.req('POST', `${V3}/rooms/${enc(room)}/leave`, {
      token: leaver.token,
      body: {},
    });
    expect(r.statusCode).toBe(200);
    expect(await found(s, me, 'leaver')).toEqual([]);
  });
});

describe('matching and ranking (search_all_users: true)', () => {
  let s: TestServer;
  let me: User;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    s = await createTestServer({ ...CONFIG, user_directory: { search_all_users: true } });
    me = await s.register('me');
    const people: [string, string | undefined, string | undefined][] = [
      ['annabel', 'Annabel Lee', undefined],
      ['ann', undefined, undefined],
      ['bob.annex', 'Bob', undefined],
      ['zed', 'Anna Karenina', 'mxc://test.local/anna'],
      ['carl', 'Carl Ann-Marie', undefined],
      ['dora', 'Dóra Émile', undefined],
      ['gone', 'Ann Gone', undefined],
    ];
    let token = '';
    for (const [name, displayname, avatar] of people) {
      const u = await s.register(name);
      ids[name] = u.userId;
      if (name === 'gone') token = u.token;
      await setProfile(s, u, displayname, avatar);
    }
    // Nobody shares a room with anybody: search_all_users finds them all the same.
    const first = await s.req('POST', `${V3}/account/deactivate`, { token, body: {} });
    const r = await s.req('POST', `${V3}/account/deactivate`, {
      token,
      body: {
        auth: {
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: ids.gone },
          password: 'correct horse battery staple',
          session: first.json().session,
        },
      },
    });
    expect(r.statusCode, r.body).toBe(200);
  });
  afterAll(() => s.close());

  it('exact matches first, then whole-term prefixes, then word prefixes', async () => {
    expect(await found(s, me, 'ann')).toEqual([
      ids.ann,
      // prefix of a localpart or display name; display name and avatar first, then by id
      ids.zed,
      ids.annabel,
      // a word of the display name or localpart starts with "ann"
      ids['bob.annex'],
      ids.carl,
    ]);
  });

  it('is case- and accent-insensitive, and every word must match', async () => {
    expect(await found(s, me, 'ANNABEL')).toEqual([ids.annabel]);
    expect(await found(s, me, 'dora emile')).toEqual([ids.dora]);
    expect(await found(s, me, 'emi')).toEqual([ids.dora]);
    expect(await found(s, me, 'anna lee')).toEqual([ids.annabel]);
    expect(await found(s, me, 'anna bob')).toEqual([]);
  });

  it('matches the full user id, or a prefix of it', async () => {
    expect(await found(s, me, ids.annabel!)).toEqual([ids.annabel]);
    expect(await found(s, me, '@annab')).toEqual([ids.annabel]);
    expect(await found(s, me, 'test.local')).toEqual([]);
  });

  it('never lists a deactivated account', async () => {
    expect(await found(s, me, 'gone')).toEqual([]);
  });

  it('limit (default 10) caps the results and `limited` says more matched', async () => {
    const r = await search(s, me, { search_term: 'ann', limit: 2 });
    expect(r.json()).toMatchObject({ limited: true });
    expect(r.json().results.map((x: { user_id: string }) => x.user_id)).toEqual([ids.ann, ids.zed]);
    const all = await search(s, me, { search_term: 'ann' });
    expect(all.json().limited).toBe(false);
    for (let i = 0; i < 11; i++) await s.register(`many${i}`);
    const capped = await search(s, me, { search_term: 'many' });
    expect(capped.json().results).toHaveLength(10);
    expect(capped.json().limited).toBe(true);
    const zero = await search(s, me, { search_term: 'many', limit: 0 });
    expect(zero.json()).toEqual({ results: [], limited: true });
  });

  it('an empty or blank term finds nobody', async () => {
    expect(await search(s, me, { search_term: '' }).then((r) => r.json())).toEqual({
      results: [],
      limited: false,
    });
    expect(await found(s, me, '   ')).toEqual([]);
  });

  it('bad requests: 400 with the Matrix error, 401 without a token', async () => {
    expectError(await search(s, me, {}), 400, 'M_MISSING_PARAM');
    expectError(await search(s, me, { search_term: 5 }), 400, 'M_BAD_JSON');
    expectError(await search(s, me, { search_term: 'a', limit: -1 }), 400, 'M_BAD_JSON');
    expectError(await search(s, me, { search_term: 'a', limit: '5' }), 400, 'M_BAD_JSON');
    const r = await s.req('POST', `${V3}/user_directory/search`, { body: { search_term: 'a' } });
    expectError(r, 401, 'M_MISSING_TOKEN');
  });
});

describe('user_directory.enabled: false', () => {
  let s: TestServer;
  let me: User;
  beforeAll(async () => {
    s = await createTestServer({ ...CONFIG, user_directory: { enabled: false } });
    me = await s.register('me');
    await createRoom(s, me, { preset: 'public_chat' });
  });
  afterAll(() => s.close());

  it('finds nobody, not even the searcher', async () => {
    expect((await search(s, me, { search_term: 'me' })).json()).toEqual({
      results: [],
      limited: false,
    });
  });
});
