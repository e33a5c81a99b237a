import { compare } from '@node-rs/bcrypt';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  killAllHearth,
  REPO_ROOT,
  runHearth,
  startHearth,
  type HearthProcess,
} from '../helpers/cli.js';

/**
 * The `hearth` command as a person runs it: node bin/hearth.js on the compiled dist/ (the
 * `pretest` script builds it), in a temporary folder, talking HTTP to the server it started.
 */

const SIGNING_KEY = /^ed25519 a_\w{4} [A-Za-z0-9+/]{43}\n$/;

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hearth-cli-'));
  if (!existsSync(join(REPO_ROOT, 'dist/hearth.mjs'))) {
    execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
  }
}, 120_000);

afterAll(async () => {
  await killAllHearth();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Generates a config in a fresh folder; returns its path and what the command printed. */
async function generateWithOutput(name: string): Promise<{ configPath: string; stdout: string }> {
  const configPath = join(tmp, name, 'homeserver.yaml');
  const r = await runHearth([
    'generate-config',
    '--server-name',
    'example.test',
    '--config-path',
    configPath,
    '--port',
    '0',
  ]);
  expect(r.code, r.stderr).toBe(0);
  return { configPath, stdout: r.stdout };
}

/** Generates a config in a fresh folder and returns its path. */
async function generate(name: string): Promise<string> {
  return (await generateWithOutput(name)).configPath;
}

/** Rewrites keys of a YAML config file. */
function editConfig(
  configPath: string,
  edit: (c: Record<string, unknown> & { listeners: Record<string, unknown>[] }) => void,
): void {
  const c = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown> & {
    listeners: Record<string, unknown>[];
  };
  edit(c);
  writeFileSync(configPath, stringify(c));
}

describe('hearth generate-config', () => {
  let configPath: string;

  test('writes homeserver.yaml and a signing key', async () => {
    const r = await generateWithOutput('gen');
    configPath = r.configPath;
    expect(r.stdout).toContain(`Wrote ${configPath}`);

    const c = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown> & {
      listeners: { port: number }[];
    };
    expect(c.server_name).toBe('example.test');
    expect(c.listeners[0]!.port).toBe(0);
    expect(c.registration_shared_secret).toEqual(expect.any(String));

    const keyPath = resolve(dirname(configPath), c.signing_key_path as string);
    expect(readFileSync(keyPath, 'utf8')).toMatch(SIGNING_KEY);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
  });

  test('refuses to overwrite an existing config', async () => {
    const before = readFileSync(configPath, 'utf8');
    const r = await runHearth([
      'generate-config',
      '--server-name',
      'example.test',
      '--config-path',
      configPath,
      '--port',
      '0',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('already exists');
    expect(readFileSync(configPath, 'utf8')).toBe(before);
  });

  test('an unknown flag exits 2 with a one-line error and the usage', async () => {
    const r = await runHearth(['generate-config', '--server-name', 'example.test', '--bogus']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('--bogus');
    expect(lines[1]).toMatch(/^Usage: hearth generate-config /);
    expect(r.stdout).toBe('');
  });

  test('a missing --server-name exits 2', async () => {
    const r = await runHearth([
      'generate-config',
      '--config-path',
      join(tmp, 'none', 'homeserver.yaml'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--server-name');
    expect(existsSync(join(tmp, 'none', 'homeserver.yaml'))).toBe(false);
  });
});

describe('hearth serve and register-user', () => {
  let configPath: string;
  let pidFile: string;
  let server: HearthProcess;
  let base: string;

  beforeAll(async () => {
    configPath = await generate('serve');
    editConfig(configPath, (c) => {
      c.listeners[0]!.bind_addresses = ['127.0.0.1'];
      c.log_level = 'info';
    });
    const c = parse(readFileSync(configPath, 'utf8')) as { pid_file: string };
    pidFile = resolve(dirname(configPath), c.pid_file);
  });

  test('serve logs "listening" with its port and answers HTTP', async () => {
    server = startHearth(['serve', '--config', configPath]);
    const line = await server.waitForLog((l) => l.msg === 'listening');
    const port = (line.addresses as { port: number }[])[0]!.port;
    expect(port).toBeGreaterThan(0);
    base = `http://127.0.0.1:${port}`;

    const res = await fetch(`${base}/_matrix/client/versions`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { versions: string[] }).versions.length).toBeGreaterThan(0);
  });

  test('the pid file holds the server process id', async () => {
    // The pid file is written right after the listeners bind.
    await server.waitForLog((l) => l.msg === 'Hearth is ready');
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(server.child.pid));
  });

  test('register-user with flags makes an admin who can log in', async () => {
    const r = await runHearth([
      'register-user',
      '--config',
      configPath,
      '--user',
      'alice',
      '--password',
      'pw',
      '--admin',
      base,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Registered @alice:example.test');

    const token = await login('alice', 'pw');
    const tokens = await fetch(`${base}/_synapse/admin/v1/registration_tokens`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(tokens.status).toBe(200);
  });

  test('register-user asks for what the flags did not give', async () => {
    const r = await runHearth(['register-user', '--config', configPath, base], {
      input: 'bob\npw\npw\nno\n',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Registered @bob:example.test');
    expect(r.stdout).not.toContain('admin');

    const token = await login('bob', 'pw');
    const tokens = await fetch(`${base}/_synapse/admin/v1/registration_tokens`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(tokens.status).toBe(403);
    expect(((await tokens.json()) as { errcode: string }).errcode).toBe('M_FORBIDDEN');
  });

  test('register-user of a taken name fails', async () => {
    const r = await runHearth([
      'register-user',
      '--config',
      configPath,
      '--user',
      'alice',
      '--password',
      'pw',
      '--no-admin',
      base,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('M_USER_IN_USE');
  });

  test('a second serve on the same config says it is already running', async () => {
    const r = await runHearth(['serve', '--config', configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('already running');
    // The first server is untouched.
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(server.child.pid));
    expect((await fetch(`${base}/_matrix/client/versions`)).status).toBe(200);
  });

  test('SIGTERM stops the server cleanly and removes the pid file', async () => {
    server.child.kill('SIGTERM');
    const r = await server.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('"msg":"stopped"');
    expect(existsSync(pidFile)).toBe(false);
    await expect(fetch(`${base}/_matrix/client/versions`)).rejects.toThrow();
  });

  async function login(user: string, password: string): Promise<string> {
    const res = await fetch(`${base}/_matrix/client/v3/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user },
        password,
      }),
    });
    const body = (await res.json()) as { access_token: string; user_id: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.user_id).toBe(`@${user}:example.test`);
    return body.access_token;
  }
});

describe('hearth serve with a bad config', () => {
  test('a port that is not a number exits 1 naming the key', async () => {
    const configPath = await generate('bad-port');
    editConfig(configPath, (c) => {
      c.listeners[0]!.port = 'abc';
    });
    const r = await runHearth(['serve', '--config', configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('listeners[0].port');
    expect(existsSync(join(dirname(configPath), 'homeserver.db'))).toBe(false);
    expect(existsSync(join(dirname(configPath), 'homeserver.pid'))).toBe(false);
  });
});

describe('hearth hash-password and help', () => {
  test('hash-password -p prints a bcrypt hash of the password', async () => {
    const r = await runHearth(['hash-password', '-p', 'secret']);
    expect(r.code, r.stderr).toBe(0);
    const hash = r.stdout.trim();
    expect(hash).toMatch(/^\$2b\$\d\d\$[./A-Za-z0-9]{53}$/);
    expect(await compare('secret', hash)).toBe(true);
    expect(await compare('not the secret', hash)).toBe(false);
  });

  test('hash-password --help exits 0 with its usage', async () => {
    const r = await runHearth(['hash-password', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: hearth hash-password');
  });

  test('hearth --help lists the commands', async () => {
    const r = await runHearth(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['serve', 'generate-config', 'register-user', 'hash-password'])
      expect(r.stdout).toContain(cmd);
  });

  test('an unknown command exits 2', async () => {
    const r = await runHearth(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
  });
});

describe('start-up tiering (bin/hearth.js, server/core/startup-tiering.ts)', () => {
  // On Node 20's V8, whose defaults the launcher knows, start-up code must not reach
  // TurboFan (about 5 MiB of idle RSS), and request code must once the server is ready.
  const known = process.versions.v8.startsWith('11.3.');

  test('nothing is optimised before "Hearth is ready"; hot request code is after', async () => {
    const configPath = await generate('tiering');
    const server = startHearth(['serve', '--config', configPath], { nodeArgs: ['--trace-opt'] });
    try {
      const listening = await server.waitForLog((l) => l.msg === 'listening');
      await server.waitForLog((l) => l.msg === 'Hearth is ready');
      const beforeReady = server.stdout().split('"Hearth is ready"')[0]!;
      if (known) expect(beforeReady).not.toMatch(/completed optimizing/);
      const port = (listening.addresses as { port: number }[])[0]!.port;
      const url = `http://127.0.0.1:${port}/_matrix/client/versions`;
      for (let i = 0; i < 2000; i++) expect((await fetch(url)).status).toBe(200);
      expect(server.stdout()).toMatch(/completed optimizing/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 60_000);
});
