import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ROUTES } from '../../../server/app.js';
import { route, type Route } from '../../../server/http/route.js';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';
import {
  createRoom,
  enc,
  FED,
  fedReq,
  joinFrom,
  restrictedTo,
  ROOMY,
  setState,
  type User,
  V3,
} from './reads-helpers.js';

/**
 * Queries between real Hearths (server-server "Querying for information", "Published
 * Room Directory", "Spaces", "Device Management"): B asks A over signed requests, and a
 * user of B reads A's profiles, public rooms and aliases through B's client API.
 */

const ALIAS_PATH = `${FED}/query/directory`;
/**
 * /query/directory is another part's endpoint; until it is routed, A answers it with this
 * stand-in so the client side (B resolving #x:hs-a.test) can be tested.
 */
const aliasStandIn = route({
  method: 'GET',
  paths: [ALIAS_PATH],
  auth: 'federation',
  schema: { query: Type.Object({ room_alias: Type.String() }) },
  handler: async (ctx, req) => {
    const { resolveAlias } = await import('../../../server/rooms/directory.js');
    return resolveAlias(ctx, req.query.room_alias);
  },
});
const aliasRouted = ALL_ROUTES.some((r: Route) => r.paths.includes(ALIAS_PATH));

const ports = new Map<string, number>();
let a: FederatedTestServer;
let b: FederatedTestServer;
let alice: User;
let carol: User;
const ids: Record<string, string> = {};

beforeAll(async () => {
  a = await startFederatedServer('hs-a.test', ports, {
    config: ROOMY,
    ...(aliasRouted ? {} : { extraRoutes: [aliasStandIn] }),
  });
  b = await startFederatedServer('hs-b.test', ports);
  alice = await a.register('alice');
  carol = await b.register('carol');
  const r = await a.req('PUT', `${V3}/profile/${enc(alice.userId)}/displayname`, {
    token: alice.token,
    body: { displayname: 'Alice A' },
  });
  expect(r.statusCode).toBe(200);
  ids.lounge = await createRoom(a, alice, {
    preset: 'public_chat',
    visibility: 'public',
    name: 'Lounge',
    topic: 'chairs and tea',
    room_alias_name: 'lounge',
  });
  ids.quiet = await createRoom(a, alice, {
    preset: 'public_chat',
    visibility: 'public',
    name: 'Quiet',
  });
  ids.space = await createRoom(a, alice, {
    preset: 'public_chat',
    name: 'Space',
    creation_content: { type: 'm.space' },
  });
  ids.secret = await createRoom(a, alice, { preset: 'private_chat', name: 'Secret' });
  for (const child of [ids.lounge, ids.secret]) {
    await setState(a, alice, ids.space!, 'm.space.child', { via: ['hs-a.test'] }, child);
  }
  await setState(
    a,
    alice,
    ids.space!,
    'm.space.child',
    { via: ['hs-a.test'], suggested: true },
    ids.quiet!,
  );
});
afterAll(async () => {
  await Promise.all([a, b].map((s) => s?.close()));
});

