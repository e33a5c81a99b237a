import { expectError } from '../../helpers/expect.js';
import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { useServer, type TestServer } from '../../helpers/server.js';

// POST /register, GET /register/available, registration tokens and the 3PID requestToken
// endpoints, as a client sees them (spec: registration.yaml, registration_tokens.yaml).

const REGISTER = '/_matrix/client/v3/register';
const VALIDITY = '/_matrix/client/v1/register/m.login.registration_token/validity';
const PW = 'correct horse battery staple';
const DUMMY = { type: 'm.login.dummy' };
const WHOAMI = '/_matrix/client/v3/account/whoami';
const TOKENS = '/_synapse/admin/v1/registration_tokens';

const reg = (s: TestServer, body: unknown, query = '') => s.req('POST', REGISTER + query, { body });

/** First request of a registration: the 401 challenge's session id. */
async function startSession(s: TestServer, body: Record<string, unknown> = {}): Promise<string> {
  const r = await reg(s, body);
  expect(r.statusCode).toBe(401);
  return r.json().session as string;
}

const available = (s: TestServer, username: string) =>
  s.req('GET', `${REGISTER}/available?username=${encodeURIComponent(username)}`);

async function isAvailable(s: TestServer, username: string): Promise<boolean> {
  const r = await available(s, username);
  if (r.statusCode === 200) return r.json().available === true;
  expectError(r, 400, 'M_USER_IN_USE');
  return false;
}

/** An admin made through shared-secret registration (register_new_matrix_user -a). */
async function makeAdmin(s: TestServer, username: string): Promise<string> {
  const { nonce } = (await s.req('GET', '/_synapse/admin/v1/register')).json();
  const mac = createHmac('sha1', 'test-shared-secret')
    .update([nonce, username, PW, 'admin'].join('\0'))
    .digest('hex');
  const body = { nonce, username, password: PW, admin: true, mac };
  const r = await s.req('POST', '/_synapse/admin/v1/register', { body });
  expect(r.statusCode).toBe(200);
  return r.json().access_token as string;
}

