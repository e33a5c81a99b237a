import { beforeAll, describe, expect, test, vi } from 'vitest';
import { useServer, type TestServer } from '../../helpers/server.js';
import { createRoom, enc, expectError, registerAdmin, type Session } from './admin-helpers.js';

// The user admin API as an admin tool sees it: Synapse's paths and shapes, admin only.

const V2 = '/_synapse/admin/v2/users';
const get = useServer();
let s: TestServer;
let admin: Session;
let bob: Session;

beforeAll(async () => {
  s = get();
  admin = await registerAdmin(s, 'root');
  bob = await s.register('bob');
  for (const name of ['carol', 'dave', 'erin', 'frank']) await s.register(name);
  await s.req('PUT', `/_matrix/client/v3/profile/${enc(bob.userId)}/displayname`, {
    token: bob.token,
    body: { displayname: 'Bobby Tables' },
  });
});

describe('GET /v2/users', () => {
  test('lists accounts in Synapse shape, with total and paging', async () => {
    const res = await s.req('GET', `${V2}?limit=2`, { token: admin.token });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b.total).toBe(6);
    expect(b.users.map((u: { name: string }) => u.name)).toEqual([
      '@bob:test.local',
      '@carol:test.local',
    ]);
    expect(b.next_token).toBe('2');
    expect(b.users[0]).toEqual({
      name: '@bob:test.local',
      user_type: null,
      is_guest: false,
      admin: false,
      deactivated: false,
      shadow_banned: false,
      displayname: 'Bobby Tables',
      avatar_url: null,
      creation_ts: expect.any(Number),
      last_seen_ts: expect.any(Number),
      locked: false,
      erased: false,
    });
    const last = (await s.req('GET', `${V2}?from=4&limit=2`, { token: admin.token })).json();
    expect(last.users.map((u: { name: string }) => u.name)).toEqual([
      '@frank:test.local',
      '@root:test.local',
    ]);
    expect(last.next_token).toBeUndefined();
  });

  test('orders by a column in either direction, and filters', async () => {
    const back = (await s.req('GET', `${V2}?dir=b&limit=1`, { token: admin.token })).json();
    expect(back.users[0].name).toBe('@root:test.local');
    const admins = (
      await s.req('GET', `${V2}?order_by=admin&dir=b`, { token: admin.token })
    ).json();
    expect(admins.users[0].name).toBe('@root:test.local');
    const onlyAdmins = (await s.req('GET', `${V2}?admins=true`, { token: admin.token })).json();
    expect(onlyAdmins.users.map((u: { name: string }) => u.name)).toEqual(['@root:test.local']);
    expect(onlyAdmins.total).toBe(1);
    // name: localpart or display name contains (case-insensitive); user_id: the id contains
    const byName = (await s.req('GET', `${V2}?name=tables`, { token: admin.token })).json();
    expect(byName.users.map((u: { name: string }) => u.name)).toEqual(['@bob:test.local']);
    const byId = (await s.req('GET', `${V2}?user_id=ar`, { token: admin.token })).json();
    expect(byId.users.map((u: { name: string }) => u.name)).toEqual(['@carol:test.local']);
  });

  test('bad parameters are 400 M_INVALID_PARAM; non-admins are 403', async () => {
    for (const q of ['from=-1', 'limit=x', 'dir=up', 'order_by=password', 'admins=maybe']) {
      expectError(await s.req('GET', `${V2}?${q}`, { token: admin.token }), 400, 'M_INVALID_PARAM');
    }
    expectError(await s.req('GET', V2, { token: bob.token }), 403, 'M_FORBIDDEN');
    expect((await s.req('GET', V2)).statusCode).toBe(401);
  });
});

