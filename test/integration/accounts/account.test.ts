import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Account management as a client sees it: password changes and deactivation, both behind
 * User-Interactive Auth (spec: client-server API, "Account management").
 */

const V3 = '/_matrix/client/v3';
const PW = 'correct horse battery staple';
const NEW_PW = 'a brand new passphrase';
const FLOWS = [{ stages: ['m.login.password'] }];

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const login = (server: TestServer, user: string, password = PW) =>
  server.req('POST', `${V3}/login`, {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password },
  });

async function loginOk(user: string) {
  const r = await login(s, user);
  expect(r.statusCode).toBe(200);
  return r.json().access_token as string;
}

function passwordAuth(userId: string, session: string, password = PW) {
  return {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: userId },
    password,
    session,
  };
}

/** Runs a UIA-protected POST to completion with the password stage; returns the last answer. */
async function withUia(
  server: TestServer,
  path: string,
  token: string,
  userId: string,
  body: Record<string, unknown>,
  password = PW,
) {
  const first = await server.req('POST', `${V3}${path}`, { token, body });
  expect(first.statusCode).toBe(401);
  expect(first.json()).toMatchObject({ flows: FLOWS, session: expect.any(String) });
  return server.req('POST', `${V3}${path}`, {
    token,
    body: { ...body, auth: passwordAuth(userId, first.json().session, password) },
  });
}

const whoami = (token: string) => s.req('GET', `${V3}/account/whoami`, { token });

describe('POST /account/password', () => {
  test('changes the password: the old one stops working, the new one works', async () => {
    const a = await s.register('acct-pw');
    const r = await withUia(s, '/account/password', a.token, a.userId, { new_password: NEW_PW });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    const old = await login(s, a.userId);
    expect(old.statusCode).toBe(403);
    expect(old.json().errcode).toBe('M_FORBIDDEN');
    expect((await login(s, a.userId, NEW_PW)).statusCode).toBe(200);
  });

  test('logs out the other devices by default but keeps the caller’s', async () => {
    const a = await s.register('acct-pw-logout');
    const other = await loginOk(a.userId);
    expect((await whoami(other)).statusCode).toBe(200);
    expect(
      (await withUia(s, '/account/password', a.token, a.userId, { new_password: NEW_PW }))
        .statusCode,
    ).toBe(200);
    const dead = await whoami(other);
    expect(dead.statusCode).toBe(401);
    expect(dead.json().errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await whoami(a.token)).statusCode).toBe(200);
    const devices = await s.req('GET', `${V3}/devices`, { token: a.token });
    expect(devices.json().devices.map((d: { device_id: string }) => d.device_id)).toEqual([
      a.deviceId,
    ]);
  });

  test('logout_devices: false keeps the other devices', async () => {
    const a = await s.register('acct-pw-keep');
    const other = await loginOk(a.userId);
    const body = { new_password: NEW_PW, logout_devices: false };
    expect((await withUia(s, '/account/password', a.token, a.userId, body)).statusCode).toBe(200);
    expect((await whoami(other)).statusCode).toBe(200);
    expect((await whoami(a.token)).statusCode).toBe(200);
  });

  test('a wrong password fails the stage and changes nothing', async () => {
    const a = await s.register('acct-pw-wrong');
    const r = await withUia(
      s,
      '/account/password',
      a.token,
      a.userId,
      { new_password: NEW_PW },
      'not my password',
    );
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ errcode: 'M_FORBIDDEN', flows: FLOWS });
    expect((await login(s, a.userId)).statusCode).toBe(200);
    expect((await login(s, a.userId, NEW_PW)).statusCode).toBe(403);
  });

  test('without an access token it is refused (no email reset here)', async () => {
    const a = await s.register('acct-pw-notoken');
    const r = await s.req('POST', `${V3}/account/password`, {
      body: { new_password: NEW_PW, auth: passwordAuth(a.userId, 'x') },
    });
    expect(r.statusCode).toBe(403);
    expect(r.json().errcode).toBe('M_FORBIDDEN');
    expect((await login(s, a.userId)).statusCode).toBe(200);
  });

  test('new_password is required and must be a string', async () => {
    const a = await s.register('acct-pw-body');
    const missing = await s.req('POST', `${V3}/account/password`, { token: a.token, body: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errcode).toBe('M_MISSING_PARAM');
    const wrong = await s.req('POST', `${V3}/account/password`, {
      token: a.token,
      body: { new_password: 5 },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errcode).toBe('M_BAD_JSON');
  });

  test('a password the policy calls weak is M_WEAK_PASSWORD', async () => {
    const policy = {
      enabled: true,
      minimum_length: 10,
      require_digit: true,
      require_uppercase: true,
    };
    const p = await createTestServer({ password_config: { policy } });
    try {
      const strong = 'Str0ng enough';
      const a = await p.register('weak', strong);
      for (const weak of ['Sh0rt', 'no digits Here', 'lower case 123']) {
        const r = await p.req('POST', `${V3}/account/password`, {
          token: a.token,
          body: { new_password: weak },
        });
        expect(r.statusCode).toBe(400);
        expect(r.json().errcode).toBe('M_WEAK_PASSWORD');
      }
      const r = await withUia(
        p,
        '/account/password',
        a.token,
        a.userId,
        { new_password: 'Also str0ng enough' },
        strong,
      );
      expect(r.statusCode).toBe(200);
    } finally {
      await p.close();
    }
  });
});