describe('open registration', () => {
  const s = useServer();

  test('the first request is a 401 challenge offering m.login.dummy', async () => {
    const r = await reg(s(), { username: 'ann', password: PW });
    expect(r.statusCode).toBe(401);
    const b = r.json();
    expect(b).toMatchObject({ flows: [{ stages: ['m.login.dummy'] }], params: {} });
    expect(b.session).toMatch(/.+/);
    expect(b.completed).toBeUndefined();
  });

  test('completing m.login.dummy creates the account and logs in', async () => {
    const session = await startSession(s(), { username: 'ann', password: PW });
    const r = await reg(s(), { username: 'ann', password: PW, auth: { ...DUMMY, session } });
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.user_id).toBe('@ann:test.local');
    expect(b.access_token).toMatch(/.+/);
    expect(b.device_id).toMatch(/.+/);
    expect(b.refresh_token).toBeUndefined();
    const who = await s().req('GET', WHOAMI, { token: b.access_token });
    expect(who.json()).toMatchObject({ user_id: '@ann:test.local', device_id: b.device_id });
  });

  test('the session remembers the username and password of the first request', async () => {
    const session = await startSession(s(), { username: 'bea', password: PW });
    const r = await reg(s(), { auth: { ...DUMMY, session } });
    expect(r.json().user_id).toBe('@bea:test.local');
    const body = { type: 'm.login.password', user: 'bea', password: PW };
    const login = await s().req('POST', '/_matrix/client/v3/login', { body });
    expect(login.statusCode).toBe(200);
  });

  test('device_id and initial_device_display_name are used', async () => {
    const r = await reg(s(), {
      ...{ username: 'dee', password: PW, auth: DUMMY },
      ...{ device_id: 'MYPHONE', initial_device_display_name: 'Jungle Phone' },
    });
    expect(r.json().device_id).toBe('MYPHONE');
    const token = r.json().access_token as string;
    const d = await s().req('GET', '/_matrix/client/v3/devices/MYPHONE', { token });
    expect(d.json()).toMatchObject({ device_id: 'MYPHONE', display_name: 'Jungle Phone' });
  });

  test('a taken name is M_USER_IN_USE before any UIA; /available says so too', async () => {
    await s().register('eve');
    const r = await reg(s(), { username: 'eve', password: PW });
    expectError(r, 400, 'M_USER_IN_USE');
    expect(r.json().session).toBeUndefined();
    expect(await isAvailable(s(), 'eve')).toBe(false);
  });

  test('GET /register/available: a free name, and a missing parameter', async () => {
    const r = await available(s(), 'free.name');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ available: true });
    expectError(await s().req('GET', `${REGISTER}/available`), 400, 'M_MISSING_PARAM');
  });

  test.each([
    ['upper case', 'Alice'],
    ['a space', 'al ice'],
    ['a bad character', 'al!ce'],
    ['a colon', 'ali:ce'],
    ['a leading underscore', '_alice'],
    ['only digits', '12345'],
    ['too many characters', 'a'.repeat(244)],
    ['nothing', ''],
  ])('a username with %s is M_INVALID_USERNAME', async (_why, username) => {
    expectError(await reg(s(), { username, password: PW, auth: DUMMY }), 400, 'M_INVALID_USERNAME');
    expectError(await available(s(), username), 400, 'M_INVALID_USERNAME');
  });

  test('guests are refused without allow_guest_access; an unknown kind is refused', async () => {
    expectError(await reg(s(), {}, '?kind=guest'), 403, 'M_GUEST_ACCESS_FORBIDDEN');
    const kind = await reg(s(), { username: 'kind', password: PW }, '?kind=admin');
    expect(kind.statusCode).toBe(400);
  });

  test('inhibit_login registers without logging in', async () => {
    const r = await reg(s(), { username: 'fay', password: PW, inhibit_login: true, auth: DUMMY });
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.user_id).toBe('@fay:test.local');
    for (const k of ['access_token', 'device_id', 'refresh_token', 'expires_in_ms']) {
      expect(b[k]).toBeUndefined();
    }
    expect(await isAvailable(s(), 'fay')).toBe(false);
  });

  test('refresh_token: true gives a refresh token and a lifetime', async () => {
    const r = await reg(s(), { username: 'gus', password: PW, refresh_token: true, auth: DUMMY });
    const b = r.json();
    expect(b.refresh_token).toMatch(/.+/);
    expect(b.expires_in_ms).toBeGreaterThan(0);
    const body = { refresh_token: b.refresh_token };
    expect((await s().req('POST', '/_matrix/client/v3/refresh', { body })).statusCode).toBe(200);
  });

  test('an unknown session id is refused and creates nothing', async () => {
    const auth = { ...DUMMY, session: 'nosuch' };
    const r = await reg(s(), { username: 'hal', password: PW, auth });
    expect(r.statusCode).toBe(400);
    expect(r.json().errcode).toMatch(/^M_/);
    expect(await isAvailable(s(), 'hal')).toBe(true);
  });

  test('a session of another operation cannot register', async () => {
    const u = await s().register('ivy');
    const body = { new_password: 'another password' };
    const url = '/_matrix/client/v3/account/password';
    const pw = await s().req('POST', url, { token: u.token, body });
    expect(pw.statusCode).toBe(401);
    const auth = { ...DUMMY, session: pw.json().session };
    const r = await reg(s(), { username: 'jay', password: PW, auth });
    expectError(r, 403, 'M_FORBIDDEN');
    expect(await isAvailable(s(), 'jay')).toBe(true);
  });

  test('a completed flow without a password is M_MISSING_PARAM and creates nothing', async () => {
    expectError(await reg(s(), { username: 'kim', auth: DUMMY }), 400, 'M_MISSING_PARAM');
    expect(await isAvailable(s(), 'kim')).toBe(true);
  });

  test.each([
    ['username', { username: 5 }],
    ['password', { username: 'lee', password: true }],
    ['inhibit_login', { username: 'lee', password: PW, inhibit_login: 'yes' }],
    ['auth', { username: 'lee', password: PW, auth: 'm.login.dummy' }],
  ])('a wrongly typed %s is 400 M_BAD_JSON', async (_field, body) => {
    expectError(await reg(s(), body), 400, 'M_BAD_JSON');
  });

  test('a body that is not an object is refused', async () => {
    const r = await reg(s(), '["lee"]');
    expect(r.statusCode).toBe(400);
    expect(['M_NOT_JSON', 'M_BAD_JSON']).toContain(r.json().errcode);
  });

  const email = { client_secret: 'monkeys_are_GREAT', email: 'a@example.org', send_attempt: 1 };
  const msisdn = { client_secret: 'x.y', country: 'GB', phone_number: '0770090', send_attempt: 1 };
  test.each([
    ['register/email', email],
    ['register/msisdn', msisdn],
    ['account/password/email', email],
    ['account/password/msisdn', msisdn],
  ])('POST %s/requestToken: no 3PID sending, and input errors', async (path, valid) => {
    const url = `/_matrix/client/v3/${path}/requestToken`;
    const ok = await s().req('POST', url, { body: valid });
    expectError(ok, 400, 'M_THREEPID_MEDIUM_NOT_SUPPORTED');
    const { client_secret: _omit, ...noSecret } = valid;
    expectError(await s().req('POST', url, { body: noSecret }), 400, 'M_MISSING_PARAM');
    const wrong = { ...valid, send_attempt: 'one' };
    expectError(await s().req('POST', url, { body: wrong }), 400, 'M_BAD_JSON');
  });

  test('token validity answers even when tokens are not required', async () => {
    const r = await s().req('GET', `${VALIDITY}?token=abc`);
    expect({ status: r.statusCode, body: r.json() }).toEqual({
      status: 200,
      body: { valid: false },
    });
  });
});

