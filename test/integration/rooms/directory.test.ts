import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setServerAdmin } from '../../../server/accounts/users.js';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Room aliases, directory visibility and the published room list, as a client sees them. */

const V3 = '/_matrix/client/v3';
type User = { userId: string; token: string; deviceId: string };
let s: TestServer;
let alice: User;
let bob: User;
let carol: User;
let admin: User;

beforeAll(async () => {
  s = await createTestServer({
    rc_room_creation: { per_second: 1000, burst_count: 1000 },
    rc_joins: { local: { per_second: 1000, burst_count: 1000 } },
  });
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
  admin = await s.register('root');
  await setServerAdmin(s.ctx, admin.userId, admin.userId, true);
});
afterAll(() => s.close());

const enc = encodeURIComponent;
const create = async (body: Record<string, unknown>, token = alice.token): Promise<string> => {
  const r = await s.req('POST', `${V3}/createRoom`, { token, body });
  expect(r.statusCode).toBe(200);
  return r.json().room_id as string;
};
const aliasUrl = (alias: string) => `${V3}/directory/room/${enc(alias)}`;
const putAlias = (alias: string, roomId: string, token = alice.token) =>
  s.req('PUT', aliasUrl(alias), { token, body: { room_id: roomId } });
const join = (roomId: string, token: string) =>
  s.req('POST', `${V3}/rooms/${enc(roomId)}/join`, { token, body: {} });
const canonical = async (roomId: string) =>
  (
    await s.req('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.canonical_alias`, {
      token: alice.token,
    })
  ).json();

describe('aliases', () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await create({ preset: 'public_chat', room_version: '10', room_alias_name: 'main' });
    await join(roomId, bob.token);
  });

  it('a member maps an alias; anyone resolves it; members list the room aliases', async () => {
    const r = await putAlias('#second:test.local', roomId, bob.token);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    const got = await s.req('GET', aliasUrl('#second:test.local'));
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual({ room_id: roomId, servers: ['test.local'] });
    const list = await s.req('GET', `${V3}/rooms/${enc(roomId)}/aliases`, { token: bob.token });
    expect(list.json()).toEqual({ aliases: ['#main:test.local', '#second:test.local'] });
  });

  it('refuses bad, foreign, taken and unauthorized aliases, mapping nothing', async () => {
    expectError(await putAlias('#main:test.local', roomId), 409, 'M_UNKNOWN');
    expectError(await putAlias('#x:other.org', roomId), 400, 'M_INVALID_PARAM');
    expectError(await putAlias('nohash:test.local', roomId), 400, 'M_INVALID_PARAM');
    expectError(await putAlias('#has space:test.local', roomId), 400, 'M_INVALID_PARAM');
    expectError(await putAlias(`#${'a'.repeat(250)}:test.local`, roomId), 400, 'M_INVALID_PARAM');
    expectError(await putAlias('#new:test.local', '!nope:test.local'), 404, 'M_NOT_FOUND');
    expectError(await putAlias('#carols:test.local', roomId, carol.token), 403, 'M_FORBIDDEN');
    expectError(
      await s.req('PUT', aliasUrl('#new:test.local'), { token: alice.token, body: {} }),
      400,
      'M_MISSING_PARAM',
    );
    expectError(await s.req('GET', aliasUrl('#carols:test.local')), 404, 'M_NOT_FOUND');
    expectError(await s.req('GET', aliasUrl('#new:test.local')), 404, 'M_NOT_FOUND');
    expectError(await s.req('GET', aliasUrl('bad')), 400, 'M_INVALID_PARAM');
  });

  it('a server admin may map an alias without being in the room', async () => {
    expect((await putAlias('#adminmade:test.local', roomId, admin.token)).statusCode).toBe(200);
  });

  it('only members read a room’s aliases', async () => {
    expectError(
      await s.req('GET', `${V3}/rooms/${enc(roomId)}/aliases`, { token: carol.token }),
      403,
      'M_FORBIDDEN',
    );
    expectError(
      await s.req('GET', `${V3}/rooms/${enc('!nope:test.local')}/aliases`, { token: alice.token }),
      404,
      'M_NOT_FOUND',
    );
  });

  it('deletes by creator, room admin or server admin; others get 403', async () => {
    // carol is not in the room and did not create it.
    expectError(
      await s.req('DELETE', aliasUrl('#second:test.local'), { token: carol.token }),
      403,
      'M_FORBIDDEN',
    );
    expect((await s.req('GET', aliasUrl('#second:test.local'))).statusCode).toBe(200);
    // bob made #second (power 0, but its creator).
    const byCreator = await s.req('DELETE', aliasUrl('#second:test.local'), { token: bob.token });
    expect(byCreator.statusCode).toBe(200);
    expectError(await s.req('GET', aliasUrl('#second:test.local')), 404, 'M_NOT_FOUND');
    // bob may not delete alice's alias: he neither made it nor may change the canonical alias.
    expectError(
      await s.req('DELETE', aliasUrl('#main:test.local'), { token: bob.token }),
      403,
      'M_FORBIDDEN',
    );
    expect(
      (await s.req('DELETE', aliasUrl('#adminmade:test.local'), { token: alice.token })).statusCode,
    ).toBe(200);
    // The room admin deleting the canonical alias also drops it from m.room.canonical_alias.
    expect(await canonical(roomId)).toEqual({ alias: '#main:test.local' });
    expect(
      (await s.req('DELETE', aliasUrl('#main:test.local'), { token: alice.token })).statusCode,
    ).toBe(200);
    expect(await canonical(roomId)).toEqual({});
    expectError(
      await s.req('DELETE', aliasUrl('#main:test.local'), { token: alice.token }),
      404,
      'M_NOT_FOUND',
    );
    expect((await putAlias('#byadmin:test.local', roomId)).statusCode).toBe(200);
    expect(
      (await s.req('DELETE', aliasUrl('#byadmin:test.local'), { token: admin.token })).statusCode,
    ).toBe(200);
    expect(
      (await s.req('GET', `${V3}/rooms/${enc(roomId)}/aliases`, { token: alice.token })).json(),
    ).toEqual({ aliases: [] });
  });
});

