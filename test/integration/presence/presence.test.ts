import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** PUT/GET /presence/{userId}/status and `presence` in /sync (spec: "Presence"). */

const V3 = '/_matrix/client/v3';
type User = { userId: string; token: string; deviceId: string };
type PresenceEvent = { type: string; sender: string; content: Record<string, unknown> };
type SyncBody = { next_batch: string; presence: { events: PresenceEvent[] } };
const e = encodeURIComponent;

/** Helpers bound to one server. */
function on(srv: () => TestServer) {
  let n = 0;
  const h = {
    user: () => srv().register(`p${++n}`) as Promise<User>,
    put: (u: User, target: string, body: unknown) =>
      srv().req('PUT', `${V3}/presence/${e(target)}/status`, { token: u.token, body }),
    get: (u: User, target: string) =>
      srv().req('GET', `${V3}/presence/${e(target)}/status`, { token: u.token }),
    async sync(u: User, q: Record<string, string> = {}): Promise<SyncBody> {
      const r = await srv().req('GET', `${V3}/sync?${new URLSearchParams(q)}`, { token: u.token });
      expect(r.statusCode).toBe(200);
      return r.json() as SyncBody;
    },
    async room(a: User, ...others: User[]): Promise<string> {
      const r = await srv().req('POST', `${V3}/createRoom`, {
        token: a.token,
        body: { preset: 'public_chat' },
      });
      expect(r.statusCode).toBe(200);
      const roomId = r.json().room_id as string;
      for (const o of others) {
        const j = await srv().req('POST', `${V3}/join/${e(roomId)}`, { token: o.token, body: {} });
        expect(j.statusCode).toBe(200);
      }
      return roomId;
    },
  };
  return h;
}
const of = (body: SyncBody, sender: string) =>
  body.presence.events.filter((ev) => ev.sender === sender);

describe('presence endpoints', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  });
  afterAll(() => s.close());
  const h = on(() => s);

  it('sets and reads one’s own presence and status message', async () => {
    const a = await h.user();
    expect((await h.put(a, a.userId, { presence: 'online', status_msg: 'here' })).json()).toEqual(
      {},
    );
    const r = await h.get(a, a.userId);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      presence: 'online',
      status_msg: 'here',
      currently_active: true,
    });
    expect(r.json().last_active_ago).toBeGreaterThanOrEqual(0);
    // A PUT without status_msg clears it; unavailable is not "currently active".
    await h.put(a, a.userId, { presence: 'unavailable' });
    const after = (await h.get(a, a.userId)).json();
    expect(after.presence).toBe('unavailable');
    expect(after).not.toHaveProperty('status_msg');
    expect(after).not.toHaveProperty('currently_active');
  });

  it('refuses to set another user’s presence (403), changing nothing', async () => {
    const a = await h.user();
    const b = await h.user();
    await h.room(a, b);
    await h.put(b, b.userId, { presence: 'unavailable', status_msg: 'mine' });
    expectError(await h.put(a, b.userId, { presence: 'online' }), 403, 'M_FORBIDDEN');
    expect((await h.get(a, b.userId)).json()).toMatchObject({
      presence: 'unavailable',
      status_msg: 'mine',
    });
  });

  it('shows presence only to users who share a room: 403 otherwise, 404 for unknown users', async () => {
    const a = await h.user();
    const b = await h.user();
    const c = await h.user();
    await h.room(a, b);
    await h.put(b, b.userId, { presence: 'online' });
    expect((await h.get(a, b.userId)).statusCode).toBe(200);
    expectError(await h.get(c, b.userId), 403, 'M_FORBIDDEN');
    expectError(await h.get(a, '@nobody-here:test.local'), 404, 'M_NOT_FOUND');
    expectError(await h.get(a, '@someone:elsewhere.example'), 403, 'M_FORBIDDEN');
    expectError(await h.get(a, 'not-a-user'), 400, 'M_INVALID_PARAM');
  });

  it('a user never seen reads as offline', async () => {
    const a = await h.user();
    const b = await h.user();
    await h.room(a, b);
    expect((await h.get(b, a.userId)).json()).toEqual({ presence: 'offline' });
  });

  it.each([
    ['an unknown state', { presence: 'away' }, 'M_BAD_JSON'],
    ['no state', { status_msg: 'x' }, 'M_MISSING_PARAM'],
    ['a status_msg not a string', { presence: 'online', status_msg: 5 }, 'M_BAD_JSON'],
  ])('refuses %s with 400 and changes nothing', async (_, body, errcode) => {
    const a = await h.user();
    await h.put(a, a.userId, { presence: 'unavailable', status_msg: 'kept' });
    expectError(await h.put(a, a.userId, body), 400, errcode);
    expect((await h.get(a, a.userId)).json()).toMatchObject({
      presence: 'unavailable',
      status_msg: 'kept',
    });
  });
});

