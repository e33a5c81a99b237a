import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { generateConfig } from '../../../server/core/config/generate.js';
import { systemRandom } from '../../../server/core/clock.js';
import { killAllHearth, startHearth } from '../../helpers/cli.js';

// A real `hearth start` on a fresh data folder, set up over HTTP as the wizard does it.
describe('hearth start on a fresh data folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-setup-cli-'));
  afterAll(async () => {
    await killAllHearth();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the setup token, is set up over HTTP, and keeps serving under the new name', async () => {
    const configPath = join(dir, 'homeserver.yaml');
    generateConfig({ serverName: 'localhost', configPath, port: 0, random: systemRandom });
    const doc = parseDocument(readFileSync(configPath, 'utf8'));
    doc.setIn(['listeners', 0, 'bind_addresses'], ['127.0.0.1']);
    doc.set('bcrypt_rounds', 4);
    doc.set('trusted_key_servers', []);
    writeFileSync(configPath, doc.toString());

    const p = startHearth(['start', '--config', configPath]);
    const listening = await p.waitForLog((l) => l.msg === 'listening');
    const port = (listening.addresses as { port: number }[])[0]!.port;
    const base = `http://127.0.0.1:${port}`;
    const announced = await p.waitForLog((l) => typeof l.setupToken === 'string');
    const token = announced.setupToken as string;
    expect(announced.msg).toContain(`#/setup/${token}`);
    expect(announced.setupUrlWithToken).toBe(`http://127.0.0.1:${port}/#/setup/${token}`);
    expect(readFileSync(join(dir, 'setup-token'), 'utf8').trim()).toBe(token);

    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const applied = await post(
      '/_hearth/v1/setup/apply',
      {
        server_name: 'home.example.org',
        admin: { username: 'me', password: 'my long password' },
        registration: 'token',
      },
      { 'x-hearth-setup-token': token },
    );
    expect(applied.status).toBe(200);
    expect(applied.body.user_id).toBe('@me:home.example.org');

    // Still the same process, now under the new name.
    expect(p.child.exitCode).toBeNull();
    const who = await fetch(`${base}/_matrix/client/v3/account/whoami`, {
      headers: { authorization: `Bearer ${applied.body.access_token as string}` },
    });
    expect(((await who.json()) as { user_id: string }).user_id).toBe('@me:home.example.org');
    const login = await post('/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'me' },
      password: 'my long password',
    });
    expect(login.status).toBe(200);
    expect(login.body.user_id).toBe('@me:home.example.org');
    const keys = await fetch(`${base}/_matrix/key/v2/server`);
    expect(((await keys.json()) as { server_name: string }).server_name).toBe('home.example.org');
    const setup = await fetch(`${base}/_hearth/v1/setup`);
    expect(await setup.json()).toEqual({ needs_setup: false });
    expect(readFileSync(configPath, 'utf8')).toContain('server_name: home.example.org');

    p.child.kill('SIGTERM');
    const done = await p.exited;
    expect(done.code).toBe(0);
  });
});