describe('GET /query/profile', () => {
  it("gives a local user's profile, or one field", async () => {
    const all = await fedReq(b, a, `${FED}/query/profile?user_id=${enc(alice.userId)}`);
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ displayname: 'Alice A' });
    const one = await fedReq(
      b,
      a,
      `${FED}/query/profile?user_id=${enc(alice.userId)}&field=displayname`,
    );
    expect(one.body).toEqual({ displayname: 'Alice A' });
    const unset = await fedReq(
      b,
      a,
      `${FED}/query/profile?user_id=${enc(alice.userId)}&field=avatar_url`,
    );
    expect(unset.status).toBe(200);
    expect(unset.body).toEqual({});
  });

  it('an unknown query type: 404 M_NOT_FOUND', async () => {
    const r = await fedReq(b, a, `${FED}/query/weather?city=x`);
    expect(r.status).toBe(404);
    expect(r.body.errcode).toBe('M_NOT_FOUND');
  });

  it('404 for an unknown user, 400 for a user of another server or no user_id', async () => {
    const unknown = await fedReq(b, a, `${FED}/query/profile?user_id=${enc('@nobody:hs-a.test')}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
    const foreign = await fedReq(b, a, `${FED}/query/profile?user_id=${enc(carol.userId)}`);
    expect(foreign.status).toBe(400);
    const none = await fedReq(b, a, `${FED}/query/profile`);
    expect(none.status).toBe(400);
    expect(none.body.errcode).toBe('M_MISSING_PARAM');
  });
});

describe('a user of B reads profiles of A', () => {
  it('GET /profile, /displayname; 404 when A says so; 502 when A is unreachable', async () => {
    const p = await b.req('GET', `${V3}/profile/${enc(alice.userId)}`, { token: carol.token });
    expect(p.statusCode).toBe(200);
    expect(p.json()).toEqual({ displayname: 'Alice A' });
    const d = await b.req('GET', `${V3}/profile/${enc(alice.userId)}/displayname`);
    expect(d.json()).toEqual({ displayname: 'Alice A' });
    const noAvatar = await b.req('GET', `${V3}/profile/${enc(alice.userId)}/avatar_url`);
    expect(noAvatar.statusCode).toBe(404);
    const unknown = await b.req('GET', `${V3}/profile/${enc('@nobody:hs-a.test')}`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().errcode).toBe('M_NOT_FOUND');
    const gone = await b.req('GET', `${V3}/profile/${enc('@x:hs-gone.test')}`);
    expect(gone.statusCode).toBe(502);
  });

  it('reuses a fetched profile for a while', async () => {
    const before = b.federation.sent.length;
    await b.req('GET', `${V3}/profile/${enc(alice.userId)}`);
    await b.req('GET', `${V3}/profile/${enc(alice.userId)}/displayname`);
    expect(b.federation.sent.slice(before).filter((s) => s.path.includes('query/profile'))).toEqual(
      [],
    );
  });
});

describe('GET /user/devices/{userId}', () => {
  it("lists a local user's devices", async () => {
    const r = await fedReq(b, a, `${FED}/user/devices/${enc(alice.userId)}`);
    expect(r.status).toBe(200);
    expect(r.body.user_id).toBe(alice.userId);
    expect(r.body.stream_id).toBe(1); // its one device, announced when it logged in
    expect(r.body.devices.map((d: { device_id: string }) => d.device_id)).toEqual([alice.deviceId]);
    expect(r.body.devices[0].last_seen_ip).toBeUndefined();
  });

  it('404 for an unknown user, 400 for one of another server', async () => {
    expect((await fedReq(b, a, `${FED}/user/devices/${enc('@nobody:hs-a.test')}`)).status).toBe(
      404,
    );
    expect((await fedReq(b, a, `${FED}/user/devices/${enc(carol.userId)}`)).status).toBe(400);
  });
});

describe('public rooms', () => {
  it("B lists A's published rooms, GET and POST with a filter", async () => {
    const all = await fedReq(b, a, `${FED}/publicRooms`);
    expect(all.status).toBe(200);
    const listed = all.body.chunk.map((r: { room_id: string }) => r.room_id);
    expect(listed).toEqual(expect.arrayContaining([ids.lounge, ids.quiet]));
    expect(listed).not.toContain(ids.secret);
    const lounge = all.body.chunk.find((r: { room_id: string }) => r.room_id === ids.lounge);
    expect(lounge).toMatchObject({ name: 'Lounge', topic: 'chairs and tea', join_rule: 'public' });

    const paged = await fedReq(b, a, `${FED}/publicRooms?limit=1`);
    expect(paged.body.chunk).toHaveLength(1);
    expect(paged.body.next_batch).toBeDefined();

    const filtered = await fedReq(b, a, `${FED}/publicRooms`, {
      method: 'POST',
      body: { filter: { generic_search_term: 'TEA' } },
    });
    expect(filtered.body.chunk.map((r: { room_id: string }) => r.room_id)).toEqual([ids.lounge]);
    const otherNetwork = await fedReq(b, a, `${FED}/publicRooms?third_party_instance_id=irc`);
    expect(otherNetwork.body.chunk).toEqual([]);
  });

  it('400 for malformed parameters', async () => {
    expect((await fedReq(b, a, `${FED}/publicRooms?limit=-1`)).status).toBe(400);
    const bad = await fedReq(b, a, `${FED}/publicRooms`, { method: 'POST', body: { limit: 'x' } });
    expect(bad.status).toBe(400);
  });

  it("a user of B lists A's rooms with ?server=; 502 for an unreachable server", async () => {
    const r = await b.req('GET', `${V3}/publicRooms?server=hs-a.test`);
    expect(r.statusCode).toBe(200);
    expect(r.json().chunk.map((x: { room_id: string }) => x.room_id)).toEqual(
      expect.arrayContaining([ids.lounge, ids.quiet]),
    );
    const f = await b.req('POST', `${V3}/publicRooms?server=hs-a.test`, {
      token: carol.token,
      body: { filter: { generic_search_term: 'lounge' } },
    });
    expect(f.statusCode).toBe(200);
    expect(f.json().chunk.map((x: { room_id: string }) => x.room_id)).toEqual([ids.lounge]);
    const gone = await b.req('GET', `${V3}/publicRooms?server=hs-gone.test`);
    expect(gone.statusCode).toBe(502);
  });
});

describe('GET /hierarchy/{roomId}', () => {
  it('the space and the children B may see; others as inaccessible', async () => {
    const r = await fedReq(b, a, `${FED}/hierarchy/${enc(ids.space!)}`);
    expect(r.status).toBe(200);
    expect(r.body.room).toMatchObject({ room_id: ids.space, name: 'Space', room_type: 'm.space' });
    expect(
      r.body.room.children_state.map((c: { state_key: string }) => c.state_key).sort(),
    ).toEqual([ids.lounge, ids.quiet, ids.secret].sort());
    expect(r.body.children.map((c: { room_id: string }) => c.room_id).sort()).toEqual(
      [ids.lounge, ids.quiet].sort(),
    );
    expect(r.body.inaccessible_children).toEqual([ids.secret]);

    const suggested = await fedReq(b, a, `${FED}/hierarchy/${enc(ids.space!)}?suggested_only=true`);
    expect(suggested.body.children.map((c: { room_id: string }) => c.room_id)).toEqual([ids.quiet]);
  });

  it('a restricted room is accessible when B is in a room its allow list names', async () => {
    const club = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
    const members = await createRoom(a, alice, {
      preset: 'private_chat',
      room_version: '10',
      initial_state: restrictedTo(club),
    });
    expect((await fedReq(b, a, `${FED}/hierarchy/${enc(members)}`)).status).toBe(404);
    await joinFrom(a, b, club, '@erin:hs-b.test');
    const r = await fedReq(b, a, `${FED}/hierarchy/${enc(members)}`);
    expect(r.status).toBe(200);
    expect(r.body.room).toMatchObject({ join_rule: 'restricted', allowed_room_ids: [club] });
  });

  it('404 for an unknown room, 400 for a bad suggested_only', async () => {
    const r = await fedReq(b, a, `${FED}/hierarchy/${enc('!nope:hs-a.test')}`);
    expect(r.status).toBe(404);
    expect(r.body.errcode).toBe('M_NOT_FOUND');
    expect(
      (await fedReq(b, a, `${FED}/hierarchy/${enc(ids.space!)}?suggested_only=yes`)).status,
    ).toBe(400);
  });

  it('403 for a server the ACL denies', async () => {
    const acl = await createRoom(a, alice, { preset: 'public_chat' });
    await setState(a, alice, acl, 'm.room.server_acl', { allow: ['*'], deny: ['hs-b.test'] });
    expect((await fedReq(b, a, `${FED}/hierarchy/${enc(acl)}`)).status).toBe(403);
  });
});

describe('room aliases of A, for a user of B', () => {
  it('resolves #lounge:hs-a.test through A; 404 for an unknown alias; 502 unreachable', async () => {
    const r = await b.req('GET', `${V3}/directory/room/${enc('#lounge:hs-a.test')}`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ room_id: ids.lounge, servers: ['hs-a.test'] });
    const unknown = await b.req('GET', `${V3}/directory/room/${enc('#nope:hs-a.test')}`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().errcode).toBe('M_NOT_FOUND');
    const gone = await b.req('GET', `${V3}/directory/room/${enc('#x:hs-gone.test')}`);
    expect(gone.statusCode).toBe(502);
  });
});

describe('joinFrom helper sanity', () => {
  it('a member of B makes the room readable to B', async () => {
    const room = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
    await joinFrom(a, b, room, '@dave:hs-b.test');
    const members = await a.req('GET', `${V3}/rooms/${enc(room)}/joined_members`, {
      token: alice.token,
    });
    expect(Object.keys(members.json().joined)).toContain('@dave:hs-b.test');
  });
});