describe('presence in /sync', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  });
  afterAll(() => s.close());
  const h = on(() => s);

  it('sends m.presence of users who share a room (and one’s own), not of others', async () => {
    const a = await h.user();
    const b = await h.user();
    const c = await h.user();
    await h.room(a, b);
    await h.put(a, a.userId, { presence: 'online', status_msg: 'hi' });
    const bSync = await h.sync(b);
    expect(of(bSync, a.userId)).toEqual([
      {
        type: 'm.presence',
        sender: a.userId,
        content: {
          presence: 'online',
          status_msg: 'hi',
          currently_active: true,
          last_active_ago: expect.any(Number),
        },
      },
    ]);
    expect(of(bSync, b.userId).map((ev) => ev.content.presence)).toEqual(['online']);
    expect(of(await h.sync(c), a.userId)).toEqual([]);
  });

  it('an incremental sync sends only what changed since the token', async () => {
    const a = await h.user();
    const b = await h.user();
    await h.room(a, b);
    await h.put(a, a.userId, { presence: 'online' });
    const first = await h.sync(b);
    const quiet = await h.sync(b, { since: first.next_batch });
    expect(quiet.presence.events).toEqual([]);
    await h.put(a, a.userId, { presence: 'unavailable', status_msg: 'lunch' });
    const next = await h.sync(b, { since: quiet.next_batch });
    expect(of(next, a.userId).map((ev) => ev.content)).toEqual([
      { presence: 'unavailable', status_msg: 'lunch', last_active_ago: expect.any(Number) },
    ]);
    expect((await h.sync(b, { since: next.next_batch })).presence.events).toEqual([]);
  });

  it('sends the presence of the members of a room joined since the token', async () => {
    const a = await h.user();
    const b = await h.user();
    await h.put(a, a.userId, { presence: 'online' });
    const first = await h.sync(b);
    expect(of(first, a.userId)).toEqual([]);
    await h.room(a, b);
    const next = await h.sync(b, { since: first.next_batch });
    expect(of(next, a.userId).map((ev) => ev.content.presence)).toEqual(['online']);
  });

  it('set_presence: online by default, unavailable sets it, offline leaves it alone', async () => {
    const a = await h.user();
    await h.sync(a);
    expect((await h.get(a, a.userId)).json().presence).toBe('online');
    await h.sync(a, { set_presence: 'unavailable' });
    expect((await h.get(a, a.userId)).json().presence).toBe('unavailable');
    await h.sync(a, { set_presence: 'offline' });
    expect((await h.get(a, a.userId)).json().presence).toBe('unavailable');
    await h.sync(a, { set_presence: 'online' });
    expect((await h.get(a, a.userId)).json().presence).toBe('online');
    const bad = await s.req('GET', `${V3}/sync?set_presence=away`, { token: a.token });
    expectError(bad, 400, 'M_INVALID_PARAM');
  });

  it('an idle device (unavailable) does not override another device that is online', async () => {
    const a1 = await h.user();
    const login = await s.req('POST', `${V3}/login`, {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: a1.userId },
        password: 'correct horse battery staple',
      },
    });
    const a2 = { ...a1, token: login.json().access_token as string };
    const start = await h.sync(a1);
    await h.sync(a2, { set_presence: 'unavailable' });
    expect((await h.get(a1, a1.userId)).json().presence).toBe('online');
    // So neither device's requests wake the other's long-poll with a flip.
    const quiet = await h.sync(a1, { since: start.next_batch });
    await h.sync(a2, { set_presence: 'unavailable' });
    const again = await h.sync(a1, { since: quiet.next_batch });
    expect(again.presence.events).toEqual([]);
  });

  it('a presence change wakes the long-poll of a user who shares a room', async () => {
    const a = await h.user();
    const b = await h.user();
    await h.room(a, b);
    await h.sync(a);
    const start = await h.sync(b);
    const t0 = performance.now();
    const polling = h.sync(b, { since: start.next_batch, timeout: '10000' });
    await new Promise((r) => setTimeout(r, 100));
    await h.put(a, a.userId, { presence: 'unavailable', status_msg: 'brb' });
    const got = await polling;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(of(got, a.userId).map((ev) => ev.content.status_msg)).toEqual(['brb']);
  });
});

