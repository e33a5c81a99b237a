import { expectError } from '../../helpers/expect.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Device management as a client sees it (spec: client-server API, "Device management"). */

const V3 = '/_matrix/client/v3';
const PW = 'correct horse battery staple';
const FLOWS = [{ stages: ['m.login.password'] }];

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

type Res = { statusCode: number; json(): Record<string, unknown> };

async function login(user: string, extra: Record<string, unknown> = {}) {
  const body = { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password: PW };
  const r = await s.req('POST', `${V3}/login`, { body: { ...body, ...extra } });
  expect(r.statusCode).toBe(200);
  return { token: r.json().access_token as string, deviceId: r.json().device_id as string };
}

function passwordAuth(userId: string, session: string, password = PW) {
  return {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: userId },
    password,
    session,
  };
}

const dev = (id: string) => `${V3}/devices/${id}`;
const whoami = (token: string) => s.req('GET', `${V3}/account/whoami`, { token });
const getDevice = async (token: string, id: string) =>
  (await s.req('GET', dev(id), { token })).json();
const rename = (token: string, id: string, body: unknown) => s.req('PUT', dev(id), { token, body });
const del = (token: string, id: string, auth?: unknown) =>
  s.req('DELETE', dev(id), { token, ...(auth ? { body: { auth } } : {}) });
const deleteMany = (token: string, devices: unknown, auth?: unknown) =>
  s.req('POST', `${V3}/delete_devices`, { token, body: { devices, ...(auth ? { auth } : {}) } });
const deviceIds = async (token: string) =>
  ((await s.req('GET', `${V3}/devices`, { token })).json().devices as { device_id: string }[])
    .map((d) => d.device_id)
    .sort();

/** Starts a UIA session (the first, auth-less request answers 401) and returns its id. */
async function startUia(r: Promise<Res>) {
  const first = await r;
  expect(first.statusCode).toBe(401);
  return first.json().session as string;
}

describe('GET /devices', () => {
  test('lists the devices; a second login adds one', async () => {
    const a = await s.register('dev-list');
    expect(await deviceIds(a.token)).toEqual([a.deviceId]);
    const b = await login(a.userId, { initial_device_display_name: 'Laptop' });
    expect(await deviceIds(a.token)).toEqual([a.deviceId, b.deviceId].sort());
    const r = await s.req('GET', `${V3}/devices`, { token: a.token });
    expect(r.json().devices).toContainEqual(
      expect.objectContaining({ device_id: b.deviceId, display_name: 'Laptop' }),
    );
  });

  test('last_seen_ts and last_seen_ip appear with use; the time is written at most once a minute', async () => {
    let now = 1_700_000_000_000;
    const c = await createTestServer({}, { clock: { now: () => now } });
    try {
      const a = await c.register('dev-clock');
      // Any authenticated request is a use; the rename goes through the writer after the
      // last-seen write it queued, so reading after it sees that write (if there was one).
      const useThenRead = async () => {
        await c.req('PUT', dev(a.deviceId), { token: a.token, body: {} });
        return (await c.req('GET', dev(a.deviceId), { token: a.token })).json();
      };
      const first = now;
      expect(await useThenRead()).toMatchObject({ last_seen_ts: first, last_seen_ip: '127.0.0.1' });
      now += 30_000;
      expect((await useThenRead()).last_seen_ts).toBe(first);
      now += 31_000;
      expect((await useThenRead()).last_seen_ts).toBe(now);
    } finally {
      await c.close();
    }
  });

  test('needs an access token', async () => {
    expectError(await s.req('GET', `${V3}/devices`), 401, 'M_MISSING_TOKEN');
    expectError(
      await s.req('GET', `${V3}/devices`, { token: 'not-a-token' }),
      401,
      'M_UNKNOWN_TOKEN',
    );
  });
});

describe('GET /devices/{deviceId}', () => {
  test('gives one of the user’s devices', async () => {
    const a = await s.register('dev-get');
    const b = await login(a.userId, { initial_device_display_name: 'Phone' });
    const r = await s.req('GET', dev(b.deviceId), { token: a.token });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ device_id: b.deviceId, display_name: 'Phone' });
  });

  test('404 M_NOT_FOUND for another user’s device or an unknown one', async () => {
    const a = await s.register('dev-get-a');
    const b = await s.register('dev-get-b');
    for (const id of [b.deviceId, 'NOSUCHDEVICE']) {
      expectError(await s.req('GET', dev(id), { token: a.token }), 404, 'M_NOT_FOUND');
    }
  });
});

