import { expectError } from '../../helpers/expect.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Profiles as a client sees them (spec: client-server API, "Profiles"; profile.yaml). */

const V3 = '/_matrix/client/v3';

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const url = (userId: string, key?: string) =>
  `${V3}/profile/${encodeURIComponent(userId)}${key !== undefined ? `/${encodeURIComponent(key)}` : ''}`;
const put = (token: string, userId: string, key: string, body: unknown) =>
  s.req('PUT', url(userId, key), { token, body });
const get = (userId: string, key?: string) => s.req('GET', url(userId, key));

describe('GET /profile/{userId}', () => {
  test('a new account’s displayname is its localpart', async () => {
    const a = await s.register('prof-new');
    const r = await get(a.userId);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ displayname: 'prof-new' });
    expect((await get(a.userId, 'displayname')).json()).toEqual({ displayname: 'prof-new' });
  });

  test('gives every field that is set', async () => {
    const a = await s.register('prof-all');
    await put(a.token, a.userId, 'avatar_url', { avatar_url: 'mxc://test.local/abc' });
    await put(a.token, a.userId, 'm.tz', { 'm.tz': 'Europe/London' });
    await put(a.token, a.userId, 'com.example.pronouns', {
      'com.example.pronouns': ['they', 'them'],
    });
    expect((await get(a.userId)).json()).toEqual({
      displayname: 'prof-all',
      avatar_url: 'mxc://test.local/abc',
      'm.tz': 'Europe/London',
      'com.example.pronouns': ['they', 'them'],
    });
  });

  // Users of other servers are fetched over federation: test/integration/federation/reads-queries.test.ts.
  test('404 M_NOT_FOUND for an unknown user; 400 for a malformed id', async () => {
    expectError(await get('@nobody:test.local'), 404, 'M_NOT_FOUND');
    expectError(await get('@nobody:test.local', 'displayname'), 404, 'M_NOT_FOUND');
    const bad = await get('not-a-user-id');
    expect(bad.statusCode).toBe(400);
  });
});

