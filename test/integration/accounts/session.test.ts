import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Sessions as a client sees them: whoami, logout, logout/all (spec: "Login", "Logout"). */

const V3 = '/_matrix/client/v3';
const PW = 'correct horse battery staple';

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

async function login(user: string, extra: Record<string, unknown> = {}) {
  const r = await s.req('POST', `${V3}/login`, {
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user },
      password: PW,
      ...extra,
    },
  });
  expect(r.statusCode).toBe(200);
  return { token: r.json().access_token as string, deviceId: r.json().device_id as string };
}

const whoami = (token: string) => s.req('GET', `${V3}/account/whoami`, { token });
const deviceIds = async (token: string) =>
  ((await s.req('GET', `${V3}/devices`, { token })).json().devices as { device_id: string }[]).map(
    (d) => d.device_id,
  );

function expectDead(r: { statusCode: number; json(): Record<string, unknown> }) {
  expect(r.statusCode).toBe(401);
  expect(r.json()).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
}

describe('GET /account/whoami', () => {
  test('gives user_id, device_id and is_guest for the token', async () => {
    const a = await s.register('sess-who');
    const r = await whoami(a.token);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ user_id: a.userId, device_id: a.deviceId, is_guest: false });
    const b = await login(a.userId, { device_id: 'MYLAPTOP' });
    expect((await whoami(b.token)).json()).toEqual({
      user_id: a.userId,
      device_id: 'MYLAPTOP',
      is_guest: false,
    });
  });

  test('is_guest is true for a guest', async () => {
    const g = await createTestServer({ allow_guest_access: true });
    try {
      const reg = await g.req('POST', `${V3}/register?kind=guest`, { body: {} });
      expect(reg.statusCode).toBe(200);
      const r = await g.req('GET', `${V3}/account/whoami`, { token: reg.json().access_token });
      expect(r.json()).toEqual({
        user_id: reg.json().user_id,
        device_id: reg.json().device_id,
        is_guest: true,
      });
    } finally {
      await g.close();
    }
  });

  test('401 M_MISSING_TOKEN without a token, M_UNKNOWN_TOKEN with an unknown one', async () => {
    const none = await s.req('GET', `${V3}/account/whoami`);
    expect(none.statusCode).toBe(401);
    expect(none.json().errcode).toBe('M_MISSING_TOKEN');
    expectDead(await whoami('hat_not_a_real_token'));
  });

  test('the token may also come as the access_token query parameter', async () => {
    const a = await s.register('sess-query');
    const r = await s.req(
      'GET',
      `${V3}/account/whoami?access_token=${encodeURIComponent(a.token)}`,
    );
    expect(r.statusCode).toBe(200);
    expect(r.json().user_id).toBe(a.userId);
  });
});

describe('POST /logout', () => {
  test('kills the token and deletes its device; other sessions carry on', async () => {
    const a = await s.register('sess-logout');
    const b = await login(a.userId);
    expect((await deviceIds(a.token)).sort()).toEqual([a.deviceId, b.deviceId].sort());

    const r = await s.req('POST', `${V3}/logout`, { token: b.token });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    expectDead(await whoami(b.token));
    expect(await deviceIds(a.token)).toEqual([a.deviceId]);
    expect((await whoami(a.token)).statusCode).toBe(200);

    // A second logout with the dead token is itself refused.
    expectDead(await s.req('POST', `${V3}/logout`, { token: b.token }));
  });

  test('does not touch other users', async () => {
    const a = await s.register('sess-logout-a');
    const b = await s.register('sess-logout-b');
    expect((await s.req('POST', `${V3}/logout`, { token: a.token })).statusCode).toBe(200);
    expect((await whoami(b.token)).statusCode).toBe(200);
  });

  test('needs a token', async () => {
    const r = await s.req('POST', `${V3}/logout`);
    expect(r.statusCode).toBe(401);
    expect(r.json().errcode).toBe('M_MISSING_TOKEN');
  });

  test('the user can log in again afterwards, even with the same device id', async () => {
    const a = await s.register('sess-relogin');
    const b = await login(a.userId, { device_id: 'PHONE' });
    expect((await s.req('POST', `${V3}/logout`, { token: b.token })).statusCode).toBe(200);
    const c = await login(a.userId, { device_id: 'PHONE' });
    expect((await whoami(c.token)).json().device_id).toBe('PHONE');
    expectDead(await whoami(b.token));
  });
});

describe('POST /logout/all', () => {
  test('kills every token and device of the user, and only theirs', async () => {
    const a = await s.register('sess-all');
    const b = await login(a.userId);
    const c = await login(a.userId);
    const other = await s.register('sess-all-other');
    for (const t of [a.token, b.token, c.token]) expect((await whoami(t)).statusCode).toBe(200);

    const r = await s.req('POST', `${V3}/logout/all`, { token: b.token });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    for (const t of [a.token, b.token, c.token]) expectDead(await whoami(t));
    expect((await whoami(other.token)).statusCode).toBe(200);

    const fresh = await login(a.userId);
    expect(await deviceIds(fresh.token)).toEqual([fresh.deviceId]);
  });

  test('needs a token', async () => {
    const r = await s.req('POST', `${V3}/logout/all`);
    expect(r.statusCode).toBe(401);
    expect(r.json().errcode).toBe('M_MISSING_TOKEN');
  });
});