describe('presence over time (a controlled clock)', () => {
  let now = 1_700_000_000_000;
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer(
      { rc_room_creation: { per_second: 1000, burst_count: 1000 } },
      { clock: { now: () => now } },
    );
  });
  afterAll(() => s.close());
  const h = on(() => s);

  it('goes offline 30 s after the last sync ended, and peers are told', async () => {
    const a = await h.user();
    const b = await h.user();
    await h.room(a, b);
    await h.sync(a);
    const start = await h.sync(b);
    now += 20_000;
    expect((await h.get(b, a.userId)).json().presence).toBe('online');
    now += 15_000;
    expect((await h.get(b, a.userId)).json().presence).toBe('offline');
    const next = await h.sync(b, { since: start.next_batch });
    expect(of(next, a.userId).map((ev) => ev.content.presence)).toEqual(['offline']);
  });

  it('stays online while a sync is in flight; turns unavailable after 5 idle minutes', async () => {
    const a = await h.user();
    const start = await h.sync(a);
    // Presence filtered out, so the poll is not answered by the user's own changes.
    const polling = h.sync(a, {
      since: start.next_batch,
      timeout: '3000',
      filter: JSON.stringify({ presence: { not_types: ['*'] } }),
    });
    await new Promise((r) => setTimeout(r, 100));
    now += 61_000;
    const active = (await h.get(a, a.userId)).json();
    expect(active).toMatchObject({ presence: 'online', currently_active: false });
    expect(active.last_active_ago).toBeGreaterThanOrEqual(61_000);
    now += 5 * 60_000;
    expect((await h.get(a, a.userId)).json().presence).toBe('unavailable');
    await polling;
    now += 31_000;
    expect((await h.get(a, a.userId)).json().presence).toBe('offline');
    // A new sync brings the user back.
    await h.sync(a);
    expect((await h.get(a, a.userId)).json()).toMatchObject({
      presence: 'online',
      currently_active: true,
    });
  });

  it('a presence set with PUT holds for the sync timeout without a sync', async () => {
    const a = await h.user();
    await h.put(a, a.userId, { presence: 'unavailable' });
    now += 29_000;
    expect((await h.get(a, a.userId)).json().presence).toBe('unavailable');
    now += 2_000;
    expect((await h.get(a, a.userId)).json().presence).toBe('offline');
  });
});

describe('presence disabled (presence.enabled: false)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({
      presence: { enabled: false },
      rc_room_creation: { per_second: 1000, burst_count: 1000 },
    });
  });
  afterAll(() => s.close());
  const h = on(() => s);

  it('accepts PUT, reads everyone as offline, sends nothing in /sync', async () => {
    const a = await h.user();
    const b = await h.user();
    await h.room(a, b);
    expect((await h.put(a, a.userId, { presence: 'online', status_msg: 'x' })).statusCode).toBe(
      200,
    );
    expect((await h.get(b, a.userId)).json()).toEqual({ presence: 'offline' });
    expect((await h.get(a, a.userId)).json()).toEqual({ presence: 'offline' });
    expect((await h.sync(b)).presence.events).toEqual([]);
    // The rules still hold: another user's presence is not settable.
    expectError(await h.put(b, a.userId, { presence: 'online' }), 403, 'M_FORBIDDEN');
  });
});

describe('presence stream across a restart', () => {
  it('an old token still reads the changes made after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-presence-restart-'));
    const rooms = { rc_room_creation: { per_second: 1000, burst_count: 1000 } };
    try {
      let srv = await createTestServer(rooms, { dir });
      const h = on(() => srv);
      const a = (await srv.register('pra')) as User;
      const b = (await srv.register('prb')) as User;
      await h.room(a, b);
      await h.put(a, a.userId, { presence: 'online', status_msg: 'before' });
      const first = await h.sync(b);
      await srv.close();

      srv = await createTestServer(rooms, { dir });
      await h.put(a, a.userId, { presence: 'online', status_msg: 'after' });
      const next = await h.sync(b, { since: first.next_batch });
      expect(of(next, a.userId).map((ev) => ev.content.status_msg)).toEqual(['after']);
      await srv.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
