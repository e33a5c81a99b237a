import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteAlias } from '../../../server/rooms/store.js';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** PUT /state/m.room.canonical_alias: the aliases it names must be real and point here. */

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
let s: TestServer;
let alice: { userId: string; token: string };
let roomId: string;

const put = (content: Record<string, unknown>, room = roomId) =>
  s.req('PUT', `${V3}/rooms/${enc(room)}/state/m.room.canonical_alias/`, {
    token: alice.token,
    body: content,
  });
const current = async () =>
  (
    await s.req('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.canonical_alias`, {
      token: alice.token,
    })
  ).json();

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('alice');
  const create = async (alias: string) =>
    (
      await s.req('POST', `${V3}/createRoom`, {
        token: alice.token,
        body: { preset: 'public_chat', room_alias_name: alias },
      })
    ).json().room_id as string;
  roomId = await create('here');
  await create('elsewhere');
  const r = await s.req('PUT', `${V3}/directory/room/${enc('#alt:test.local')}`, {
    token: alice.token,
    body: { room_id: roomId },
  });
  expect(r.statusCode).toBe(200);
});
afterAll(() => s.close());

describe('m.room.canonical_alias validation', () => {
  it('accepts aliases that point at the room', async () => {
    const r = await put({ alias: '#here:test.local', alt_aliases: ['#alt:test.local'] });
    expect(r.statusCode).toBe(200);
    expect(await current()).toEqual({
      alias: '#here:test.local',
      alt_aliases: ['#alt:test.local'],
    });
  });

  it('accepts an empty content (no canonical alias) and other servers’ aliases', async () => {
    expect((await put({})).statusCode).toBe(200);
    expect((await put({ alt_aliases: ['#x:elsewhere.example'] })).statusCode).toBe(200);
  });

  it.each([
    ['an alias without #', { alias: 'here:test.local' }],
    ['an alias without a server', { alias: '#here' }],
    ['a non-string alias', { alias: 5 }],
    ['alt_aliases that is not a list', { alt_aliases: '#here:test.local' }],
    ['a malformed alt alias', { alt_aliases: ['#ok:test.local', 'nope'] }],
  ])('refuses %s with 400 M_INVALID_PARAM and changes nothing', async (_, content) => {
    const before = await current();
    expectError(await put(content), 400, 'M_INVALID_PARAM');
    expect(await current()).toEqual(before);
  });

  it.each([
    ['a local alias that does not exist', { alias: '#nobody:test.local' }],
    ['a local alias of another room', { alias: '#elsewhere:test.local' }],
    ['an alt alias of another room', { alt_aliases: ['#elsewhere:test.local'] }],
  ])('refuses %s with 400 M_BAD_ALIAS and changes nothing', async (_, content) => {
    const before = await current();
    expectError(await put(content), 400, 'M_BAD_ALIAS');
    expect(await current()).toEqual(before);
  });

  it('only aliases the event adds are checked: one removed since may stay', async () => {
    const r = await s.req('PUT', `${V3}/directory/room/${enc('#temp:test.local')}`, {
      token: alice.token,
      body: { room_id: roomId },
    });
    expect(r.statusCode).toBe(200);
    expect(
      (await put({ alias: '#here:test.local', alt_aliases: ['#temp:test.local'] })).statusCode,
    ).toBe(200);
    // Removed behind the state's back (as an admin tool may): the event still names it.
    await s.ctx.writer.transaction('test', (tx) => deleteAlias(tx, '#temp:test.local'));
    const keep = await put({ alias: '#alt:test.local', alt_aliases: ['#temp:test.local'] });
    expect(keep.statusCode).toBe(200);
    expectError(
      await put({ alt_aliases: ['#temp:test.local', '#gone:test.local'] }),
      400,
      'M_BAD_ALIAS',
    );
  });
});
