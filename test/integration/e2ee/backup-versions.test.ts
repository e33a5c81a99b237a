import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import {
  ALGORITHM,
  V3,
  authData,
  createBackup,
  getVersion,
  keyData,
  keysPath,
  type User,
} from './backup-helpers.js';

/** /room_keys/version: create, read, update and delete backups (spec: key_backup.yaml). */

let s: TestServer;
let n = 0;
beforeAll(async () => {
  s = await createTestServer({ allow_guest_access: true });
});
afterAll(() => s.close());

const user = () => s.register(`bv${++n}`) as Promise<User>;

describe('POST and GET /room_keys/version', () => {
  it('creates a backup that GET answers as the current one, with count 0 and an etag', async () => {
    const u = await user();
    expectError(await getVersion(s, u), 404, 'M_NOT_FOUND');
    expect(await createBackup(s, u)).toBe('1');
    const current = await getVersion(s, u);
    expect(current.statusCode).toBe(200);
    expect(current.json()).toEqual({
      algorithm: ALGORITHM,
      auth_data: authData(),
      count: 0,
      etag: expect.any(String),
      version: '1',
    });
    expect((await getVersion(s, u, '1')).json()).toEqual(current.json());
  });

  it('a new backup becomes current; the older one stays readable by its version', async () => {
    const u = await user();
    await createBackup(s, u);
    const second = await createBackup(s, u, {
      algorithm: ALGORITHM,
      auth_data: authData('second-key'),
    });
    expect(second).toBe('2');
    expect((await getVersion(s, u)).json()).toMatchObject({
      version: '2',
      auth_data: { public_key: 'second-key' },
    });
    expect((await getVersion(s, u, '1')).json()).toMatchObject({
      version: '1',
      auth_data: { public_key: authData().public_key },
    });
  });

  it('stores algorithms it does not know as they are (as Synapse)', async () => {
    const u = await user();
    await createBackup(s, u, { algorithm: 'org.example.backup', auth_data: { secret: 1 } });
    expect((await getVersion(s, u)).json()).toMatchObject({
      algorithm: 'org.example.backup',
      auth_data: { secret: 1 },
    });
  });

  it.each([
    ['no algorithm', { auth_data: authData() }, 400, 'M_MISSING_PARAM'],
    ['no auth_data', { algorithm: ALGORITHM }, 400, 'M_MISSING_PARAM'],
    ['auth_data not an object', { algorithm: ALGORITHM, auth_data: 'x' }, 400, 'M_BAD_JSON'],
    ['auth_data an array', { algorithm: ALGORITHM, auth_data: [] }, 400, 'M_BAD_JSON'],
    ['algorithm not a string', { algorithm: 1, auth_data: authData() }, 400, 'M_BAD_JSON'],
    ['megolm v1 without public_key', { algorithm: ALGORITHM, auth_data: {} }, 400, 'M_BAD_JSON'],
    [
      'megolm v1 with a non-string public_key',
      { algorithm: ALGORITHM, auth_data: { public_key: 5 } },
      400,
      'M_BAD_JSON',
    ],
  ])('refuses %s, and creates nothing', async (_name, body, status, errcode) => {
    const u = await user();
    const r = await s.req('POST', `${V3}/room_keys/version`, { token: u.token, body });
    expectError(r, status, errcode);
    expectError(await getVersion(s, u), 404, 'M_NOT_FOUND');
  });

  it('GET of a version that does not exist is 404 M_NOT_FOUND', async () => {
    const u = await user();
    await createBackup(s, u);
    for (const v of ['2', '0', 'abc', '01', '99999999999999999999']) {
      expectError(await getVersion(s, u, v), 404, 'M_NOT_FOUND');
    }
  });

  it('needs an access token; guests are refused', async () => {
    const r = await s.req('GET', `${V3}/room_keys/version`);
    expectError(r, 401, 'M_MISSING_TOKEN');
    const guest = await s.req('POST', `${V3}/register?kind=guest`, { body: {} });
    expect(guest.statusCode).toBe(200);
    const token = guest.json().access_token as string;
    const create = await s.req('POST', `${V3}/room_keys/version`, {
      token,
      body: { algorithm: ALGORITHM, auth_data: authData() },
    });
    expectError(create, 403, 'M_GUEST_ACCESS_FORBIDDEN');
  });
});