describe('PUT /devices/{deviceId}', () => {
  test('renames a device; a body without display_name leaves it unchanged', async () => {
    const a = await s.register('dev-rename');
    const r = await rename(a.token, a.deviceId, { display_name: 'Desk' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    expect((await rename(a.token, a.deviceId, {})).statusCode).toBe(200);
    expect((await getDevice(a.token, a.deviceId)).display_name).toBe('Desk');
  });

  test('404 M_NOT_FOUND for an unknown device or another user’s', async () => {
    const a = await s.register('dev-rename-a');
    const b = await s.register('dev-rename-b');
    for (const id of ['NOSUCHDEVICE', b.deviceId]) {
      expectError(await rename(a.token, id, { display_name: 'x' }), 404, 'M_NOT_FOUND');
    }
    expect((await getDevice(b.token, b.deviceId)).display_name).toBeUndefined();
  });

  test('a display name over 100 characters is refused and changes nothing', async () => {
    const a = await s.register('dev-rename-long');
    expect((await rename(a.token, a.deviceId, { display_name: 'é'.repeat(100) })).statusCode).toBe(
      200,
    );
    expectError(
      await rename(a.token, a.deviceId, { display_name: 'x'.repeat(101) }),
      400,
      'M_TOO_LARGE',
    );
    expect((await getDevice(a.token, a.deviceId)).display_name).toBe('é'.repeat(100));
  });

  test('a non-string display name is M_BAD_JSON; a body that is not JSON is M_NOT_JSON', async () => {
    const a = await s.register('dev-rename-type');
    expectError(await rename(a.token, a.deviceId, { display_name: 42 }), 400, 'M_BAD_JSON');
    expectError(await rename(a.token, a.deviceId, '{nope'), 400, 'M_NOT_JSON');
  });
});

describe('DELETE /devices/{deviceId}', () => {
  test('needs User-Interactive Auth; a wrong password is refused, the right one deletes', async () => {
    const a = await s.register('dev-del');
    const b = await login(a.userId);
    expect((await whoami(b.token)).statusCode).toBe(200); // the token is known and cached

    const first = await del(a.token, b.deviceId); // no body at all
    expect(first.statusCode).toBe(401);
    expect(first.json()).toMatchObject({ flows: FLOWS, params: {}, session: expect.any(String) });
    expect(first.json().errcode).toBeUndefined();
    const session = first.json().session as string;

    const wrong = await del(a.token, b.deviceId, passwordAuth(a.userId, session, 'wrong password'));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ errcode: 'M_FORBIDDEN', flows: FLOWS, session });
    expect((await whoami(b.token)).statusCode).toBe(200);

    const right = await del(a.token, b.deviceId, passwordAuth(a.userId, session));
    expect(right.statusCode).toBe(200);
    expect(right.json()).toEqual({});
    expectError(await whoami(b.token), 401, 'M_UNKNOWN_TOKEN');
    expect(await deviceIds(a.token)).toEqual([a.deviceId]);
    expect((await whoami(a.token)).statusCode).toBe(200);
  });

  test('another user’s password does not pass the stage', async () => {
    const a = await s.register('dev-del-who');
    const b = await s.register('dev-del-other');
    const session = await startUia(del(a.token, a.deviceId));
    const r = await del(a.token, a.deviceId, passwordAuth(b.userId, session));
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ errcode: 'M_FORBIDDEN', flows: FLOWS });
    expect((await whoami(a.token)).statusCode).toBe(200);
  });

  test('m.login.dummy is not a way past the password stage', async () => {
    const a = await s.register('dev-del-dummy');
    const b = await login(a.userId);
    const session = await startUia(del(a.token, b.deviceId));
    const r = await del(a.token, b.deviceId, { type: 'm.login.dummy', session });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ flows: FLOWS, session });
    expect((await whoami(b.token)).statusCode).toBe(200);
  });

  test('auth may come with the first request, without a session, naming the user by localpart', async () => {
    const a = await s.register('dev-del-direct');
    const b = await login(a.userId);
    const auth = {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'dev-del-direct' },
      password: PW,
    };
    expect((await del(a.token, b.deviceId, auth)).statusCode).toBe(200);
    expectError(await whoami(b.token), 401, 'M_UNKNOWN_TOKEN');
  });

  test('a device that is already gone is 200 after auth (spec: "or had been removed previously")', async () => {
    const a = await s.register('dev-del-gone');
    const session = await startUia(del(a.token, 'NOSUCHDEVICE'));
    expect((await del(a.token, 'NOSUCHDEVICE', passwordAuth(a.userId, session))).statusCode).toBe(
      200,
    );
    expect((await whoami(a.token)).statusCode).toBe(200);
  });
});

