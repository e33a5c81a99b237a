import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setServerAdmin } from '../../../server/accounts/users.js';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Reporting events, rooms and users, and the admin API that lists event reports. */

const V3 = '/_matrix/client/v3';
const ADMIN = '/_synapse/admin/v1/event_reports';
const enc = encodeURIComponent;
type User = { userId: string; token: string };
let s: TestServer;
let alice: User;
let bob: User;
let carol: User;
let admin: User;
let roomId: string;
let privateRoomId: string;
let message: string;
let privateMessage: string;

const send = async (room: string, body: string, token = alice.token) =>
  (
    await s.req('PUT', `${V3}/rooms/${enc(room)}/send/m.room.message/${body}`, {
      token,
      body: { msgtype: 'm.text', body },
    })
  ).json().event_id as string;
const reportEvent = (room: string, eventId: string, body: unknown, token = bob.token) =>
  s.req('POST', `${V3}/rooms/${enc(room)}/report/${enc(eventId)}`, { token, body });
const list = (query = '', token = admin.token) => s.req('GET', `${ADMIN}${query}`, { token });

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
  admin = await s.register('root');
  await setServerAdmin(s.ctx, admin.userId, admin.userId, true);
  const create = async (body: Record<string, unknown>) =>
    (await s.req('POST', `${V3}/createRoom`, { token: alice.token, body })).json()
      .room_id as string;
  roomId = await create({ preset: 'public_chat', name: 'Town square' });
  privateRoomId = await create({ preset: 'private_chat' });
  // A message bob cannot see: sent before he joins a room with joined-only history.
  await s.req('PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.history_visibility/`, {
    token: alice.token,
    body: { history_visibility: 'joined' },
  });
  const hidden = await send(roomId, 'before-bob');
  await s.req('POST', `${V3}/rooms/${enc(roomId)}/join`, { token: bob.token, body: {} });
  message = await send(roomId, 'hello');
  privateMessage = await send(privateRoomId, 'secret');
  hiddenMessage = hidden;
});
let hiddenMessage: string;
afterAll(() => s.close());

describe('POST /rooms/{roomId}/report/{eventId}', () => {
  it('a member reports an event they can see; the admin lists it', async () => {
    const r = await reportEvent(roomId, message, { reason: 'rude', score: -50 });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    const got = await list();
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({
      total: 1,
      event_reports: [
        {
          id: expect.any(Number),
          event_id: message,
          room_id: roomId,
          user_id: bob.userId,
          sender: alice.userId,
          reason: 'rude',
          score: -50,
          name: 'Town square',
          canonical_alias: null,
          received_ts: expect.any(Number),
        },
      ],
    });
    expect(got.json().next_token).toBeUndefined();
  });

  it('reason and score are optional', async () => {
    expect((await reportEvent(roomId, message, {})).statusCode).toBe(200);
  });

  it.each([[-101], [1], [1.5], ['-5']])('score %j is 400 M_INVALID_PARAM', async (score) => {
    const before = (await list()).json().total;
    expectError(await reportEvent(roomId, message, { score }), 400, 'M_INVALID_PARAM');
    expect((await list()).json().total).toBe(before);
  });

  it('a non-string reason is 400 M_BAD_JSON', async () => {
    expectError(await reportEvent(roomId, message, { reason: 5 }), 400, 'M_BAD_JSON');
  });

  it('404 for an unknown event, an event of another room, a room one is not in, an event one cannot see', async () => {
    const before = (await list()).json().total;
    expectError(await reportEvent(roomId, '$nope', {}), 404, 'M_NOT_FOUND');
    expectError(await reportEvent(roomId, privateMessage, {}), 404, 'M_NOT_FOUND');
    expectError(await reportEvent(privateRoomId, privateMessage, {}), 404, 'M_NOT_FOUND');
    expectError(await reportEvent('!unknown:test.local', message, {}), 404, 'M_NOT_FOUND');
    expectError(await reportEvent(roomId, hiddenMessage, {}), 404, 'M_NOT_FOUND');
    expectError(await reportEvent(roomId, message, {}, carol.token), 404, 'M_NOT_FOUND');
    expect((await list()).json().total).toBe(before);
  });
});