describe('PUT /room_keys/version/{version}', () => {
  it('replaces auth_data only; keys, count and etag stay', async () => {
    const u = await user();
    const v = await createBackup(s, u);
    await s.req('PUT', keysPath(v, '!r:test.local', 's1'), {
      token: u.token,
      body: keyData(true, 0, 0),
    });
    const before = (await getVersion(s, u, v)).json();
    const r = await s.req('PUT', `${V3}/room_keys/version/${v}`, {
      token: u.token,
      body: { algorithm: ALGORITHM, auth_data: authData('new-key'), version: v },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    expect((await getVersion(s, u, v)).json()).toEqual({
      ...before,
      auth_data: authData('new-key'),
    });
  });

  it('a body without version is accepted', async () => {
    const u = await user();
    const v = await createBackup(s, u);
    const r = await s.req('PUT', `${V3}/room_keys/version/${v}`, {
      token: u.token,
      body: { algorithm: ALGORITHM, auth_data: authData('k2') },
    });
    expect(r.statusCode).toBe(200);
    expect((await getVersion(s, u, v)).json().auth_data).toEqual(authData('k2'));
  });

  it.each([
    ['a body version that is not the path one', { version: '2' }, 400, 'M_INVALID_PARAM'],
    ['another algorithm', { algorithm: 'org.example.other' }, 400, 'M_INVALID_PARAM'],
    ['no algorithm', { algorithm: undefined }, 400, 'M_MISSING_PARAM'],
    ['no auth_data', { auth_data: undefined }, 400, 'M_MISSING_PARAM'],
    ['megolm v1 auth_data without public_key', { auth_data: {} }, 400, 'M_BAD_JSON'],
  ])('refuses %s, and changes nothing', async (_name, change, status, errcode) => {
    const u = await user();
    const v = await createBackup(s, u);
    const before = (await getVersion(s, u, v)).json();
    const body = { algorithm: ALGORITHM, auth_data: authData('changed'), version: v, ...change };
    const r = await s.req('PUT', `${V3}/room_keys/version/${v}`, { token: u.token, body });
    expectError(r, status, errcode);
    expect((await getVersion(s, u, v)).json()).toEqual(before);
  });

  it('an unknown or deleted version is 404 M_NOT_FOUND', async () => {
    const u = await user();
    const v = await createBackup(s, u);
    const put = (version: string) =>
      s.req('PUT', `${V3}/room_keys/version/${version}`, {
        token: u.token,
        body: { algorithm: ALGORITHM, auth_data: authData() },
      });
    expectError(await put('7'), 404, 'M_NOT_FOUND');
    expectError(await put('nope'), 404, 'M_NOT_FOUND');
    await s.req('DELETE', `${V3}/room_keys/version/${v}`, { token: u.token });
    expectError(await put(v), 404, 'M_NOT_FOUND');
  });
});

describe('DELETE /room_keys/version/{version}', () => {
  it('deletes the backup and its keys; deleting it again succeeds', async () => {
    const u = await user();
    const v = await createBackup(s, u);
    const put = await s.req('PUT', keysPath(v, '!r:test.local', 's1'), {
      token: u.token,
      body: keyData(false, 0, 0),
    });
    expect(put.json().count).toBe(1);
    const del = await s.req('DELETE', `${V3}/room_keys/version/${v}`, { token: u.token });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({});
    expectError(await getVersion(s, u, v), 404, 'M_NOT_FOUND');
    expectError(await getVersion(s, u), 404, 'M_NOT_FOUND');
    expectError(await s.req('GET', keysPath(v), { token: u.token }), 404, 'M_NOT_FOUND');
    const again = await s.req('DELETE', `${V3}/room_keys/version/${v}`, { token: u.token });
    expect(again.statusCode).toBe(200);
    // Its keys are gone from the database too, not only hidden.
    const left = await s.ctx.db.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM key_backup_sessions WHERE user_id = ?',
      u.userId,
    );
    expect(left?.n).toBe(0);
  });

  it('a version that never existed is 404 M_NOT_FOUND', async () => {
    const u = await user();
    await createBackup(s, u);
    for (const v of ['2', 'x']) {
      const r = await s.req('DELETE', `${V3}/room_keys/version/${v}`, { token: u.token });
      expectError(r, 404, 'M_NOT_FOUND');
    }
    expect((await getVersion(s, u)).statusCode).toBe(200);
  });

  it('deleting the current backup makes the one before it current; numbers are never reused', async () => {
    const u = await user();
    await createBackup(s, u);
    await createBackup(s, u);
    await s.req('DELETE', `${V3}/room_keys/version/2`, { token: u.token });
    expect((await getVersion(s, u)).json().version).toBe('1');
    expect(await createBackup(s, u)).toBe('3');
    await s.req('DELETE', `${V3}/room_keys/version/3`, { token: u.token });
    await s.req('DELETE', `${V3}/room_keys/version/1`, { token: u.token });
    expectError(await getVersion(s, u), 404, 'M_NOT_FOUND');
    expect(await createBackup(s, u)).toBe('4');
  });
});

describe('backups are per user', () => {
  it("another user neither sees nor changes someone's backup", async () => {
    const alice = await user();
    const bob = await user();
    const v = await createBackup(s, alice);
    await s.req('PUT', keysPath(v, '!r:test.local', 's1'), {
      token: alice.token,
      body: keyData(true, 0, 0),
    });
    const before = (await getVersion(s, alice, v)).json();
    expectError(await getVersion(s, bob), 404, 'M_NOT_FOUND');
    expectError(await getVersion(s, bob, v), 404, 'M_NOT_FOUND');
    const put = await s.req('PUT', `${V3}/room_keys/version/${v}`, {
      token: bob.token,
      body: { algorithm: ALGORITHM, auth_data: authData('bob') },
    });
    expectError(put, 404, 'M_NOT_FOUND');
    const del = await s.req('DELETE', `${V3}/room_keys/version/${v}`, { token: bob.token });
    expectError(del, 404, 'M_NOT_FOUND');
    expectError(await s.req('GET', keysPath(v), { token: bob.token }), 404, 'M_NOT_FOUND');
    expect((await getVersion(s, alice, v)).json()).toEqual(before);
    // Bob's own first backup is his version 1.
    expect(await createBackup(s, bob)).toBe('1');
    expect((await s.req('GET', keysPath('1'), { token: bob.token })).json()).toEqual({ rooms: {} });
  });
});

describe('account deactivation', () => {
  it("deletes the user's backups and their keys, and nobody else's", async () => {
    const alice = await user();
    const bob = await user();
    for (const u of [alice, bob]) {
      const v = await createBackup(s, u);
      await s.req('PUT', keysPath(v, '!r:test.local', 's1'), {
        token: u.token,
        body: keyData(true, 0, 0),
      });
    }
    const auth = {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: alice.userId },
      password: 'correct horse battery staple',
    };
    const first = await s.req('POST', `${V3}/account/deactivate`, { token: alice.token, body: {} });
    const r = await s.req('POST', `${V3}/account/deactivate`, {
      token: alice.token,
      body: { auth: { ...auth, session: first.json().session } },
    });
    expect(r.statusCode, r.body).toBe(200);
    const rows = async (userId: string) => ({
      live: (await s.ctx.db.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM key_backup_versions WHERE user_id = ? AND deleted = 0',
        userId,
      ))!.n,
      keys: (await s.ctx.db.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM key_backup_sessions WHERE user_id = ?',
        userId,
      ))!.n,
    });
    expect(await rows(alice.userId)).toEqual({ live: 0, keys: 0 });
    expect(await rows(bob.userId)).toEqual({ live: 1, keys: 1 });
    expect((await getVersion(s, bob)).json().count).toBe(1);
  });
});
