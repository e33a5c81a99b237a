import * as sdk from 'matrix-js-sdk';
import { quietSdkLogger as quiet } from '../helpers/js-sdk.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { computeRegistrationMac } from '../../server/accounts/shared-secret.js';
import { listenTestServer, type ListeningTestServer } from '../helpers/listen.js';

/**
 * matrix-js-sdk 36, unmodified, against a real listening Hearth: what the built-in client and
 * Element do before their first sync (register, log in, profile, devices, refresh, log out).
 */

const PW = 'correct horse battery staple';

let s: ListeningTestServer;
const clients: sdk.MatrixClient[] = [];

beforeAll(async () => {
  s = await listenTestServer();
});
afterAll(async () => {
  for (const c of clients) c.stopClient();
  await s?.close();
});

/** A js-sdk client on the test server; with a session when one is given. */
function client(session?: {
  userId: string;
  accessToken: string;
  deviceId: string;
}): sdk.MatrixClient {
  const c = sdk.createClient({ baseUrl: s.baseUrl, logger: quiet, ...session });
  clients.push(c);
  return c;
}

/** Awaits a promise that must reject with a MatrixError, and returns that error. */
async function matrixError(p: Promise<unknown>): Promise<sdk.MatrixError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(sdk.MatrixError);
  return err as sdk.MatrixError;
}

/** Registers through /register with the dummy stage, the way a client drives UIA. */
async function registerWithSdk(username: string): Promise<sdk.RegisterResponse> {
  const c = client();
  const first = await matrixError(c.registerRequest({ username, password: PW }));
  expect(first.httpStatus).toBe(401);
  const session = first.data.session as string;
  expect(typeof session).toBe('string');
  expect(JSON.stringify(first.data.flows)).toContain('m.login.dummy');
  return c.registerRequest({ username, password: PW, auth: { type: 'm.login.dummy', session } });
}

function loginBody(user: string, extra: Partial<sdk.LoginRequest> = {}): sdk.LoginRequest {
  return {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user },
    password: PW,
    ...extra,
  };
}

describe('discovery', () => {
  test('getVersions lists spec versions', async () => {
    const v = await client().getVersions();
    expect(v.versions).toEqual(expect.arrayContaining([expect.stringMatching(/^v1\.\d+$/)]));
  });

  test('getCapabilities answers for a logged-in client', async () => {
    const r = await registerWithSdk('sdk-caps');
    const c = client({ userId: r.user_id, accessToken: r.access_token!, deviceId: r.device_id! });
    const caps = await c.getCapabilities();
    expect(caps['m.change_password']).toMatchObject({ enabled: expect.any(Boolean) });
    expect(caps['m.room_versions']).toMatchObject({ default: expect.any(String) });
  });
});

describe('registration', () => {
  test('registerRequest drives the dummy UIA flow', async () => {
    const r = await registerWithSdk('sdk-reg');
    expect(r.user_id).toBe('@sdk-reg:test.local');
    expect(r.access_token).toEqual(expect.any(String));
    expect(r.device_id).toEqual(expect.any(String));
  });

  test('a taken user name fails with M_USER_IN_USE', async () => {
    await registerWithSdk('sdk-taken');
    const err = await matrixError(
      client().registerRequest({ username: 'sdk-taken', password: PW }),
    );
    expect(err.errcode).toBe('M_USER_IN_USE');
    expect(err.httpStatus).toBe(400);
  });

  test('isUsernameAvailable', async () => {
    await registerWithSdk('sdk-avail');
    expect(await client().isUsernameAvailable('sdk-free')).toBe(true);
    expect(await client().isUsernameAvailable('sdk-avail')).toBe(false);
  });

  test('shared-secret registration over HTTP makes an admin who can log in with the SDK', async () => {
    const url = `${s.baseUrl}/_synapse/admin/v1/register`;
    const { nonce } = (await (await fetch(url)).json()) as { nonce: string };
    const body = { nonce, username: 'sdk-admin', password: PW, admin: true };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, mac: computeRegistrationMac('test-shared-secret', body) }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user_id: string }).user_id).toBe('@sdk-admin:test.local');

    const login = await client().loginRequest(loginBody('sdk-admin'));
    const c = client({
      userId: login.user_id,
      accessToken: login.access_token,
      deviceId: login.device_id,
    });
    expect((await c.whoami()).user_id).toBe('@sdk-admin:test.local');
    const tokens = await fetch(`${s.baseUrl}/_synapse/admin/v1/registration_tokens`, {
      headers: { authorization: `Bearer ${c.getAccessToken()}` },
    });
    expect(tokens.status).toBe(200);
  });
});

