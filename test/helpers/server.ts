import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject, type Response as LightMyRequestResponse } from 'light-my-request';
import { computeRegistrationMac } from '../../server/accounts/shared-secret.js';
import { buildApp } from '../../server/app.js';
import type { HttpApp } from '../../server/http/http-app.js';
import { createContext, type Ctx } from '../../server/context.js';
import { systemRandom, type Clock } from '../../server/core/clock.js';
import { resolveConfig } from '../../server/core/config/load.js';
import { silentLogger } from '../../server/core/logger.js';
import { generateSigningKey, signingKeyFromSeed } from '../../server/core/signing.js';

/** Rate limits high enough that tests only meet them when they mean to. */
const NO_LIMIT = { per_second: 1000, burst_count: 1000 };

/** Tests read answers loosely (`res.json().user_id`); their assertions check the shapes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

export interface TestServer {
  ctx: Ctx;
  app: HttpApp;
  dir: string;
  /** A request through the real HTTP app (light-my-request's inject, no socket). */
  req(
    method: string,
    url: string,
    opts?: { body?: unknown; token?: string; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse & { json<T = Loose>(): T }>;
  /** Registers a user through /register (dummy flow) and returns its session. */
  register(
    username: string,
    password?: string,
  ): Promise<{ userId: string; token: string; deviceId: string }>;
  /** Registers a server admin through shared-secret registration and returns its session. */
  registerAdmin(
    username: string,
    password?: string,
  ): Promise<{ userId: string; token: string; deviceId: string }>;
  close(): Promise<void>;
}

/**
 * A real Hearth on a temporary SQLite file: the real config resolver, migrations, writer
 * and HTTP app. `config` overrides homeserver.yaml keys. `dir` reopens the data folder of
 * an earlier (closed) server, as a restart does; that folder is then left for its owner.
 */
export async function createTestServer(
  config: Record<string, unknown> = {},
  opts: {
    clock?: Clock;
    dir?: string;
    /** The writer's WAL fsync, for tests that hold or fail it (server/db/writer.ts). */
    walSync?: (fd: number, cb: (err: Error | null) => void) => void;
  } = {},
): Promise<TestServer> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'hearth-test-'));
  const key = generateSigningKey(systemRandom);
  const { config: cfg } = resolveConfig(
    {
      server_name: 'test.local',
      database: { name: 'sqlite3', args: { database: join(dir, 'homeserver.db') } },
      bcrypt_rounds: 4,
      enable_registration: true,
      enable_registration_without_verification: true,
      registration_shared_secret: 'test-shared-secret',
      // No notary: a test server never asks matrix.org for keys.
      trusted_key_servers: [],
      log_level: 'silent',
      rc_message: NO_LIMIT,
      rc_registration: NO_LIMIT,
      rc_registration_token_validity: NO_LIMIT,
      rc_login: { address: NO_LIMIT, account: NO_LIMIT, failed_attempts: NO_LIMIT },
      ...config,
    },
    join(dir, 'homeserver.yaml'),
    { signingKeys: [signingKeyFromSeed(key.version, key.seed)] },
  );
  const handle = createContext({
    config: cfg,
    log: silentLogger(),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.walSync ? { walSync: opts.walSync } : {}),
  });
  const app = buildApp(handle.ctx);
  const server: TestServer = {
    ctx: handle.ctx,
    app,
    dir,
    async req(method, url, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      let payload: string | undefined;
      if (o.body !== undefined) {
        payload = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      return inject(app.handle, {
        method: method as 'GET',
        url,
        headers,
        ...(payload !== undefined ? { payload } : {}),
      }) as never;
    },
    async register(username, password = 'correct horse battery staple') {
      const first = await server.req('POST', '/_matrix/client/v3/register', {
        body: { username, password },
      });
      const session = first.json().session as string;
      const res = await server.req('POST', '/_matrix/client/v3/register', {
        body: { username, password, auth: { type: 'm.login.dummy', session } },
      });
      if (res.statusCode !== 200) throw new Error(`register failed: ${res.body}`);
      const b = res.json();
      return { userId: b.user_id, token: b.access_token, deviceId: b.device_id };
    },
    async registerAdmin(username, password = 'correct horse battery staple') {
      const { nonce } = (await server.req('GET', '/_synapse/admin/v1/register')).json();
      const body = { nonce, username, password, admin: true };
      const res = await server.req('POST', '/_synapse/admin/v1/register', {
        body: { ...body, mac: computeRegistrationMac('test-shared-secret', body) },
      });
      if (res.statusCode !== 200) throw new Error(`admin register failed: ${res.body}`);
      const b = res.json();
      return { userId: b.user_id, token: b.access_token, deviceId: b.device_id };
    },
    async close() {
      await app.close();
      await handle.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * A fresh server for the enclosing `describe` block, with homeserver.yaml overrides; `setup`
 * runs once it is up (registering the users the block needs, say).
 */
export function useServer(
  config: Record<string, unknown> = {},
  opts: { clock?: Clock; setup?: (s: TestServer) => Promise<unknown> } = {},
): () => TestServer {
  let s: TestServer | undefined;
  beforeAll(async () => {
    s = await createTestServer(config, opts.clock ? { clock: opts.clock } : {});
    await opts.setup?.(s);
  });
  afterAll(() => s?.close());
  return () => s!;
}