describe('registration closed', () => {
  const s = useServer({
    enable_registration: false,
    enable_registration_without_verification: false,
  });

  test('/register, /register/available and token validity are 403 M_FORBIDDEN', async () => {
    expectError(await reg(s(), { username: 'mia', password: PW, auth: DUMMY }), 403, 'M_FORBIDDEN');
    expectError(await s().req('GET', `${REGISTER}/available?username=mia`), 403, 'M_FORBIDDEN');
    expectError(await s().req('GET', `${VALIDITY}?token=abc`), 403, 'M_FORBIDDEN');
    expect(await makeAdmin(s(), 'root')).toMatch(/.+/); // the shared secret still works
  });
});

describe('guest access allowed', () => {
  const s = useServer({ allow_guest_access: true });

  test('kind=guest registers a numeric guest, ignoring the requested name', async () => {
    const body = { username: 'notme', password: PW, initial_device_display_name: 'Guest tab' };
    const r = await reg(s(), body, '?kind=guest');
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.user_id).toMatch(/^@\d+:test\.local$/);
    const who = await s().req('GET', WHOAMI, { token: b.access_token });
    expect(who.json()).toEqual({ user_id: b.user_id, device_id: b.device_id, is_guest: true });
    const dev = await s().req('GET', `/_matrix/client/v3/devices/${b.device_id}`, {
      token: b.access_token,
    });
    expect(dev.json().display_name).toBe('Guest tab');
  });
});

describe('password policy', () => {
  const s = useServer({
    password_config: { policy: { enabled: true, minimum_length: 10, require_digit: true } },
  });

  test('a weak password is M_WEAK_PASSWORD, up front and after UIA', async () => {
    expectError(await reg(s(), { username: 'ned', password: 'short1' }), 400, 'M_WEAK_PASSWORD');
    const session = await startSession(s(), { username: 'ned' });
    const late = await reg(s(), { password: 'no digits here', auth: { ...DUMMY, session } });
    expectError(late, 400, 'M_WEAK_PASSWORD');
    expect(await isAvailable(s(), 'ned')).toBe(true);
    const ok = await reg(s(), { username: 'ned', password: 'long enough 42', auth: DUMMY });
    expect(ok.statusCode).toBe(200);
  });
});

