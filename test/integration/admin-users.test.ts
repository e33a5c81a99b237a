import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { computeRegistrationMac } from '../../server/accounts/shared-secret.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let admin: { userId: string; token: string };
let bob: { userId: string; token: string };

async function registerAdmin(username: string): Promise<{ userId: string; token: string }> {
  const { nonce } = (await s.req('GET', '/_synapse/admin/v1/register')).json();
  const body = { nonce, username, password: 'pw-for-admin', admin: true };
  const res = await s.req('POST', '/_synapse/admin/v1/register', {
    body: { ...body, mac: computeRegistrationMac('test-shared-secret', body) },
  });
  expect(res.statusCode).toBe(200);
  return { userId: res.json().user_id, token: res.json().access_token };
}

beforeAll(async () => {
  s = await createTestServer();
  admin = await registerAdmin('root');
  bob = await s.register('bob');
});
afterAll(() => s.close());

describe('/_synapse/admin/v1/users/{userId}/admin', () => {
  const path = (u: string) => `/_synapse/admin/v1/users/${encodeURIComponent(u)}/admin`;

  test('an admin reads admin status', async () => {
    expect((await s.req('GET', path(admin.userId), { token: admin.token })).json()).toEqual({
      admin: true,
    });
    expect((await s.req('GET', path(bob.userId), { token: admin.token })).json()).toEqual({
      admin: false,
    });
  });

  test('a non-admin is refused, an unknown user is 404', async () => {
    const r = await s.req('GET', path(bob.userId), { token: bob.token });
    expect([r.statusCode, r.json().errcode]).toEqual([403, 'M_FORBIDDEN']);
    const u = await s.req('GET', path('@nobody:test.local'), { token: admin.token });
    expect([u.statusCode, u.json().errcode]).toEqual([404, 'M_NOT_FOUND']);
  });

  test('promotion takes effect on the next request of the promoted user', async () => {
    const tokens = '/_synapse/admin/v1/registration_tokens';
    expect((await s.req('GET', tokens, { token: bob.token })).statusCode).toBe(403);
    const put = await s.req('PUT', path(bob.userId), { token: admin.token, body: { admin: true } });
    expect(put.statusCode).toBe(200);
    expect((await s.req('GET', tokens, { token: bob.token })).statusCode).toBe(200);
    await s.req('PUT', path(bob.userId), { token: admin.token, body: { admin: false } });
    expect((await s.req('GET', tokens, { token: bob.token })).statusCode).toBe(403);
  });

  test('an admin cannot demote themselves; a wrong body is M_BAD_JSON', async () => {
    const self = await s.req('PUT', path(admin.userId), {
      token: admin.token,
      body: { admin: false },
    });
    expect(self.statusCode).toBe(400);
    const bad = await s.req('PUT', path(bob.userId), {
      token: admin.token,
      body: { admin: 'yes' },
    });
    expect([bad.statusCode, bad.json().errcode]).toEqual([400, 'M_BAD_JSON']);
    expect((await s.req('GET', path(admin.userId), { token: admin.token })).json()).toEqual({
      admin: true,
    });
  });
});
