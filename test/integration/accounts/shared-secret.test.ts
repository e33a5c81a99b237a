import { expectError } from '../../helpers/expect.js';
import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { useServer, type TestServer } from '../../helpers/server.js';

// Shared-secret registration (Synapse's /_synapse/admin/v1/register, as used by
// register_new_matrix_user): a one-time nonce, then an HMAC-SHA1 over the new user.

const URL = '/_synapse/admin/v1/register';
const TOKENS = '/_synapse/admin/v1/registration_tokens';
const SECRET = 'test-shared-secret';
const PW = 'correct horse battery staple';

interface NewUser {
  username: string;
  password?: string;
  admin?: boolean;
  user_type?: string;
  displayname?: string;
}

function mac(nonce: string, u: NewUser, secret = SECRET): string {
  const parts = [nonce, u.username, u.password ?? PW, u.admin ? 'admin' : 'notadmin'];
  if (u.user_type) parts.push(u.user_type);
  return createHmac('sha1', secret).update(parts.join('\0')).digest('hex');
}

async function nonce(s: TestServer): Promise<string> {
  const r = await s.req('GET', URL);
  expect(r.statusCode).toBe(200);
  return r.json().nonce as string;
}

/** Registers `u` with a fresh nonce; `body` overrides fields of the request. */
async function registerUser(s: TestServer, u: NewUser, body: Record<string, unknown> = {}) {
  const n = await nonce(s);
  return s.req('POST', URL, {
    body: { password: PW, ...u, nonce: n, mac: mac(n, u), ...body },
  });
}

describe('shared secret configured', () => {
  const s = useServer();

  test('GET gives a fresh nonce each time', async () => {
    const [a, b] = [await nonce(s()), await nonce(s())];
    expect(a).toMatch(/^\S{16,}$/);
    expect(a).not.toBe(b);
  });

  test('a correct HMAC registers a user, who is not an admin', async () => {
    const r = await registerUser(s(), { username: 'bob' });
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b).toMatchObject({ user_id: '@bob:test.local', device_id: expect.any(String) });
    const who = await s().req('GET', '/_matrix/client/v3/account/whoami', {
      token: b.access_token,
    });
    expect(who.json().user_id).toBe('@bob:test.local');
    expectError(await s().req('GET', TOKENS, { token: b.access_token }), 403, 'M_FORBIDDEN');
  });

  test('admin: true makes an admin of the admin API', async () => {
    const r = await registerUser(s(), { username: 'root', admin: true });
    expect(r.statusCode).toBe(200);
    const list = await s().req('GET', TOKENS, { token: r.json().access_token });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ registration_tokens: [] });
  });

  test('the display name defaults to the localpart, or is the one given', async () => {
    const profile = (u: string) => s().req('GET', `/_matrix/client/v3/profile/@${u}:test.local`);
    expect((await profile('bob')).json().displayname).toBe('bob');
    await registerUser(s(), { username: 'cat' }, { displayname: 'Cat Stevens' });
    expect((await profile('cat')).json().displayname).toBe('Cat Stevens');
  });

  test('user_type is covered by the HMAC', async () => {
    expect((await registerUser(s(), { username: 'robot', user_type: 'bot' })).statusCode).toBe(200);
    const unsigned = await registerUser(s(), { username: 'robot2' }, { user_type: 'bot' });
    expectError(unsigned, 403, 'M_FORBIDDEN');
  });

  test('the username is lower-cased, as register_new_matrix_user expects', async () => {
    const r = await registerUser(s(), { username: 'Dave' });
    expect(r.json().user_id).toBe('@dave:test.local');
  });

  test('a wrong HMAC is 403 M_FORBIDDEN and creates nothing', async () => {
    const r = await registerUser(s(), { username: 'eve' }, { mac: mac('x', { username: 'eve' }) });
    expectError(r, 403, 'M_FORBIDDEN');
    const wrongSecret = { mac: mac('x', { username: 'eve' }, 'guessed') };
    expectError(await registerUser(s(), { username: 'eve' }, wrongSecret), 403, 'M_FORBIDDEN');
    expect((await registerUser(s(), { username: 'eve' })).statusCode).toBe(200);
  });

  test('a nonce works once; an unknown nonce is refused', async () => {
    const n = await nonce(s());
    const u = { username: 'fay' };
    const body = { nonce: n, username: 'fay', password: PW, mac: mac(n, u) };
    expect((await s().req('POST', URL, { body })).statusCode).toBe(200);
    const again = { ...body, username: 'gus', mac: mac(n, { username: 'gus' }) };
    const reused = await s().req('POST', URL, { body: again });
    expect(reused.statusCode).toBe(400);
    expect(reused.json().errcode).toMatch(/^M_/);
    const unknown = await registerUser(s(), { username: 'gus' }, { nonce: 'f00d' });
    expect(unknown.statusCode).toBe(400);
  });

  test('taken and invalid names, and missing fields', async () => {
    expectError(await registerUser(s(), { username: 'bob' }), 400, 'M_USER_IN_USE');
    expectError(await registerUser(s(), { username: 'b b' }), 400, 'M_INVALID_USERNAME');
    const n = await nonce(s());
    const r = await s().req('POST', URL, { body: { nonce: n, username: 'hal', password: PW } });
    expectError(r, 400, 'M_MISSING_PARAM');
  });
});

describe('nonce lifetime', () => {
  let now = Date.now();
  const s = useServer({}, { clock: { now: () => now } });

  test('a nonce older than a minute is refused', async () => {
    const n = await nonce(s());
    now += 61_000;
    const u = { username: 'late' };
    const r = await s().req('POST', URL, {
      body: { ...u, password: PW, nonce: n, mac: mac(n, u) },
    });
    expect(r.statusCode).toBe(400);
  });
});

describe('no shared secret', () => {
  const s = useServer({ registration_shared_secret: null });

  test('GET and POST are 400', async () => {
    expect((await s().req('GET', URL)).statusCode).toBe(400);
    const body = { nonce: 'n', username: 'ivy', password: PW, mac: mac('n', { username: 'ivy' }) };
    const r = await s().req('POST', URL, { body });
    expect(r.statusCode).toBe(400);
    expect(r.json().errcode).toMatch(/^M_/);
  });
});
