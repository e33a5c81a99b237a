import { expectError } from '../../helpers/expect.js';
import { beforeAll, describe, expect, test } from 'vitest';
import { useServer, type TestServer } from '../../helpers/server.js';

// What every endpoint shares, as a client sees it: Matrix errors for unknown paths, wrong
// methods and bad bodies, CORS everywhere, access tokens, legacy r0 paths and discovery
// (spec: "API standards", "Using access tokens", "Web browser clients", server discovery).

const WHOAMI = '/_matrix/client/v3/account/whoami';
const LOGIN = '/_matrix/client/v3/login';

type Res = Awaited<ReturnType<TestServer['req']>>;

function expectCors(r: Res): void {
  expect(r.headers['access-control-allow-origin']).toBe('*');
  expect(String(r.headers['access-control-allow-methods'])).toMatch(/POST/);
  expect(String(r.headers['access-control-allow-headers'])).toMatch(/Authorization/i);
}

describe('default server', () => {
  const s = useServer();
  let token: string;
  beforeAll(async () => {
    token = (await s().register('alice')).token;
  });

  test.each([
    ['GET', '/_matrix/client/v3/no/such/endpoint'],
    ['POST', '/_matrix/client/v3/nothing_here'],
    ['GET', '/_matrix/client/v9/login'],
    ['GET', '/_synapse/admin/v1/nonsense'],
  ])('%s %s is 404 M_UNRECOGNIZED with CORS headers', async (method, url) => {
    const r = await s().req(method, url);
    expectError(r, 404, 'M_UNRECOGNIZED');
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expectCors(r);
  });

  test.each([
    ['DELETE', LOGIN],
    ['PUT', WHOAMI],
    ['GET', '/_matrix/client/v3/refresh'],
    ['POST', '/_matrix/client/v3/devices/ABC'],
    ['PATCH', LOGIN],
  ])('%s %s (a known path) is 405 M_UNRECOGNIZED', async (method, url) => {
    expectError(await s().req(method, url, { token }), 405, 'M_UNRECOGNIZED');
  });

  test('malformed JSON is 400 M_NOT_JSON', async () => {
    for (const body of ['{"type": "m.login.password",', '{nope}', "{'a': 1}"]) {
      expectError(await s().req('POST', LOGIN, { body }), 400, 'M_NOT_JSON');
    }
  });

  test('JSON that is not an object is refused', async () => {
    for (const body of ['[1, 2]', '"text"', '42', 'null']) {
      const r = await s().req('POST', LOGIN, { body });
      expect(r.statusCode).toBe(400);
      expect(['M_NOT_JSON', 'M_BAD_JSON']).toContain(r.json().errcode);
    }
  });

  test('a body over 2 MiB is 413 M_TOO_LARGE', async () => {
    const body = JSON.stringify({ type: 'm.login.password', junk: 'x'.repeat(2 * 1024 * 1024) });
    expectError(await s().req('POST', LOGIN, { body }), 413, 'M_TOO_LARGE');
  });

  test('CORS headers on successes and errors', async () => {
    const ok = await s().req('GET', '/_matrix/client/versions');
    expect(ok.statusCode).toBe(200);
    expectCors(ok);
    const err = await s().req('POST', LOGIN, { body: { type: 'm.login.password', user: 'x' } });
    expect(err.statusCode).toBe(400);
    expectCors(err);
    expectCors(await s().req('GET', WHOAMI));
  });

  test.each([LOGIN, WHOAMI, '/_matrix/client/v3/rooms/!a:b/send/m.room.message/1', '/anything'])(
    'OPTIONS %s is 200 with CORS headers',
    async (url) => {
      const r = await s().req('OPTIONS', url, {
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
      });
      expect(r.statusCode).toBe(200);
      expectCors(r);
    },
  );

  test('access tokens: missing, unknown, in the query string, malformed header', async () => {
    expectError(await s().req('GET', WHOAMI), 401, 'M_MISSING_TOKEN');
    expectError(await s().req('GET', WHOAMI, { token: 'nope' }), 401, 'M_UNKNOWN_TOKEN');
    const q = await s().req('GET', `${WHOAMI}?access_token=${encodeURIComponent(token)}`);
    expect(q.statusCode).toBe(200);
    expect(q.json().user_id).toBe('@alice:test.local');
    const badQuery = await s().req('GET', `${WHOAMI}?access_token=nope`);
    expectError(badQuery, 401, 'M_UNKNOWN_TOKEN');
    for (const authorization of [`Basic ${token}`, 'Bearer', `Bearer ${token} extra`, token]) {
      const r = await s().req('GET', WHOAMI, { headers: { authorization } });
      expect(r.statusCode).toBe(401);
      expect(['M_MISSING_TOKEN', 'M_UNKNOWN_TOKEN']).toContain(r.json().errcode);
    }
  });

  test('the legacy r0 prefix works', async () => {
    const r = await s().req('GET', '/_matrix/client/r0/account/whoami', { token });
    expect(r.statusCode).toBe(200);
    expect(r.json().user_id).toBe('@alice:test.local');
  });

  test('GET /_matrix/client/versions lists v1.x spec versions', async () => {
    const r = await s().req('GET', '/_matrix/client/versions');
    expect(r.statusCode).toBe(200);
    const { versions } = r.json();
    expect(versions).toContain('v1.1');
    for (const v of versions) expect(v).toMatch(/^(r0\.\d+\.\d+|v1\.\d+)$/);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
  });

  test('/.well-known/matrix/client gives the base URL; the server file is 404', async () => {
    const r = await s().req('GET', '/.well-known/matrix/client');
    expect(r.statusCode).toBe(200);
    expect(r.json()['m.homeserver'].base_url).toMatch(/^https:\/\/test\.local\/?$/);
    expectCors(r);
    const server = await s().req('GET', '/.well-known/matrix/server');
    expect(server.statusCode).toBe(404);
    expect(server.json().errcode).toMatch(/^M_/);
  });
});

describe('serve_server_wellknown', () => {
  const s = useServer({
    serve_server_wellknown: true,
    public_baseurl: 'https://matrix.example.com/',
  });

  test('/.well-known/matrix/server delegates to the public host on 443', async () => {
    const r = await s().req('GET', '/.well-known/matrix/server');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ 'm.server': 'matrix.example.com:443' });
    const client = await s().req('GET', '/.well-known/matrix/client');
    expect(client.json()['m.homeserver'].base_url).toMatch(/^https:\/\/matrix\.example\.com\/?$/);
  });
});
