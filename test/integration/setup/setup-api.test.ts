import { existsSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { applyBody, startFreshServer, type FreshServer } from './fresh-server.js';

const REGISTER = '/_matrix/client/v3/register';

/** Registers through /register with the dummy stage; answers with the final response. */
async function registerDummy(s: FreshServer, username: string) {
  const first = await s.call('POST', REGISTER, {
    body: { username, password: 'another long secret' },
  });
  if (first.status !== 401) return first;
  return s.call('POST', REGISTER, {
    body: {
      username,
      password: 'another long secret',
      auth: { type: 'm.login.dummy', session: first.body.session },
    },
  });
}

describe('setup from this machine', () => {
  let s: FreshServer;
  beforeAll(async () => {
    s = await startFreshServer();
  });
  afterAll(() => s?.close());

  it('says a fresh server needs setup and that this request may run it', async () => {
    expect((await s.call('GET', '/_hearth/v1/setup')).body).toEqual({ needs_setup: true });
    const st = await s.call('GET', '/_hearth/v1/setup/status');
    expect(st.status).toBe(200);
    expect(st.body).toMatchObject({
      needs_setup: true,
      server_name: 'localhost',
      may_setup: true,
      token_required: false,
      mode: 'headless',
      server_name_changeable: true,
      registration: 'closed',
    });
    // The one-time token is in the data folder, readable by its owner only.
    const tokenFile = join(s.dir, 'setup-token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokenFile, 'utf8').trim()).toMatch(/^[A-Za-z]{32}$/);
  });

  it('checks fields as the person types', async () => {
    const bad = await s.call('POST', '/_hearth/v1/setup/validate', {
      body: { server_name: 'Not A Name!', username: 'Bad Name', password: 'short' },
    });
    expect(bad.status).toBe(200);
    expect(bad.body.server_name).toMatchObject({ valid: false, errcode: 'M_INVALID_PARAM' });
    expect(bad.body.username).toMatchObject({ valid: false, errcode: 'M_INVALID_USERNAME' });
    expect(bad.body.password).toMatchObject({ valid: false, errcode: 'M_WEAK_PASSWORD' });
    const good = await s.call('POST', '/_hearth/v1/setup/validate', {
      body: { server_name: 'chat.example.org', username: 'alice', password: 'a long secret' },
    });
    expect(good.body).toEqual({
      server_name: { valid: true },
      username: { valid: true },
      password: { valid: true },
    });
    const same = await s.call('POST', '/_hearth/v1/setup/validate', {
      body: { username: 'samesame', password: 'SameSame' },
    });
    expect(same.body.password).toMatchObject({ valid: false, errcode: 'M_WEAK_PASSWORD' });
  });

  it('refuses bad input with a clear error and writes nothing', async () => {
    const before = s.configText();
    const cases: [Record<string, unknown>, number, string][] = [
      [{ server_name: 'exa mple.org' }, 400, 'M_INVALID_PARAM'],
      [{ server_name: 'Example.org' }, 400, 'M_INVALID_PARAM'],
      [{ admin: { username: 'Has Space', password: 'a long secret' } }, 400, 'M_INVALID_USERNAME'],
      [{ admin: { username: '_hidden', password: 'a long secret' } }, 400, 'M_INVALID_USERNAME'],
      [{ admin: { username: 'admin', password: 'short' } }, 400, 'M_WEAK_PASSWORD'],
      [{ registration: 'sometimes' }, 400, 'M_BAD_JSON'],
      [{ admin: { username: 'admin' } }, 400, 'M_MISSING_PARAM'],
    ];
    for (const [over, status, errcode] of cases) {
      const res = await s.call('POST', '/_hearth/v1/setup/apply', { body: applyBody(over) });
      expect({ over, status: res.status, errcode: res.body.errcode }).toEqual({
        over,
        status,
        errcode,
      });
      expect(typeof res.body.error).toBe('string');
    }
    const notJson = await fetch(`${s.baseUrl}/_hearth/v1/setup/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(notJson.status).toBe(400);
    expect(s.configText()).toBe(before);
    expect((await s.call('GET', '/_hearth/v1/setup')).body).toEqual({ needs_setup: true });
    const login = await s.call('POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', user: 'admin', password: 'a long secret' },
    });
    expect(login.status).toBe(403);
  });

  it('applies: writes homeserver.yaml keeping its other keys, makes the admin, signs in', async () => {
    const before = parseYaml(s.configText()) as Record<string, unknown>;
    const res = await s.call('POST', '/_hearth/v1/setup/apply', {
      body: applyBody({ server_name: 'chat.example.org', registration: 'token' }),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user_id: '@admin:chat.example.org',
      home_server: 'chat.example.org',
      server_name: 'chat.example.org',
      registration: 'token',
    });
    const token = res.body.access_token as string;
    const who = await s.call('GET', '/_matrix/client/v3/account/whoami', { token });
    expect(who.body).toMatchObject({ user_id: '@admin:chat.example.org' });
    const prof = await s.call('GET', '/_matrix/client/v3/profile/@admin:chat.example.org');
    expect(prof.body).toMatchObject({ displayname: 'The Admin' });

    const text = s.configText();
    expect(text).toContain('# A note the person wrote: setup must keep it.');
    expect(text).toContain('# Relative paths are resolved against the folder of this file.');
    const after = parseYaml(text) as Record<string, unknown>;
    expect(after).toMatchObject({
      server_name: 'chat.example.org',
      enable_registration: true,
      registration_requires_token: true,
    });
    for (const k of [
      'listeners',
      'database',
      'macaroon_secret_key',
      'signing_key_path',
      'rc_login',
    ])
      expect(after[k]).toEqual(before[k]);
    expect(statSync(s.configPath).mode & 0o777).toBe(0o600);
    // The one-time token is gone with the need for it.
    expect(existsSync(join(s.dir, 'setup-token'))).toBe(false);

    // The new server name holds at once: the server's own keys carry it.
    const keys = await s.call('GET', '/_matrix/key/v2/server');
    expect(keys.body.server_name).toBe('chat.example.org');
  });

  it('takes registration with a token at once, without a restart', async () => {
    const first = await s.call('POST', REGISTER, {
      body: { username: 'bob', password: 'another long secret' },
    });
    expect(first.status).toBe(401);
    const flows = first.body.flows as { stages: string[] }[];
    expect(flows.map((f) => f.stages)).toEqual([['m.login.registration_token', 'm.login.dummy']]);
  });

  it('answers 403 on every setup endpoint once set up', async () => {
    expect((await s.call('GET', '/_hearth/v1/setup')).body).toEqual({ needs_setup: false });
    const st = await s.call('GET', '/_hearth/v1/setup/status');
    expect(st.body).toMatchObject({ needs_setup: false, may_setup: false });
    const v = await s.call('POST', '/_hearth/v1/setup/validate', { body: { username: 'x' } });
    expect([v.status, v.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    const before = s.configText();
    const a = await s.call('POST', '/_hearth/v1/setup/apply', {
      body: applyBody({ admin: { username: 'mallory', password: 'a long secret' } }),
    });
    expect([a.status, a.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    expect(s.configText()).toBe(before);
  });
});

describe('registration modes take effect at once', () => {
  let s: FreshServer | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('open: anyone registers', async () => {
    s = await startFreshServer();
    expect((await registerDummy(s, 'early')).status).toBe(403);
    const res = await s.call('POST', '/_hearth/v1/setup/apply', {
      body: applyBody({ registration: 'open' }),
    });
    expect(res.status).toBe(200);
    const reg = await registerDummy(s, 'carol');
    expect(reg.status).toBe(200);
    expect(reg.body.user_id).toBe('@carol:localhost');
  });

  it('closed: registration is refused', async () => {
    s = await startFreshServer();
    const res = await s.call('POST', '/_hearth/v1/setup/apply', {
      body: applyBody({ registration: 'closed' }),
    });
    expect(res.status).toBe(200);
    const reg = await registerDummy(s, 'dave');
    expect([reg.status, reg.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    expect(parseYaml(s.configText())).toMatchObject({ enable_registration: false });
  });

  it('keeps the server name once accounts exist under it', async () => {
    s = await startFreshServer();
    // An account made before setup (shared-secret registration, not an admin).
    const cfg = parseYaml(s.configText()) as { registration_shared_secret: string };
    const { computeRegistrationMac } = await import('../../../server/accounts/shared-secret.js');
    const nonce = (await s.call('GET', '/_synapse/admin/v1/register')).body.nonce as string;
    const body = { nonce, username: 'early', password: 'a long secret', admin: false };
    const made = await s.call('POST', '/_synapse/admin/v1/register', {
      body: { ...body, mac: computeRegistrationMac(cfg.registration_shared_secret, body) },
    });
    expect(made.status).toBe(200);
    const st = await s.call('GET', '/_hearth/v1/setup/status');
    expect(st.body).toMatchObject({ needs_setup: true, server_name_changeable: false });
    const before = s.configText();
    const res = await s.call('POST', '/_hearth/v1/setup/apply', {
      body: applyBody({ server_name: 'other.example' }),
    });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe('M_INVALID_PARAM');
    expect(res.body.error).toMatch(/can no longer change/);
    expect(s.configText()).toBe(before);
    const taken = await s.call('POST', '/_hearth/v1/setup/apply', {
      body: applyBody({ admin: { username: 'early', password: 'a long secret' } }),
    });
    expect([taken.status, taken.body.errcode]).toEqual([400, 'M_USER_IN_USE']);
    const ok = await s.call('POST', '/_hearth/v1/setup/apply', { body: applyBody() });
    expect(ok.status).toBe(200);
    expect(ok.body.user_id).toBe('@admin:localhost');
  });
});

describe('setup from another machine', () => {
  let s: FreshServer;
  let token: string;
  const REMOTE = { 'x-forwarded-for': '203.0.113.9' };
  beforeAll(async () => {
    // Behind a reverse proxy (x_forwarded: true) the client's address is the forwarded one.
    s = await startFreshServer({ xForwarded: true });
    token = readFileSync(join(s.dir, 'setup-token'), 'utf8').trim();
  });
  afterAll(() => s?.close());

  it('is refused without the setup token, and nothing is written', async () => {
    const st = await s.call('GET', '/_hearth/v1/setup/status', { headers: REMOTE });
    expect(st.body).toMatchObject({ needs_setup: true, may_setup: false, token_required: true });
    expect(st.body.reason).toMatch(/setup token/);
    const v = await s.call('POST', '/_hearth/v1/setup/validate', {
      headers: REMOTE,
      body: { username: 'admin' },
    });
    expect([v.status, v.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    const before = s.configText();
    const a = await s.call('POST', '/_hearth/v1/setup/apply', {
      headers: REMOTE,
      body: applyBody(),
    });
    expect([a.status, a.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    expect(s.configText()).toBe(before);
  });

  it('sees through forged loopback addresses, other sites and rebound host names', async () => {
    const tries: Record<string, string>[] = [
      // A client's own "127.0.0.1" before the address the proxy appended.
      { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' },
      // A web page the person has open, posting to the local server.
      { origin: 'https://evil.example' },
      { 'x-hearth-setup-token': 'not-the-token' },
    ];
    for (const headers of tries) {
      const v = await s.call('POST', '/_hearth/v1/setup/validate', {
        headers,
        body: { username: 'admin' },
      });
      expect({ headers, status: v.status }).toEqual({ headers, status: 403 });
    }
    // A page whose own DNS name was rebound to 127.0.0.1 (fetch will not set Host).
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${s.baseUrl}/_hearth/v1/setup/validate`, {
        method: 'POST',
        headers: { host: 'evil.example:8008', 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ username: 'admin' }));
    });
    expect(status).toBe(403);
  });

  it('is accepted with the setup token', async () => {
    const withToken = { ...REMOTE, 'x-hearth-setup-token': token };
    const st = await s.call('GET', '/_hearth/v1/setup/status', { headers: withToken });
    expect(st.body).toMatchObject({ may_setup: true, token_required: false });
    const v = await s.call('POST', '/_hearth/v1/setup/validate', {
      headers: withToken,
      body: { username: 'admin' },
    });
    expect(v.status).toBe(200);
    const a = await s.call('POST', '/_hearth/v1/setup/apply', {
      headers: withToken,
      body: applyBody({ server_name: 'hearth.example.net' }),
    });
    expect(a.status).toBe(200);
    expect(a.body.user_id).toBe('@admin:hearth.example.net');
    // The token was one-time: setup is done and it opens nothing now.
    const again = await s.call('POST', '/_hearth/v1/setup/validate', {
      headers: withToken,
      body: { username: 'x' },
    });
    expect([again.status, again.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
  });
});

describe('automatic network set-up (a domain, no reverse proxy)', () => {
  let s: FreshServer;
  beforeAll(async () => {
    s = await startFreshServer({
      extra: {
        // No ACME server here: issuing fails at once, which the status shows. Port mapping
        // is left off explicitly (no UPnP search on this machine's network); setup keeps it.
        acme: { url: 'https://127.0.0.1:1/directory' },
        port_mapping: { enabled: false },
      },
    });
  });
  afterAll(() => s?.close());

  it('is refused for localhost, with nothing written', async () => {
    const before = s.configText();
    const res = await s.call('POST', '/_hearth/v1/setup/apply', {
      body: applyBody({ network: 'automatic' }),
    });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe('M_INVALID_PARAM');
    expect(s.configText()).toBe(before);
  });

  it('turns on certificates, a TLS listener on 8448 and the public base URL, without a restart', async () => {
    const res = await s.call('POST', '/_hearth/v1/setup/apply', {
      body: applyBody({ server_name: 'hearth.test', network: 'automatic' }),
    });
    expect(res.status).toBe(200);
    expect(res.body.network).toBe('automatic');
    const c = parseYaml(s.configText()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(c.acme).toMatchObject({
      enabled: true,
      port: 8080,
      url: 'https://127.0.0.1:1/directory',
    });
    expect(c.port_mapping).toEqual({ enabled: false });
    expect(c.public_baseurl).toBe('https://hearth.test:8448/');
    expect(c.listeners[1]).toMatchObject({
      port: 8448,
      tls: true,
      bind_addresses: ['0.0.0.0'],
      resources: [{ names: ['client', 'federation'], compress: false }],
    });
    // The running server started the certificate manager and bound the new listener.
    const token = res.body.access_token as string;
    const cert = await s.call('GET', '/_hearth/admin/v1/certificates', { token });
    expect(cert.status).toBe(200);
    expect(cert.body).toMatchObject({ enabled: true, domain: 'hearth.test' });
    const { connect } = await import('node:net');
    await new Promise<void>((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port: 8448 }, () => {
        sock.destroy();
        resolve();
      });
      sock.on('error', reject);
    });
  });
});
