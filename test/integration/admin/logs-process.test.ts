import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { killAllHearth, REPO_ROOT, runHearth, startHearth } from '../../helpers/cli.js';

// The log tail of a real `hearth serve` (node bin/hearth.js on dist/): the lines the
// process wrote to stdout are what an admin reads back, without the secrets.

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hearth-admin-logs-'));
  if (!existsSync(join(REPO_ROOT, 'dist/hearth.mjs'))) {
    execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
  }
}, 120_000);

afterAll(async () => {
  await killAllHearth();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('GET /_hearth/admin/v1/logs answers the newest lines the server logged', async () => {
  const configPath = join(tmp, 'homeserver.yaml');
  const gen = await runHearth([
    'generate-config',
    '--server-name',
    'example.test',
    '--config-path',
    configPath,
    '--port',
    '0',
  ]);
  expect(gen.code, gen.stderr).toBe(0);
  const c = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown> & {
    listeners: { bind_addresses: string[] }[];
  };
  c.listeners[0]!.bind_addresses = ['127.0.0.1'];
  c.log_level = 'info';
  writeFileSync(configPath, stringify(c));

  const server = startHearth(['serve', '--config', configPath]);
  const line = await server.waitForLog((l) => l.msg === 'listening');
  const base = `http://127.0.0.1:${(line.addresses as { port: number }[])[0]!.port}`;
  await server.waitForLog((l) => l.msg === 'Hearth is ready');

  const reg = await runHearth([
    'register-user',
    '--config',
    configPath,
    '--user',
    'root',
    '--password',
    'root-password',
    '--admin',
    base,
  ]);
  expect(reg.code, reg.stderr).toBe(0);
  const login = await fetch(`${base}/_matrix/client/v3/login`, {
    method: 'POST',
    body: JSON.stringify({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'root' },
      password: 'root-password',
    }),
  });
  const token = ((await login.json()) as { access_token: string }).access_token;

  const res = await fetch(`${base}/_hearth/admin/v1/logs?limit=1000`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  const { lines } = JSON.parse(text) as { lines: { msg: string; level: number; time: number }[] };
  const msgs = lines.map((l) => l.msg);
  expect(msgs).toContain('listening');
  expect(msgs).toContain('Hearth is ready');
  expect(msgs.indexOf('listening')).toBeLessThan(msgs.indexOf('Hearth is ready'));
  expect(lines.every((l) => typeof l.level === 'number' && typeof l.time === 'number')).toBe(true);
  // What the process wrote to stdout, in the same order.
  const stdoutMsgs = server
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
  expect(stdoutMsgs.slice(0, msgs.length)).toEqual(msgs.slice(0, stdoutMsgs.length));
  expect(text).not.toContain(token);
  expect(text).not.toContain('root-password');

  const plain = await fetch(`${base}/_hearth/admin/v1/status`);
  expect(plain.status).toBe(401);
  server.child.kill('SIGTERM');
  await server.exited;
}, 60_000);
