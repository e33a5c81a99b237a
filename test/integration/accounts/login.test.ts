import { expectError } from '../../helpers/expect.js';
import { describe, expect, test } from 'vitest';
import { useServer, type TestServer } from '../../helpers/server.js';

// GET/POST /login, POST /refresh, token expiry and login rate limits, as a client sees them
// (spec: login.yaml, refresh.yaml, "Soft logout").

const LOGIN = '/_matrix/client/v3/login';
const REFRESH = '/_matrix/client/v3/refresh';
const WHOAMI = '/_matrix/client/v3/account/whoami';
const PW = 'correct horse battery staple';
/** Every server of this file starts with alice registered. */
const withAlice = { setup: (s: TestServer) => s.register('alice', PW) };
const NO_LIMIT = { per_second: 1000, burst_count: 1000 };

/** An m.login.password body naming the user with an m.id.user identifier. */
const pw = (user: string, password = PW, extra: Record<string, unknown> = {}) => ({
  type: 'm.login.password',
  identifier: { type: 'm.id.user', user },
  password,
  ...extra,
});

const login = (s: TestServer, body: unknown) => s.req('POST', LOGIN, { body });
const whoami = (s: TestServer, token: string) => s.req('GET', WHOAMI, { token });
const refresh = (s: TestServer, token: string) =>
  s.req('POST', REFRESH, { body: { refresh_token: token } });

describe('password login', () => {
  const s = useServer({}, withAlice);

  test('GET /login offers m.login.password', async () => {
    const r = await s().req('GET', LOGIN);
    expect(r.statusCode).toBe(200);
    expect(r.json().flows).toContainEqual({ type: 'm.login.password' });
  });

  test.each([
    ['a localpart', pw('alice')],
    ['a full user id', pw('@alice:test.local')],
    ['another case', pw('ALICE')],
    ['another case of the full id', pw('@Alice:test.local')],
    ['the deprecated user field', { type: 'm.login.password', user: 'alice', password: PW }],
  ])('logs in with %s', async (_how, body) => {
    const r = await login(s(), body);
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.user_id).toBe('@alice:test.local');
    expect(b.device_id).toMatch(/.+/);
    expect(b.well_known['m.homeserver'].base_url).toMatch(/^https:\/\/test\.local\/?$/);
    expect(b.refresh_token).toBeUndefined();
    expect((await whoami(s(), b.access_token)).json().user_id).toBe('@alice:test.local');
  });

  test('a wrong password and an unknown user look the same: 403 M_FORBIDDEN', async () => {
    const wrong = await login(s(), pw('alice', 'not the password'));
    const unknown = await login(s(), pw('nobody'));
    const foreign = await login(s(), pw('@alice:elsewhere.example'));
    for (const r of [wrong, unknown, foreign]) expectError(r, 403, 'M_FORBIDDEN');
    expect(unknown.json().error).toBe(wrong.json().error);
    expect(foreign.json().error).toBe(wrong.json().error);
  });

  test('an unknown login type is 400; a missing type or password is 400', async () => {
    const r = await login(s(), { type: 'm.login.magic', user: 'alice', password: PW });
    expect(r.statusCode).toBe(400);
    expect(r.json().errcode).toMatch(/^M_/);
    expectError(await login(s(), { user: 'alice', password: PW }), 400, 'M_MISSING_PARAM');
    const noPw = await login(s(), { type: 'm.login.password', user: 'alice' });
    expect(noPw.statusCode).toBe(400);
  });

  test('third-party identifiers are 403 M_FORBIDDEN', async () => {
    const email = { type: 'm.id.thirdparty', medium: 'email', address: 'a@example.org' };
    const phone = { type: 'm.id.phone', country: 'GB', phone: '07700900001' };
    for (const identifier of [email, phone]) {
      const r = await login(s(), { type: 'm.login.password', identifier, password: PW });
      expectError(r, 403, 'M_FORBIDDEN');
    }
  });

  test('logging in again with a device_id keeps one device of that id', async () => {
    const first = await login(s(), pw('alice', PW, { device_id: 'LAPTOP' }));
    const second = await login(s(), pw('alice', PW, { device_id: 'LAPTOP' }));
    expect([first.json().device_id, second.json().device_id]).toEqual(['LAPTOP', 'LAPTOP']);
    const token = second.json().access_token as string;
    const list = await s().req('GET', '/_matrix/client/v3/devices', { token });
    const ids = (list.json().devices as { device_id: string }[]).map((d) => d.device_id);
    expect(ids.filter((id) => id === 'LAPTOP')).toHaveLength(1);
  });

  test('initial_device_display_name names the new device', async () => {
    const r = await login(s(), pw('alice', PW, { initial_device_display_name: 'Work laptop' }));
    const { device_id: id, access_token: token } = r.json();
    const list = await s().req('GET', '/_matrix/client/v3/devices', { token });
    expect(list.json().devices).toContainEqual(
      expect.objectContaining({ device_id: id, display_name: 'Work laptop' }),
    );
  });

  test('an unknown access token is M_UNKNOWN_TOKEN without soft_logout', async () => {
    const r = await whoami(s(), 'not-a-token');
    expectError(r, 401, 'M_UNKNOWN_TOKEN');
    expect(r.json().soft_logout).toBe(false);
  });

  test('a deactivated user cannot log in: 403 M_USER_DEACTIVATED', async () => {
    const u = await s().register('dora', PW);
    const url = '/_matrix/client/v3/account/deactivate';
    const start = await s().req('POST', url, { token: u.token, body: {} });
    expect(start.statusCode).toBe(401);
    const auth = { ...pw('dora'), session: start.json().session };
    const done = await s().req('POST', url, { token: u.token, body: { auth } });
    expect(done.statusCode).toBe(200);
    expectError(await login(s(), pw('dora')), 403, 'M_USER_DEACTIVATED');
    expectError(await whoami(s(), u.token), 401, 'M_UNKNOWN_TOKEN');
  });
});