describe('POST /rooms/{roomId}/report and /users/{userId}/report', () => {
  it('anyone may report a room, joined or not', async () => {
    const r = await s.req('POST', `${V3}/rooms/${enc(privateRoomId)}/report`, {
      token: carol.token,
      body: { reason: 'spam room' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
  });

  it('room reports: 404 for an unknown room, 400 without a reason', async () => {
    const url = (room: string) => `${V3}/rooms/${enc(room)}/report`;
    expectError(
      await s.req('POST', url('!nope:test.local'), { token: carol.token, body: { reason: 'x' } }),
      404,
      'M_NOT_FOUND',
    );
    expectError(
      await s.req('POST', url(roomId), { token: carol.token, body: {} }),
      400,
      'M_MISSING_PARAM',
    );
  });

  it('anyone may report a user; a blank reason is fine', async () => {
    for (const target of [alice.userId, '@someone:elsewhere.example']) {
      const r = await s.req('POST', `${V3}/users/${enc(target)}/report`, {
        token: carol.token,
        body: { reason: '' },
      });
      expect(r.statusCode).toBe(200);
    }
  });

  it('user reports: 404 for an unknown local user, 400 for a malformed id', async () => {
    const report = (target: string) =>
      s.req('POST', `${V3}/users/${enc(target)}/report`, {
        token: carol.token,
        body: { reason: 'x' },
      });
    expectError(await report('@ghost:test.local'), 404, 'M_NOT_FOUND');
    expectError(await report('not-a-user'), 400, 'M_INVALID_PARAM');
  });

  it('needs an access token', async () => {
    const r = await s.req('POST', `${V3}/users/${enc(alice.userId)}/report`, {
      body: { reason: 'x' },
    });
    expectError(r, 401, 'M_MISSING_TOKEN');
  });
});

describe('admin: event reports', () => {
  beforeAll(async () => {
    const other = await send(roomId, 'another');
    for (let i = 0; i < 3; i++) await reportEvent(roomId, other, { reason: `r${i}` }, alice.token);
  });

  it('pages newest first by default, oldest first with dir=f', async () => {
    const all = (await list()).json();
    expect(all.total).toBe(5);
    const page1 = (await list('?limit=2')).json();
    expect(page1.event_reports.map((r: { reason: string }) => r.reason)).toEqual(['r2', 'r1']);
    expect(page1.next_token).toBe(2);
    const page2 = (await list('?limit=2&from=2')).json();
    expect(page2.event_reports.map((r: { reason: string }) => r.reason)).toEqual(['r0', null]);
    expect((await list('?limit=2&from=4')).json().next_token).toBeUndefined();
    const forward = (await list('?dir=f&limit=1')).json();
    expect(forward.event_reports[0].reason).toBe('rude');
  });

  it('filters by reporter and room (substrings)', async () => {
    expect((await list(`?user_id=${enc('@alice')}`)).json().total).toBe(3);
    expect((await list(`?user_id=${enc(bob.userId)}`)).json().total).toBe(2);
    expect((await list(`?room_id=${enc(privateRoomId)}`)).json().total).toBe(0);
    expect((await list(`?room_id=${enc(roomId.slice(0, 6))}`)).json().total).toBe(5);
  });

  it('reads one report with its event, deletes it, then 404', async () => {
    const [first] = (await list('?dir=f&limit=1')).json().event_reports;
    const one = await s.req('GET', `${ADMIN}/${first.id}`, { token: admin.token });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: first.id, event_id: message, reason: 'rude' });
    expect(one.json().event_json).toMatchObject({ type: 'm.room.message', sender: alice.userId });
    const del = await s.req('DELETE', `${ADMIN}/${first.id}`, { token: admin.token });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({});
    expectError(
      await s.req('GET', `${ADMIN}/${first.id}`, { token: admin.token }),
      404,
      'M_NOT_FOUND',
    );
    expectError(
      await s.req('DELETE', `${ADMIN}/${first.id}`, { token: admin.token }),
      404,
      'M_NOT_FOUND',
    );
    expect((await list()).json().total).toBe(4);
  });

  it('400 for bad parameters and report ids', async () => {
    expectError(await list('?limit=-1'), 400, 'M_INVALID_PARAM');
    expectError(await list('?from=x'), 400, 'M_INVALID_PARAM');
    expectError(await list('?dir=up'), 400, 'M_INVALID_PARAM');
    expectError(await s.req('GET', `${ADMIN}/abc`, { token: admin.token }), 400, 'M_INVALID_PARAM');
  });

  it('is for server admins only', async () => {
    expectError(await list('', bob.token), 403, 'M_FORBIDDEN');
    expectError(await s.req('DELETE', `${ADMIN}/1`, { token: bob.token }), 403, 'M_FORBIDDEN');
  });
});
