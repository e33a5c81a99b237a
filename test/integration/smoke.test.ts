import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

test('versions', async () => {
  const r = await s.req('GET', '/_matrix/client/versions');
  expect(r.statusCode).toBe(200);
  expect(r.json().versions).toContain('v1.1');
});

test('register and whoami', async () => {
  const u = await s.register('alice');
  const r = await s.req('GET', '/_matrix/client/v3/account/whoami', { token: u.token });
  expect(r.json()).toEqual({
    user_id: '@alice:test.local',
    device_id: u.deviceId,
    is_guest: false,
  });
});