describe('directory visibility', () => {
  let roomId: string;
  const url = () => `${V3}/directory/list/room/${enc(roomId)}`;
  beforeAll(async () => {
    roomId = await create({ preset: 'public_chat' });
    await join(roomId, bob.token);
  });

  it('starts private; a room admin or a server admin publishes it', async () => {
    expect((await s.req('GET', url())).json()).toEqual({ visibility: 'private' });
    const r = await s.req('PUT', url(), { token: alice.token, body: { visibility: 'public' } });
    expect(r.statusCode).toBe(200);
    expect((await s.req('GET', url())).json()).toEqual({ visibility: 'public' });
    await s.req('PUT', url(), { token: admin.token, body: { visibility: 'private' } });
    expect((await s.req('GET', url())).json()).toEqual({ visibility: 'private' });
  });

  it('members without power, non-members and bad input change nothing', async () => {
    expectError(
      await s.req('PUT', url(), { token: bob.token, body: { visibility: 'public' } }),
      403,
      'M_FORBIDDEN',
    );
    expectError(
      await s.req('PUT', url(), { token: carol.token, body: { visibility: 'public' } }),
      403,
      'M_FORBIDDEN',
    );
    expectError(
      await s.req('PUT', url(), { token: alice.token, body: { visibility: 'open' } }),
      400,
      'M_BAD_JSON',
    );
    expect((await s.req('GET', url())).json()).toEqual({ visibility: 'private' });
    const unknown = `${V3}/directory/list/room/${enc('!nope:test.local')}`;
    expectError(await s.req('GET', unknown), 404, 'M_NOT_FOUND');
    expectError(
      await s.req('PUT', unknown, { token: alice.token, body: { visibility: 'public' } }),
      404,
      'M_NOT_FOUND',
    );
  });
});