describe('GET and PUT /v2/users/{userId}', () => {
  test('reads one account; unknown is 404, another server 400', async () => {
    const res = await s.req('GET', `${V2}/${enc(bob.userId)}`, { token: admin.token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: bob.userId,
      displayname: 'Bobby Tables',
      admin: false,
      deactivated: false,
      threepids: [],
      external_ids: [],
    });
    expectError(
      await s.req('GET', `${V2}/${enc('@nobody:test.local')}`, { token: admin.token }),
      404,
      'M_NOT_FOUND',
    );
    expectError(
      await s.req('GET', `${V2}/${enc('@x:elsewhere.org')}`, { token: admin.token }),
      400,
      'M_INVALID_PARAM',
    );
    expectError(
      await s.req('GET', `${V2}/${enc(admin.userId)}`, { token: bob.token }),
      403,
      'M_FORBIDDEN',
    );
  });

  test('creates an account (201) that can log in, then modifies it (200)', async () => {
    const id = '@grace:test.local';
    const put = await s.req('PUT', `${V2}/${enc(id)}`, {
      token: admin.token,
      body: { password: 'grace-pw-1', displayname: 'Grace', admin: false, user_type: 'bot' },
    });
    expect(put.statusCode).toBe(201);
    expect(put.json()).toMatchObject({ name: id, displayname: 'Grace', user_type: 'bot' });
    const login = await s.req('POST', '/_matrix/client/v3/login', {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'grace' },
        password: 'grace-pw-1',
      },
    });
    expect(login.statusCode).toBe(200);
    const graceToken = login.json().access_token as string;

    const mod = await s.req('PUT', `${V2}/${enc(id)}`, {
      token: admin.token,
      body: { admin: true, displayname: null, user_type: null },
    });
    expect(mod.statusCode).toBe(200);
    expect(mod.json()).toMatchObject({ admin: true, displayname: null, user_type: null });
    // The admin flag holds from grace's next request on.
    expect((await s.req('GET', V2, { token: graceToken })).statusCode).toBe(200);

    // A new password logs every device out (logout_devices defaults to true).
    await s.req('PUT', `${V2}/${enc(id)}`, {
      token: admin.token,
      body: { password: 'grace-pw-2' },
    });
    expectError(
      await s.req('GET', '/_matrix/client/v3/account/whoami', { token: graceToken }),
      401,
      'M_UNKNOWN_TOKEN',
    );
  });

  test('bad input is refused and changes nothing', async () => {
    const before = (await s.req('GET', `${V2}/${enc(bob.userId)}`, { token: admin.token })).json();
    for (const body of [
      { user_type: 'robot', displayname: 'X' },
      { admin: 'yes' },
      { avatar_url: 'https://example.org/a.png', displayname: 'X' },
    ]) {
      const res = await s.req('PUT', `${V2}/${enc(bob.userId)}`, { token: admin.token, body });
      expect(res.statusCode).toBe(400);
    }
    const after = (await s.req('GET', `${V2}/${enc(bob.userId)}`, { token: admin.token })).json();
    expect(after).toEqual(before);
    expectError(
      await s.req('PUT', `${V2}/${enc('@Bad Name:test.local')}`, { token: admin.token, body: {} }),
      400,
      'M_INVALID_PARAM',
    );
    expectError(
      await s.req('PUT', `${V2}/${enc('@x:elsewhere.org')}`, { token: admin.token, body: {} }),
      400,
      'M_INVALID_PARAM',
    );
    // An admin cannot demote themselves.
    const self = await s.req('PUT', `${V2}/${enc(admin.userId)}`, {
      token: admin.token,
      body: { admin: false },
    });
    expect(self.statusCode).toBe(400);
    expect((await s.req('GET', V2, { token: admin.token })).statusCode).toBe(200);
  });

  test('deactivating through PUT, and reactivating with a password', async () => {
    const h = await s.register('henry');
    const off = await s.req('PUT', `${V2}/${enc(h.userId)}`, {
      token: admin.token,
      body: { deactivated: true },
    });
    expect(off.json().deactivated).toBe(true);
    expect(
      (await s.req('GET', '/_matrix/client/v3/account/whoami', { token: h.token })).statusCode,
    ).toBe(401);
    const listed = (
      await s.req('GET', `${V2}?deactivated=true&name=henry`, { token: admin.token })
    ).json();
    expect(listed.users[0]).toMatchObject({ name: h.userId, deactivated: true });
    expect((await s.req('GET', `${V2}?name=henry`, { token: admin.token })).json().total).toBe(0);
    // Reactivating needs a password.
    const noPw = await s.req('PUT', `${V2}/${enc(h.userId)}`, {
      token: admin.token,
      body: { deactivated: false },
    });
    expect(noPw.statusCode).toBe(400);
    const on = await s.req('PUT', `${V2}/${enc(h.userId)}`, {
      token: admin.token,
      body: { deactivated: false, password: 'henry-again' },
    });
    expect(on.json().deactivated).toBe(false);
    const login = await s.req('POST', '/_matrix/client/v3/login', {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'henry' },
        password: 'henry-again',
      },
    });
    expect(login.statusCode).toBe(200);

    // Created deactivated: the name is taken, nobody can log in with it.
    const made = await s.req('PUT', `${V2}/${enc('@olga:test.local')}`, {
      token: admin.token,
      body: { password: 'olga-pw', deactivated: true },
    });
    expect([made.statusCode, made.json().deactivated]).toEqual([201, true]);
    const refused = await s.req('POST', '/_matrix/client/v3/login', {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'olga' },
        password: 'olga-pw',
      },
    });
    expect(refused.statusCode).toBe(403);
  });
});

