import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { computeRegistrationMac } from '../../../server/accounts/shared-secret.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** GET /_matrix/client/v3/capabilities (spec: client-server API, "Capabilities negotiation"). */

const URL = '/_matrix/client/v3/capabilities';
const ALL_VERSIONS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];

let s: TestServer;
let token: string;
beforeAll(async () => {
  s = await createTestServer();
  token = (await s.register('caps')).token;
});
afterAll(() => s.close());

async function capabilities(server: TestServer, t: string) {
  const r = await server.req('GET', URL, { token: t });
  expect(r.statusCode).toBe(200);
  return r.json().capabilities as Record<string, Record<string, unknown>>;
}

describe('GET /capabilities', () => {
  test('needs an access token', async () => {
    const none = await s.req('GET', URL);
    expect(none.statusCode).toBe(401);
    expect(none.json().errcode).toBe('M_MISSING_TOKEN');
    const bad = await s.req('GET', URL, { token: 'bogus' });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().errcode).toBe('M_UNKNOWN_TOKEN');
  });

  test('m.change_password is enabled', async () => {
    expect((await capabilities(s, token))['m.change_password']).toEqual({ enabled: true });
  });

  test('m.room_versions: default 12, versions 1 to 12 all stable', async () => {
    const rv = (await capabilities(s, token))['m.room_versions'];
    expect(rv).toEqual({
      default: '12',
      available: Object.fromEntries(ALL_VERSIONS.map((v) => [v, 'stable'])),
    });
  });

  test('profile capabilities agree: m.set_displayname, m.set_avatar_url and m.profile_fields enabled', async () => {
    const caps = await capabilities(s, token);
    expect(caps['m.set_displayname']).toEqual({ enabled: true });
    expect(caps['m.set_avatar_url']).toEqual({ enabled: true });
    expect(caps['m.profile_fields']).toMatchObject({ enabled: true });
    // Nothing is carved out of m.profile_fields, so displayname may indeed be set.
    expect(caps['m.profile_fields']?.allowed).toBeUndefined();
    expect(caps['m.profile_fields']?.disallowed ?? []).not.toContain('displayname');
  });

  test('capabilities this server does not offer say so', async () => {
    const caps = await capabilities(s, token);
    expect(caps['m.3pid_changes']).toEqual({ enabled: false });
    expect(caps['m.get_login_token']).toEqual({ enabled: false });
  });

  test('is also served under the r0 prefix', async () => {
    const r = await s.req('GET', '/_matrix/client/r0/capabilities', { token });
    expect(r.statusCode).toBe(200);
    expect(r.json().capabilities['m.room_versions'].default).toBe('12');
  });
});

describe('configuration shows in /capabilities', () => {
  test('default_room_version sets m.room_versions.default', async () => {
    const c = await createTestServer({ default_room_version: '10' });
    try {
      const t = (await c.register('caps-rv')).token;
      const rv = (await capabilities(c, t))['m.room_versions'];
      expect(rv?.default).toBe('10');
      expect(Object.keys(rv?.available as object)).toEqual(expect.arrayContaining(ALL_VERSIONS));
    } finally {
      await c.close();
    }
  });

  test('password_config.enabled: false turns m.change_password off, and /account/password agrees', async () => {
    const c = await createTestServer({ password_config: { enabled: false } });
    try {
      // /register needs passwords; the shared-secret admin API still creates an account.
      const nonce = (await c.req('GET', '/_synapse/admin/v1/register')).json().nonce as string;
      const body = { nonce, username: 'caps-nopw', password: 'unused password', admin: false };
      const mac = computeRegistrationMac('test-shared-secret', body);
      const reg = await c.req('POST', '/_synapse/admin/v1/register', { body: { ...body, mac } });
      expect(reg.statusCode).toBe(200);
      const t = reg.json().access_token as string;
      expect((await capabilities(c, t))['m.change_password']).toEqual({ enabled: false });
      const r = await c.req('POST', '/_matrix/client/v3/account/password', {
        token: t,
        body: { new_password: 'x' },
      });
      expect(r.statusCode).toBe(403);
      expect(r.json().errcode).toBe('M_FORBIDDEN');
    } finally {
      await c.close();
    }
  });
});