describe('rc_login.address', () => {
  const limit = { per_second: 0.001, burst_count: 2 };
  const s = useServer(
    { rc_login: { address: limit, account: NO_LIMIT, failed_attempts: NO_LIMIT } },
    withAlice,
  );

  test('past the per-address limit, 429 M_LIMIT_EXCEEDED', async () => {
    expect((await login(s(), pw('alice'))).statusCode).toBe(200);
    expect((await login(s(), pw('alice', 'wrong'))).statusCode).toBe(403);
    const r = await login(s(), pw('alice'));
    expectError(r, 429, 'M_LIMIT_EXCEEDED');
    expect(r.json().retry_after_ms).toBeGreaterThan(0);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('rc_login.failed_attempts', () => {
  let now = Date.now();
  const limit = { per_second: 0.1, burst_count: 2 };
  const rc = { address: NO_LIMIT, account: NO_LIMIT, failed_attempts: limit };
  const s = useServer({ rc_login: rc }, { ...withAlice, clock: { now: () => now } });

  test('repeated failures lock the account for a while; a success resets the count', async () => {
    const bad = pw('alice', 'wrong');
    expectError(await login(s(), bad), 403, 'M_FORBIDDEN');
    expectError(await login(s(), bad), 403, 'M_FORBIDDEN');
    const locked = await login(s(), pw('alice'));
    expectError(locked, 429, 'M_LIMIT_EXCEEDED');
    expect(locked.json().retry_after_ms).toBeGreaterThan(0);
    await s().register('bob', PW);
    expect((await login(s(), pw('bob'))).statusCode).toBe(200); // other accounts are unaffected

    now += 11_000;
    expect((await login(s(), pw('alice'))).statusCode).toBe(200);
    expectError(await login(s(), bad), 403, 'M_FORBIDDEN');
    expectError(await login(s(), bad), 403, 'M_FORBIDDEN');
    expectError(await login(s(), bad), 429, 'M_LIMIT_EXCEEDED');
  });
});

describe('refresh tokens and expiry', () => {
  let now = Date.now();
  const s = useServer(
    { refreshable_access_token_lifetime: '1m' },
    { ...withAlice, clock: { now: () => now } },
  );
  const refreshable = async () =>
    (await login(s(), pw('alice', PW, { refresh_token: true }))).json();

  test('refresh_token: true gives a refresh token and the access token lifetime', async () => {
    const b = await refreshable();
    expect(b.refresh_token).toMatch(/.+/);
    expect(b.expires_in_ms).toBe(60_000);
  });

  test('the old refresh token works until the new access token is used', async () => {
    const { refresh_token: rt1 } = await refreshable();
    const r = await refresh(s(), rt1);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ access_token: expect.any(String), expires_in_ms: 60_000 });
    expect(r.json().refresh_token).not.toBe(rt1);
    const retry = await refresh(s(), rt1); // as after a lost response
    expect(retry.statusCode).toBe(200);
    expect((await whoami(s(), retry.json().access_token)).statusCode).toBe(200);
    const dead = await refresh(s(), rt1);
    expectError(dead, 401, 'M_UNKNOWN_TOKEN');
    expect((await refresh(s(), retry.json().refresh_token)).statusCode).toBe(200);
  });

  test('using the new refresh token also revokes the old one', async () => {
    const { refresh_token: rt1 } = await refreshable();
    const { refresh_token: rt2 } = (await refresh(s(), rt1)).json();
    expect((await refresh(s(), rt2)).statusCode).toBe(200);
    expectError(await refresh(s(), rt1), 401, 'M_UNKNOWN_TOKEN');
  });

  test('bad refresh requests', async () => {
    expectError(await refresh(s(), 'hrt_nosuchtoken'), 401, 'M_UNKNOWN_TOKEN');
    expectError(await s().req('POST', REFRESH, { body: {} }), 400, 'M_MISSING_PARAM');
  });

  test('an expired access token is M_UNKNOWN_TOKEN with soft_logout: true', async () => {
    const b = await refreshable();
    expect((await whoami(s(), b.access_token)).statusCode).toBe(200);
    now += 61_000;
    const r = await whoami(s(), b.access_token);
    expectError(r, 401, 'M_UNKNOWN_TOKEN');
    expect(r.json().soft_logout).toBe(true);
    const renewed = await refresh(s(), b.refresh_token);
    expect((await whoami(s(), renewed.json().access_token)).json().device_id).toBe(b.device_id);
  });

  test('tokens without refresh do not expire', async () => {
    const b = (await login(s(), pw('alice'))).json();
    expect(b.expires_in_ms).toBeUndefined();
    now += 7 * 24 * 3600_000;
    expect((await whoami(s(), b.access_token)).statusCode).toBe(200);
  });
});