describe('reset_password, deactivate, whois, devices, joined_rooms', () => {
  test('reset_password sets a new password and logs out unless told not to', async () => {
    const i = await s.register('ivy', 'ivy-old-pw');
    const url = `/_synapse/admin/v1/reset_password/${enc(i.userId)}`;
    expectError(
      await s.req('POST', url, { token: i.token, body: { new_password: 'x' } }),
      403,
      'M_FORBIDDEN',
    );
    const keep = await s.req('POST', url, {
      token: admin.token,
      body: { new_password: 'ivy-new-pw', logout_devices: false },
    });
    expect([keep.statusCode, keep.json()]).toEqual([200, {}]);
    expect(
      (await s.req('GET', '/_matrix/client/v3/account/whoami', { token: i.token })).statusCode,
    ).toBe(200);
    await s.req('POST', url, { token: admin.token, body: { new_password: 'ivy-newer-pw' } });
    expect(
      (await s.req('GET', '/_matrix/client/v3/account/whoami', { token: i.token })).statusCode,
    ).toBe(401);
    const login = await s.req('POST', '/_matrix/client/v3/login', {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'ivy' },
        password: 'ivy-newer-pw',
      },
    });
    expect(login.statusCode).toBe(200);
    expectError(
      await s.req('POST', `/_synapse/admin/v1/reset_password/${enc('@nobody:test.local')}`, {
        token: admin.token,
        body: { new_password: 'x' },
      }),
      404,
      'M_NOT_FOUND',
    );
    expectError(await s.req('POST', url, { token: admin.token, body: {} }), 400, 'M_MISSING_PARAM');
  });

  test('deactivate runs the account deactivation (erase drops the profile)', async () => {
    const j = await s.register('judy');
    await s.req('PUT', `/_matrix/client/v3/profile/${enc(j.userId)}/displayname`, {
      token: j.token,
      body: { displayname: 'Judy' },
    });
    const url = `/_synapse/admin/v1/deactivate/${enc(j.userId)}`;
    expectError(await s.req('POST', url, { token: bob.token, body: {} }), 403, 'M_FORBIDDEN');
    const res = await s.req('POST', url, { token: admin.token, body: { erase: true } });
    expect([res.statusCode, res.json()]).toEqual([200, { id_server_unbind_result: 'success' }]);
    expect(
      (await s.req('GET', '/_matrix/client/v3/account/whoami', { token: j.token })).statusCode,
    ).toBe(401);
    const user = (await s.req('GET', `${V2}/${enc(j.userId)}`, { token: admin.token })).json();
    expect(user).toMatchObject({ deactivated: true, displayname: null });
    expectError(
      await s.req('POST', `/_synapse/admin/v1/deactivate/${enc('@nobody:test.local')}`, {
        token: admin.token,
        body: {},
      }),
      404,
      'M_NOT_FOUND',
    );
  });

  test('whois and devices show the sessions; joined_rooms the rooms', async () => {
    const k = await s.register('kim');
    await s.req('GET', '/_matrix/client/v3/account/whoami', { token: k.token });
    // Last-seen times are written off the request's path.
    await vi.waitFor(async () => {
      const who = (
        await s.req('GET', `/_synapse/admin/v1/whois/${enc(k.userId)}`, { token: admin.token })
      ).json();
      expect(who.user_id).toBe(k.userId);
      const conn = who.devices[k.deviceId].sessions[0].connections[0];
      expect(conn).toMatchObject({ ip: expect.any(String), last_seen: expect.any(Number) });
    });

    const devs = (
      await s.req('GET', `${V2}/${enc(k.userId)}/devices`, { token: admin.token })
    ).json();
    expect(devs.total).toBe(1);
    expect(devs.devices[0]).toMatchObject({ device_id: k.deviceId, user_id: k.userId });

    const roomId = await createRoom(s, k.token);
    const rooms = (
      await s.req('GET', `/_synapse/admin/v1/users/${enc(k.userId)}/joined_rooms`, {
        token: admin.token,
      })
    ).json();
    expect(rooms).toEqual({ joined_rooms: [roomId], total: 1 });
    for (const path of [`/_synapse/admin/v1/whois/`, `${V2}/`, `/_synapse/admin/v1/users/`]) {
      const suffix =
        path === `${V2}/` ? '/devices' : path.endsWith('users/') ? '/joined_rooms' : '';
      expectError(
        await s.req('GET', `${path}${enc('@nobody:test.local')}${suffix}`, { token: admin.token }),
        404,
        'M_NOT_FOUND',
      );
    }
  });
});