describe('publicRooms', () => {
  let t: TestServer;
  let rooms: string[];
  beforeAll(async () => {
    t = await createTestServer({
      rc_room_creation: { per_second: 1000, burst_count: 1000 },
      rc_joins: { local: { per_second: 1000, burst_count: 1000 } },
    });
    const a = await t.register('a');
    const b = await t.register('b');
    const mk = async (body: Record<string, unknown>) =>
      (await t.req('POST', `${V3}/createRoom`, { token: a.token, body })).json().room_id as string;
    rooms = [
      await mk({
        visibility: 'public',
        name: 'Cats',
        topic: 'All about felines',
        room_alias_name: 'cats',
      }),
      await mk({ visibility: 'public', name: 'Dogs', creation_content: { type: 'm.space' } }),
      await mk({ visibility: 'public', topic: 'birds', preset: 'private_chat' }),
      await mk({ name: 'Hidden cats' }),
    ];
    await t.req('POST', `${V3}/rooms/${enc(rooms[1]!)}/join`, { token: b.token, body: {} });
  });
  afterAll(() => t.close());

  it('lists published rooms with their summary, most members first', async () => {
    const r = await t.req('GET', `${V3}/publicRooms`);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.total_room_count_estimate).toBe(3);
    expect(body.chunk.map((c: { room_id: string }) => c.room_id)[0]).toBe(rooms[1]);
    expect(body.chunk).toContainEqual({
      room_id: rooms[0],
      name: 'Cats',
      topic: 'All about felines',
      canonical_alias: '#cats:test.local',
      join_rule: 'public',
      num_joined_members: 1,
      world_readable: false,
      guest_can_join: false,
    });
    expect(body.chunk).toContainEqual(
      expect.objectContaining({ room_id: rooms[1], room_type: 'm.space', num_joined_members: 2 }),
    );
    expect(body.chunk).toContainEqual(
      expect.objectContaining({ room_id: rooms[2], join_rule: 'invite', guest_can_join: true }),
    );
    expect(body.next_batch).toBeUndefined();
  });

  it('pages with since tokens both ways', async () => {
    const first = (await t.req('GET', `${V3}/publicRooms?limit=2`)).json();
    expect(first.chunk).toHaveLength(2);
    expect(first.prev_batch).toBeUndefined();
    const second = (
      await t.req('GET', `${V3}/publicRooms?limit=2&since=${enc(first.next_batch)}`)
    ).json();
    expect(second.chunk).toHaveLength(1);
    expect(second.next_batch).toBeUndefined();
    const back = (
      await t.req('GET', `${V3}/publicRooms?limit=2&since=${enc(second.prev_batch)}`)
    ).json();
    expect(back.chunk).toEqual(first.chunk);
    const ids = [...first.chunk, ...second.chunk].map((c: { room_id: string }) => c.room_id);
    expect(new Set(ids).size).toBe(3);
  });

  it('POST filters by search term and room type', async () => {
    const tok = (await t.register('c')).token;
    const search = async (filter: Record<string, unknown>) =>
      (await t.req('POST', `${V3}/publicRooms`, { token: tok, body: { filter } }))
        .json()
        .chunk.map((c: { room_id: string }) => c.room_id);
    expect(await search({ generic_search_term: 'FELINE' })).toEqual([rooms[0]]);
    expect(await search({ generic_search_term: '#cats' })).toEqual([rooms[0]]);
    expect(await search({ generic_search_term: 'cats' })).toEqual([rooms[0]]);
    expect(await search({ room_types: ['m.space'] })).toEqual([rooms[1]]);
    expect((await search({ room_types: [null] })).sort()).toEqual([rooms[0], rooms[2]].sort());
    const limited = await t.req('POST', `${V3}/publicRooms`, { token: tok, body: { limit: 1 } });
    expect(limited.json().chunk).toHaveLength(1);
    expect(limited.json().total_room_count_estimate).toBe(3);
  });

  it('refuses bad tokens, other servers and bad shapes', async () => {
    const tok = (await t.register('d')).token;
    expectError(await t.req('GET', `${V3}/publicRooms?since=garbage`), 400, 'M_INVALID_PARAM');
    expectError(await t.req('GET', `${V3}/publicRooms?limit=many`), 400, 'M_INVALID_PARAM');
    // Other servers' directories are fetched over federation (federation/reads-queries.test.ts).
    expectError(await t.req('GET', `${V3}/publicRooms?server=bad%20name`), 400, 'M_INVALID_PARAM');
    expect((await t.req('GET', `${V3}/publicRooms?server=test.local`)).statusCode).toBe(200);
    expectError(
      await t.req('POST', `${V3}/publicRooms`, { token: tok, body: { limit: 'x' } }),
      400,
      'M_BAD_JSON',
    );
    expectError(await t.req('POST', `${V3}/publicRooms`, { body: {} }), 401, 'M_MISSING_TOKEN');
  });
});

describe('every spec endpoint of these modules is served', () => {
  const MODULES = new Set([
    'joining',
    'leaving',
    'inviting',
    'kicking',
    'banning',
    'knocking',
    'directory',
    'list_public_rooms',
  ]);
  const url = new URL('../../fixtures/endpoints.tsv', import.meta.url);
  const [header, ...lines] = readFileSync(url, 'utf8').trimEnd().split('\n');
  const cols = header!.split('\t');
  const rows = lines
    .map((line) => Object.fromEntries(line.split('\t').map((v, i) => [cols[i], v])))
    .filter(
      (r) =>
        r.api === 'client-server' &&
        (MODULES.has(r.module!) || /\/(joined_)?members$/.test(r.path!)),
    )
    .map((r) => [r.method!, r.path!] as const);

  it('covers the 19 endpoints', () => {
    expect(rows).toHaveLength(19);
  });

  it.each(rows)('%s %s', async (method, path) => {
    const params: Record<string, string> = {
      roomId: '!room:test.local',
      roomIdOrAlias: '!room:test.local',
      roomAlias: '#nowhere:test.local',
    };
    const target = path.replace(/\{(\w+)\}/g, (_m: string, n: string) => enc(params[n]!));
    const body = method === 'PUT' || method === 'POST' ? { user_id: bob.userId } : undefined;
    const r = await s.req(method, target, { token: alice.token, ...(body ? { body } : {}) });
    const errcode = r.body ? (JSON.parse(r.body) as { errcode?: string }).errcode : undefined;
    expect(errcode, `${method} ${path} -> ${r.statusCode} ${r.body}`).not.toBe('M_UNRECOGNIZED');
    expect(r.statusCode).toBeLessThan(500);
  });
});