describe('a session', () => {
  test('login, whoami, profile, devices, logout', async () => {
    await registerWithSdk('sdk-life');
    const login = await client().loginRequest(
      loginBody('sdk-life', { initial_device_display_name: 'Test laptop' }),
    );
    expect(login.user_id).toBe('@sdk-life:test.local');
    const c = client({
      userId: login.user_id,
      accessToken: login.access_token,
      deviceId: login.device_id,
    });

    const me = await c.whoami();
    expect(me).toMatchObject({ user_id: '@sdk-life:test.local', device_id: login.device_id });

    await c.setDisplayName('Life Tester');
    expect(await c.getProfileInfo(login.user_id)).toMatchObject({ displayname: 'Life Tester' });
    expect(await c.getProfileInfo(login.user_id, 'displayname')).toEqual({
      displayname: 'Life Tester',
    });

    const { devices } = await c.getDevices();
    expect(devices.map((d) => d.device_id)).toContain(login.device_id);
    expect(devices.find((d) => d.device_id === login.device_id)?.display_name).toBe('Test laptop');
    await c.setDeviceDetails(login.device_id, { display_name: 'Renamed' });
    expect((await c.getDevice(login.device_id)).display_name).toBe('Renamed');

    expect(await c.logout()).toEqual({});
    const err = await matrixError(c.whoami());
    expect(err.errcode).toBe('M_UNKNOWN_TOKEN');
    expect(err.httpStatus).toBe(401);
  });

  test('the deprecated login() helper also works', async () => {
    await registerWithSdk('sdk-login-old');
    const c = client();
    const r = await c.login('m.login.password', {
      identifier: { type: 'm.id.user', user: 'sdk-login-old' },
      password: PW,
    });
    expect(r.user_id).toBe('@sdk-login-old:test.local');
    expect(c.getAccessToken()).toBe(r.access_token);
    expect((await c.whoami()).user_id).toBe(r.user_id);
  });

  test('a wrong password fails with M_FORBIDDEN', async () => {
    await registerWithSdk('sdk-wrong');
    const err = await matrixError(
      client().loginRequest({ ...loginBody('sdk-wrong'), password: 'nope' }),
    );
    expect(err.errcode).toBe('M_FORBIDDEN');
    expect(err.httpStatus).toBe(403);
  });

  test('loginFlows offers m.login.password', async () => {
    const { flows } = await client().loginFlows();
    expect(flows.map((f) => f.type)).toContain('m.login.password');
  });
});

describe('refresh tokens', () => {
  test('login with refresh_token, then refreshToken() gives a working new pair', async () => {
    await registerWithSdk('sdk-refresh');
    const login = await client().loginRequest(loginBody('sdk-refresh', { refresh_token: true }));
    expect(login.refresh_token).toEqual(expect.any(String));
    expect(login.expires_in_ms).toEqual(expect.any(Number));
    const c = client({
      userId: login.user_id,
      accessToken: login.access_token,
      deviceId: login.device_id,
    });

    const fresh = await c.refreshToken(login.refresh_token!);
    expect(fresh.access_token).toEqual(expect.any(String));
    expect(fresh.access_token).not.toBe(login.access_token);
    expect(fresh.refresh_token).toEqual(expect.any(String));
    expect(fresh.refresh_token).not.toBe(login.refresh_token);
    expect(fresh.expires_in_ms).toEqual(expect.any(Number));

    c.setAccessToken(fresh.access_token);
    expect(await c.whoami()).toMatchObject({ user_id: login.user_id, device_id: login.device_id });

    // Once the new access token is used, the old refresh token is spent.
    const err = await matrixError(c.refreshToken(login.refresh_token!));
    expect(err.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  test('register() asks for a refresh token and gets one', async () => {
    const c = client();
    const first = await matrixError(
      c.registerRequest({ username: 'sdk-reg-refresh', password: PW }),
    );
    const session = first.data.session as string;
    const r = await c.register('sdk-reg-refresh', PW, session, { type: 'm.login.dummy' });
    expect(r.refresh_token).toEqual(expect.any(String));
    const fresh = await client({
      userId: r.user_id,
      accessToken: r.access_token!,
      deviceId: r.device_id!,
    }).refreshToken(r.refresh_token!);
    expect(fresh.access_token).toEqual(expect.any(String));
  });
});