describe('POST /account/password/{medium}/requestToken', () => {
  test('email and msisdn answer 400 M_THREEPID_MEDIUM_NOT_SUPPORTED', async () => {
    const email = await s.req('POST', `${V3}/account/password/email/requestToken`, {
      body: { client_secret: 'sekrit', email: 'alice@example.com', send_attempt: 1 },
    });
    expect(email.statusCode).toBe(400);
    expect(email.json().errcode).toBe('M_THREEPID_MEDIUM_NOT_SUPPORTED');
    const msisdn = await s.req('POST', `${V3}/account/password/msisdn/requestToken`, {
      body: {
        client_secret: 'sekrit',
        country: 'GB',
        phone_number: '07700900000',
        send_attempt: 1,
      },
    });
    expect(msisdn.statusCode).toBe(400);
    expect(msisdn.json().errcode).toBe('M_THREEPID_MEDIUM_NOT_SUPPORTED');
  });
});

describe('POST /account/deactivate', () => {
  test('needs UIA: no body and no auth give the challenge, a wrong password is refused', async () => {
    const a = await s.register('acct-deact-uia');
    const bare = await s.req('POST', `${V3}/account/deactivate`, { token: a.token });
    expect(bare.statusCode).toBe(401);
    expect(bare.json()).toMatchObject({ flows: FLOWS, session: expect.any(String) });
    const wrong = await withUia(s, '/account/deactivate', a.token, a.userId, {}, 'wrong');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().errcode).toBe('M_FORBIDDEN');
    expect((await whoami(a.token)).statusCode).toBe(200);
  });

  test('afterwards the tokens are dead, login is M_USER_DEACTIVATED and the name stays taken', async () => {
    const a = await s.register('acct-deact');
    const other = await loginOk(a.userId);
    const r = await withUia(s, '/account/deactivate', a.token, a.userId, {});
    expect(r.statusCode).toBe(200);
    // No third-party ids are ever bound here, so there is nothing that failed to unbind (spec).
    expect(r.json()).toEqual({ id_server_unbind_result: 'success' });

    for (const t of [a.token, other]) {
      const dead = await whoami(t);
      expect(dead.statusCode).toBe(401);
      expect(dead.json().errcode).toBe('M_UNKNOWN_TOKEN');
    }
    const li = await login(s, a.userId);
    expect(li.statusCode).toBe(403);
    expect(li.json().errcode).toBe('M_USER_DEACTIVATED');

    const again = await s.req('POST', `${V3}/register`, {
      body: { username: 'acct-deact', password: PW },
    });
    expect(again.statusCode).toBe(400);
    expect(again.json().errcode).toBe('M_USER_IN_USE');
    const avail = await s.req('GET', `${V3}/register/available?username=acct-deact`);
    expect(avail.json().errcode).toBe('M_USER_IN_USE');
    // Without erase, the profile stays.
    const dn = await s.req('GET', `${V3}/profile/${encodeURIComponent(a.userId)}/displayname`);
    expect(dn.json()).toEqual({ displayname: 'acct-deact' });
  });

  test('erase: true also removes the profile', async () => {
    const a = await s.register('acct-erase');
    const avatar = `${V3}/profile/${encodeURIComponent(a.userId)}/avatar_url`;
    expect(
      (await s.req('PUT', avatar, { token: a.token, body: { avatar_url: 'mxc://test.local/me' } }))
        .statusCode,
    ).toBe(200);
    expect(
      (await withUia(s, '/account/deactivate', a.token, a.userId, { erase: true })).statusCode,
    ).toBe(200);
    for (const key of ['displayname', 'avatar_url']) {
      const r = await s.req('GET', `${V3}/profile/${encodeURIComponent(a.userId)}/${key}`);
      expect(r.statusCode).toBe(404);
      expect(r.json().errcode).toBe('M_NOT_FOUND');
    }
  });

  test('needs an access token; a session started to change the password cannot deactivate', async () => {
    const none = await s.req('POST', `${V3}/account/deactivate`, { body: {} });
    expect(none.statusCode).toBe(401);
    expect(none.json().errcode).toBe('M_MISSING_TOKEN');

    const a = await s.register('acct-deact-bind');
    const first = await s.req('POST', `${V3}/account/password`, {
      token: a.token,
      body: { new_password: NEW_PW },
    });
    const session = first.json().session as string;
    const r = await s.req('POST', `${V3}/account/deactivate`, {
      token: a.token,
      body: { auth: passwordAuth(a.userId, session) },
    });
    expect(r.statusCode).toBe(403);
    expect(r.json().errcode).toBe('M_FORBIDDEN');
    expect((await whoami(a.token)).statusCode).toBe(200);
  });
});