describe('PUT/GET/DELETE /profile/{userId}/{keyName}', () => {
  test('displayname: set, read, delete; then GET of the field is 404', async () => {
    const a = await s.register('prof-dn');
    const r = await put(a.token, a.userId, 'displayname', { displayname: 'Alice Liddell' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    expect((await get(a.userId, 'displayname')).json()).toEqual({ displayname: 'Alice Liddell' });

    const del = await s.req('DELETE', url(a.userId, 'displayname'), { token: a.token });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({});
    expectError(await get(a.userId, 'displayname'), 404, 'M_NOT_FOUND');
    expect((await get(a.userId)).json()).toEqual({});
    // Deleting a field that is not there is still 200 (spec: "deleted or it doesn't exist").
    expect(
      (await s.req('DELETE', url(a.userId, 'displayname'), { token: a.token })).statusCode,
    ).toBe(200);
  });

  test('a displayname over 256 characters is refused and not stored', async () => {
    const a = await s.register('prof-dn-long');
    expect(
      (await put(a.token, a.userId, 'displayname', { displayname: 'n'.repeat(256) })).statusCode,
    ).toBe(200);
    const r = await put(a.token, a.userId, 'displayname', { displayname: 'n'.repeat(257) });
    expect(r.statusCode).toBe(400);
    expect((await get(a.userId, 'displayname')).json()).toEqual({ displayname: 'n'.repeat(256) });
  });

  test('setting displayname to null removes it', async () => {
    const a = await s.register('prof-null');
    expect((await put(a.token, a.userId, 'displayname', { displayname: null })).statusCode).toBe(
      200,
    );
    expectError(await get(a.userId, 'displayname'), 404, 'M_NOT_FOUND');
  });

  test('displayname must be a string (M_BAD_JSON)', async () => {
    const a = await s.register('prof-dn-type');
    for (const value of [42, { x: 1 }, ['a']]) {
      expectError(
        await put(a.token, a.userId, 'displayname', { displayname: value }),
        400,
        'M_BAD_JSON',
      );
    }
    expect((await get(a.userId, 'displayname')).json()).toEqual({ displayname: 'prof-dn-type' });
  });

  test('avatar_url: an mxc:// URI is stored, anything else is 400', async () => {
    const a = await s.register('prof-avatar');
    expect(
      (await put(a.token, a.userId, 'avatar_url', { avatar_url: 'mxc://test.local/pic' }))
        .statusCode,
    ).toBe(200);
    expect((await get(a.userId, 'avatar_url')).json()).toEqual({
      avatar_url: 'mxc://test.local/pic',
    });
    for (const value of ['https://example.com/a.png', 'mxc://no-media-id', 'not a uri']) {
      const r = await put(a.token, a.userId, 'avatar_url', { avatar_url: value });
      expect(r.statusCode).toBe(400);
    }
    expectError(await put(a.token, a.userId, 'avatar_url', { avatar_url: 7 }), 400, 'M_BAD_JSON');
    expect((await get(a.userId, 'avatar_url')).json()).toEqual({
      avatar_url: 'mxc://test.local/pic',
    });
  });

  test('m.tz is a string field', async () => {
    const a = await s.register('prof-tz');
    expect((await put(a.token, a.userId, 'm.tz', { 'm.tz': 'America/New_York' })).statusCode).toBe(
      200,
    );
    expect((await get(a.userId, 'm.tz')).json()).toEqual({ 'm.tz': 'America/New_York' });
    expectError(await put(a.token, a.userId, 'm.tz', { 'm.tz': 5 }), 400, 'M_BAD_JSON');
    expect((await s.req('DELETE', url(a.userId, 'm.tz'), { token: a.token })).statusCode).toBe(200);
    expectError(await get(a.userId, 'm.tz'), 404, 'M_NOT_FOUND');
  });

  test('custom namespaced keys hold any JSON value', async () => {
    const a = await s.register('prof-custom');
    const values: unknown[] = ['she/her', 3, true, null, ['a', 1], { nested: { deep: [1, 2] } }];
    for (const value of values) {
      const r = await put(a.token, a.userId, 'com.example.pronouns', {
        'com.example.pronouns': value,
      });
      expect(r.statusCode).toBe(200);
      expect((await get(a.userId, 'com.example.pronouns')).json()).toEqual({
        'com.example.pronouns': value,
      });
    }
    expect(
      (await s.req('DELETE', url(a.userId, 'com.example.pronouns'), { token: a.token })).statusCode,
    ).toBe(200);
    expectError(await get(a.userId, 'com.example.pronouns'), 404, 'M_NOT_FOUND');
  });

  test('GET of a field that was never set is 404', async () => {
    const a = await s.register('prof-unset');
    expectError(await get(a.userId, 'avatar_url'), 404, 'M_NOT_FOUND');
    expectError(await get(a.userId, 'org.example.job_title'), 404, 'M_NOT_FOUND');
  });
});

describe('key names', () => {
  test('a key outside the grammar is 400 M_INVALID_PARAM on PUT, GET and DELETE', async () => {
    const a = await s.register('prof-badkey');
    for (const key of [
      'Foo',
      'nodot',
      'com.Example.x',
      '1com.example',
      'com.',
      'com..x',
      'm.tz.',
    ]) {
      expectError(await put(a.token, a.userId, key, { [key]: 'v' }), 400, 'M_INVALID_PARAM');
      expectError(await get(a.userId, key), 400, 'M_INVALID_PARAM');
      expectError(
        await s.req('DELETE', url(a.userId, key), { token: a.token }),
        400,
        'M_INVALID_PARAM',
      );
    }
  });

  test('a key over 255 bytes is M_KEY_TOO_LARGE; 255 bytes is fine', async () => {
    const a = await s.register('prof-longkey');
    const ok = `com.example.${'k'.repeat(255 - 12)}`;
    expect(Buffer.byteLength(ok)).toBe(255);
    expect((await put(a.token, a.userId, ok, { [ok]: 1 })).statusCode).toBe(200);
    const long = `${ok}k`;
    expectError(await put(a.token, a.userId, long, { [long]: 1 }), 400, 'M_KEY_TOO_LARGE');
  });
});

describe('request bodies', () => {
  test('a body without the key is M_MISSING_PARAM', async () => {
    const a = await s.register('prof-missing');
    expectError(
      await put(a.token, a.userId, 'displayname', { avatar_url: 'mxc://test.local/x' }),
      400,
      'M_MISSING_PARAM',
    );
    expectError(await put(a.token, a.userId, 'displayname', {}), 400, 'M_MISSING_PARAM');
    expect((await get(a.userId)).json()).toEqual({ displayname: 'prof-missing' });
  });

  test('a body that is not a JSON object is M_NOT_JSON', async () => {
    const a = await s.register('prof-notjson');
    expectError(await put(a.token, a.userId, 'displayname', '{"displayname":'), 400, 'M_NOT_JSON');
    expectError(await put(a.token, a.userId, 'displayname', '"just a string"'), 400, 'M_NOT_JSON');
  });

  test('a profile over 64 KiB is M_PROFILE_TOO_LARGE and nothing is stored', async () => {
    const a = await s.register('prof-big');
    const big = 'x'.repeat(60 * 1024);
    expect(
      (await put(a.token, a.userId, 'com.example.big', { 'com.example.big': big })).statusCode,
    ).toBe(200);
    const more = 'y'.repeat(8 * 1024);
    expectError(
      await put(a.token, a.userId, 'com.example.more', { 'com.example.more': more }),
      400,
      'M_PROFILE_TOO_LARGE',
    );
    expectError(await get(a.userId, 'com.example.more'), 404, 'M_NOT_FOUND');
    // A single value over the limit on its own is refused too.
    const huge = 'z'.repeat(70 * 1024);
    expectError(
      await put(a.token, a.userId, 'com.example.big', { 'com.example.big': huge }),
      400,
      'M_PROFILE_TOO_LARGE',
    );
    expect((await get(a.userId, 'com.example.big')).json()).toEqual({ 'com.example.big': big });
    // Replacing a field counts its new size, not old plus new.
    const same = 'w'.repeat(60 * 1024);
    expect(
      (await put(a.token, a.userId, 'com.example.big', { 'com.example.big': same })).statusCode,
    ).toBe(200);
  });
});

describe('who may change a profile', () => {
  test('another user’s profile: 403 M_FORBIDDEN on PUT and DELETE, nothing changes', async () => {
    const a = await s.register('prof-owner');
    const b = await s.register('prof-intruder');
    expectError(
      await put(b.token, a.userId, 'displayname', { displayname: 'pwned' }),
      403,
      'M_FORBIDDEN',
    );
    expectError(
      await s.req('DELETE', url(a.userId, 'displayname'), { token: b.token }),
      403,
      'M_FORBIDDEN',
    );
    expect((await get(a.userId, 'displayname')).json()).toEqual({ displayname: 'prof-owner' });
  });

  test('PUT and DELETE need an access token; GET does not', async () => {
    const a = await s.register('prof-notoken');
    const r = await s.req('PUT', url(a.userId, 'displayname'), { body: { displayname: 'x' } });
    expectError(r, 401, 'M_MISSING_TOKEN');
    expectError(await s.req('DELETE', url(a.userId, 'displayname')), 401, 'M_MISSING_TOKEN');
    expectError(
      await s.req('PUT', url(a.userId, 'displayname'), {
        token: 'bogus',
        body: { displayname: 'x' },
      }),
      401,
      'M_UNKNOWN_TOKEN',
    );
    expect((await get(a.userId, 'displayname')).json()).toEqual({ displayname: 'prof-notoken' });
  });
});
