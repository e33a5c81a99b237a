import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { generateConfig } from '../../../server/core/config/generate.js';
import { systemRandom } from '../../../server/core/clock.js';
import { startServer, type RunningServer } from '../../../server/main.js';

/** Rate limits high enough that the tests only meet them when they mean to. */
const NO_LIMIT = { per_second: 1000, burst_count: 1000 };

export interface FreshServer {
  dir: string;
  configPath: string;
  baseUrl: string;
  server: RunningServer;
  /** A fetch to this server with a JSON body; answers with status and parsed JSON. */
  call(
    method: string,
    path: string,
    opts?: { body?: unknown; headers?: Record<string, string>; token?: string },
  ): Promise<{ status: number; body: Record<string, unknown> & { errcode?: string } }>;
  configText(): string;
  close(): Promise<void>;
}

/**
 * A fresh Hearth as a person gets it: `generateConfig` (what `hearth generate-config` and a
 * first `hearth start` write) for server name localhost, then the real runner
 * (`startServer`, the one `hearth start` uses) listening on a free loopback port. The
 * config gets a comment and a few test keys added through yaml's Document API, so tests
 * can see that setup keeps them. `xForwarded` puts the listener behind a (pretend) reverse
 * proxy, so a request can come from another address through X-Forwarded-For.
 */
export async function startFreshServer(
  opts: { xForwarded?: boolean; extra?: Record<string, unknown> } = {},
): Promise<FreshServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-setup-'));
  const configPath = join(dir, 'homeserver.yaml');
  generateConfig({ serverName: 'localhost', configPath, port: 0, random: systemRandom });
  const doc = parseDocument(readFileSync(configPath, 'utf8'));
  doc.setIn(['listeners', 0, 'bind_addresses'], ['127.0.0.1']);
  doc.setIn(['listeners', 0, 'x_forwarded'], opts.xForwarded ?? false);
  doc.set('bcrypt_rounds', 4);
  doc.set('trusted_key_servers', []);
  doc.set('rc_registration', NO_LIMIT);
  doc.set('rc_login', { address: NO_LIMIT, account: NO_LIMIT, failed_attempts: NO_LIMIT });
  for (const [k, v] of Object.entries(opts.extra ?? {})) doc.set(k, v);
  doc.commentBefore = ` A note the person wrote: setup must keep it.\n${doc.commentBefore ?? ''}`;
  writeFileSync(configPath, doc.toString());
  const server = await startServer({ configPath, logLevel: 'error' });
  const port = server.addresses[0]!.port;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    dir,
    configPath,
    baseUrl,
    server,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.body !== undefined) headers['content-type'] = 'application/json';
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      const res = await fetch(baseUrl + path, {
        method,
        headers,
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : {} };
    },
    configText: () => readFileSync(configPath, 'utf8'),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A good apply body; `over` replaces parts of it. */
export function applyBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server_name: 'localhost',
    admin: { username: 'admin', password: 'a long enough secret', displayname: 'The Admin' },
    registration: 'closed',
    ...over,
  };
}
