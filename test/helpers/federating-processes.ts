import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { localFederationConfig } from '../../server/cli/commands/demo.js';
import { systemRandom } from '../../server/core/clock.js';
import { generateConfig } from '../../server/core/config/generate.js';
import { createLocalCa, writePemPair } from '../../server/net/local-ca.js';
import { startHearth, type HearthProcess } from './cli.js';

/**
 * Real Hearth processes (`node bin/hearth.js serve`, as a person runs it) federating on this
 * machine the way `hearth demo` sets them up: server names localhost:PORT, TLS listeners
 * with certificates of a CA the test makes, that CA trusted, loopback let through the
 * address guard. Everything between them goes through the real transport: discovery, TLS,
 * X-Matrix, the outgoing queues.
 */

export interface HearthNode {
  serverName: string;
  port: number;
  process: HearthProcess;
  /** A JSON request over HTTPS (the test CA trusted), with an access token if given. */
  call(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown },
  ): Promise<{ status: number; body: Loose }>;
  /** Registers a user through open registration (the dummy stage). */
  register(localpart: string): Promise<{ userId: string; token: string; deviceId: string }>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read loosely; tests check them
type Loose = Record<string, any>;

/** `count` free consecutive ports. */
export async function freePortRun(count: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await free(base + i);
    if (ok) return base;
  }
  throw new Error(`no ${count} free consecutive ports`);
}

/** Starts `count` federating Hearths; `stop()` ends them and removes their files. */
export async function startFederatingProcesses(
  count: number,
  config: Record<string, unknown> = {},
): Promise<{ nodes: HearthNode[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-fed-'));
  const ca = createLocalCa({ commonName: 'Hearth federation test CA' });
  const caFiles = writePemPair(dir, 'ca', ca);
  const base = await freePortRun(count);
  const nodes: HearthNode[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const port = base + i;
      const serverName = `localhost:${port}`;
      const configPath = join(dir, `hs${port}`, 'homeserver.yaml');
      generateConfig({ serverName, configPath, port, random: systemRandom });
      const tls = writePemPair(join(dir, `hs${port}`), 'tls', ca.issue(['localhost', '127.0.0.1']));
      const doc = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
      Object.assign(doc, localFederationConfig({ port, ...tls, caPath: caFiles.certPath }), {
        enable_registration: true,
        enable_registration_without_verification: true,
        log_level: 'warn',
        bcrypt_rounds: 4,
        ...config,
      });
      writeFileSync(configPath, stringify(doc));
      const process = startHearth(['serve', '--config', configPath]);
      nodes.push(node(serverName, port, process, ca.cert));
    }
    for (const n of nodes) await ready(n);
  } catch (err) {
    await stopAll(nodes);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes,
    async stop() {
      await stopAll(nodes);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stopAll(nodes: HearthNode[]): Promise<void> {
  for (const n of nodes) n.process.child.kill('SIGTERM');
  await Promise.all(nodes.map((n) => n.process.exited));
}

async function ready(n: HearthNode): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await n.call('GET', '/_matrix/client/versions')).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${n.serverName} did not start: ${n.process.stderr()}${n.process.stdout()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function node(serverName: string, port: number, process: HearthProcess, ca: string): HearthNode {
  const call: HearthNode['call'] = (method, path, opts = {}) =>
    new Promise((resolve, reject) => {
      const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      const headers: Record<string, string> = {};
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (payload !== undefined) headers['content-type'] = 'application/json';
      const req = request({ host: 'localhost', port, path, method, headers, ca }, (res) => {
        let data = '';
        res.setEncoding('utf8').on('data', (d: string) => (data += d));
        res.on('end', () => {
          let body: Loose = {};
          try {
            body = data ? (JSON.parse(data) as Loose) : {};
          } catch {
            body = { raw: data };
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  return {
    serverName,
    port,
    process,
    call,
    async register(localpart) {
      const password = 'a long password for the test';
      const first = await call('POST', '/_matrix/client/v3/register', {
        body: { username: localpart, password },
      });
      const res = await call('POST', '/_matrix/client/v3/register', {
        body: {
          username: localpart,
          password,
          auth: { type: 'm.login.dummy', session: first.body.session },
        },
      });
      if (res.status !== 200) throw new Error(`register ${localpart}: ${JSON.stringify(res.body)}`);
      return {
        userId: res.body.user_id as string,
        token: res.body.access_token as string,
        deviceId: res.body.device_id as string,
      };
    },
  };
}