describe('registration tokens required', () => {
  const s = useServer({ registration_requires_token: true });
  let admin: string;
  beforeAll(async () => {
    admin = await makeAdmin(s(), 'admin');
  });
  const tokenStage = (token: string, session: string) => ({
    auth: { type: 'm.login.registration_token', token, session },
  });

  test('the flow is registration_token then dummy; dummy alone does not finish', async () => {
    const first = await reg(s(), { username: 'oli', password: PW });
    expect(first.statusCode).toBe(401);
    const stages = ['m.login.registration_token', 'm.login.dummy'];
    expect(first.json().flows).toEqual([{ stages }]);
    const dummy = await reg(s(), { auth: { ...DUMMY, session: first.json().session } });
    expect(dummy.statusCode).toBe(401);
    expect(dummy.json().completed).toEqual(['m.login.dummy']);
    expect(await isAvailable(s(), 'oli')).toBe(true);
  });

  test('an invalid token is a 401 with an errcode, and creates nothing', async () => {
    const session = await startSession(s(), { username: 'pat', password: PW });
    const r = await reg(s(), tokenStage('wrong', session));
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ errcode: expect.stringMatching(/^M_/), session });
    expect(await isAvailable(s(), 'pat')).toBe(true);
  });

  test('a token from the admin API registers exactly uses_allowed accounts', async () => {
    const made = await s().req('POST', `${TOKENS}/new`, {
      token: admin,
      body: { uses_allowed: 1 },
    });
    expect(made.statusCode).toBe(200);
    const { token } = made.json();
    const fresh = { token, uses_allowed: 1, pending: 0, completed: 0, expiry_time: null };
    expect(made.json()).toEqual(fresh);
    expect((await s().req('GET', `${VALIDITY}?token=${token}`)).json()).toEqual({ valid: true });

    const session = await startSession(s(), { username: 'quinn', password: PW });
    const step = await reg(s(), tokenStage(token, session));
    expect(step.statusCode).toBe(401);
    expect(step.json().completed).toEqual(['m.login.registration_token']);
    const done = await reg(s(), { auth: { ...DUMMY, session } });
    expect(done.json().user_id).toBe('@quinn:test.local');

    expect((await s().req('GET', `${VALIDITY}?token=${token}`)).json()).toEqual({ valid: false });
    const info = await s().req('GET', `${TOKENS}/${token}`, { token: admin });
    expect(info.json()).toMatchObject({ pending: 0, completed: 1 });

    const again = await startSession(s(), { username: 'rae', password: PW });
    const used = await reg(s(), tokenStage(token, again));
    expect(used.statusCode).toBe(401);
    expect(used.json().errcode).toMatch(/^M_/);
    expect(await isAvailable(s(), 'rae')).toBe(true);
  });

  test('validity: unknown tokens are invalid; the token parameter is required', async () => {
    expect((await s().req('GET', `${VALIDITY}?token=nosuch`)).json()).toEqual({ valid: false });
    expectError(await s().req('GET', VALIDITY), 400, 'M_MISSING_PARAM');
  });
});

describe('registration rate limit', () => {
  const s = useServer({ rc_registration: { per_second: 0.01, burst_count: 1 } });

  test('past rc_registration: 429 M_LIMIT_EXCEEDED, retry_after_ms, Retry-After', async () => {
    await s().register('sam');
    const r = await reg(s(), { username: 'tom', password: PW, auth: DUMMY });
    expectError(r, 429, 'M_LIMIT_EXCEEDED');
    expect(r.json().retry_after_ms).toBeGreaterThan(0);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect(await isAvailable(s(), 'tom')).toBe(true);
  });
});