describe('POST /delete_devices', () => {
  test('deletes several devices after UIA; unknown ids are ignored', async () => {
    const a = await s.register('dev-bulk');
    const b = await login(a.userId);
    const c = await login(a.userId);
    const ids = [b.deviceId, c.deviceId, 'NOSUCHDEVICE'];
    const session = await startUia(deleteMany(a.token, ids));
    const r = await deleteMany(a.token, ids, passwordAuth(a.userId, session));
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    for (const t of [b.token, c.token]) expectError(await whoami(t), 401, 'M_UNKNOWN_TOKEN');
    expect(await deviceIds(a.token)).toEqual([a.deviceId]);
  });

  test('devices is required and must be a list of strings', async () => {
    const a = await s.register('dev-bulk-bad');
    const missing = await s.req('POST', `${V3}/delete_devices`, { token: a.token, body: {} });
    expectError(missing, 400, 'M_MISSING_PARAM');
    expectError(await deleteMany(a.token, 'ABC'), 400, 'M_BAD_JSON');
    expectError(await deleteMany(a.token, [1, 2]), 400, 'M_BAD_JSON');
  });
});

describe('UIA sessions are bound to the operation that started them', () => {
  test('a session for deleting one device cannot delete another, bulk-delete or change the password', async () => {
    const a = await s.register('dev-uia-bind');
    const b = await login(a.userId);
    const c = await login(a.userId);
    const auth = passwordAuth(a.userId, await startUia(del(a.token, b.deviceId)));

    expectError(await del(a.token, c.deviceId, auth), 403, 'M_FORBIDDEN');
    expectError(await deleteMany(a.token, [c.deviceId], auth), 403, 'M_FORBIDDEN');
    const pw = await s.req('POST', `${V3}/account/password`, {
      token: a.token,
      body: { new_password: 'x', auth },
    });
    expectError(pw, 403, 'M_FORBIDDEN');
    expect((await whoami(c.token)).statusCode).toBe(200);
    expect(
      (
        await s.req('POST', `${V3}/login`, {
          body: { type: 'm.login.password', user: a.userId, password: PW },
        })
      ).statusCode,
    ).toBe(200);

    // The session still serves the operation it was made for.
    expect((await del(a.token, b.deviceId, auth)).statusCode).toBe(200);
    expectError(await whoami(b.token), 401, 'M_UNKNOWN_TOKEN');
  });

  test('another user cannot use the session, even for a device of the same id', async () => {
    const a = await s.register('dev-uia-a');
    const b = await s.register('dev-uia-b');
    const clash = await login(b.userId, { device_id: a.deviceId });
    const session = await startUia(del(a.token, a.deviceId));
    expectError(
      await del(b.token, a.deviceId, passwordAuth(b.userId, session)),
      403,
      'M_FORBIDDEN',
    );
    expect((await whoami(clash.token)).statusCode).toBe(200);
    expect((await whoami(a.token)).statusCode).toBe(200);
  });

  test('an unknown session id is refused', async () => {
    const a = await s.register('dev-uia-unknown');
    expectError(
      await del(a.token, a.deviceId, passwordAuth(a.userId, 'no-such-session')),
      400,
      'M_UNKNOWN',
    );
    expect((await whoami(a.token)).statusCode).toBe(200);
  });
});
