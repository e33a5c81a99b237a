// Starting the servers under test: Hearth (through its CLI, as a user would) and the bare
// node:http baseline, both timed from spawn to the first 200 answer of GET /versions.
import { createHmac } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { runChild, spawnTracked, stop } from './procs.js';
import { HOST, cpuTimeMs, freePort, performance, request, requestJson, sleep } from './util.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'hearth.js');
export const VERSIONS_PATH = '/_matrix/client/versions';
const SERVER_NAME = 'bench.localhost';
const LIMITLESS = { per_second: 100000, burst_count: 100000 };

/**
 * Runs `hearth generate-config` once into `dir` and returns a template from which any
 * number of instances (config + signing key, no database yet) can be made.
 */
export async function generateTemplate(dir) {
  const configPath = join(dir, 'homeserver.yaml');
  await runChild([
    BIN,
    'generate-config',
    '--server-name',
    SERVER_NAME,
    '--config-path',
    configPath,
    '--data-dir',
    join(dir, 'data'),
  ]);
  const doc = YAML.parse(readFileSync(configPath, 'utf8'));
  const keyName = readdirSync(join(dir, 'data')).find((f) => f.endsWith('.signing.key'));
  if (!keyName) throw new Error(`generate-config wrote no signing key in ${dir}/data`);
  return { doc, keyFile: join(dir, 'data', keyName), keyName };
}

/** Every rc_* limit that the room benchmarks would run into, lifted. */
export const LIFTED_ROOM_LIMITS = {
  rc_message: LIMITLESS,
  rc_registration: LIMITLESS,
  rc_joins: { local: LIMITLESS, remote: LIMITLESS },
  rc_joins_per_room: LIMITLESS,
  rc_invites: { per_room: LIMITLESS, per_user: LIMITLESS, per_issuer: LIMITLESS },
  rc_room_creation: LIMITLESS,
};

/**
 * A Hearth instance in `dir` made from the template: loopback only, its own port, rate
 * limits on login lifted, no trusted key servers (nothing leaves the machine). `config`
 * keys are set over the generated config's (e.g. LIFTED_ROOM_LIMITS).
 */
export async function makeInstance(
  template,
  dir,
  { logLevel = 'warn', bcryptRounds, config = {} } = {},
) {
  mkdirSync(join(dir, 'data'), { recursive: true });
  copyFileSync(template.keyFile, join(dir, 'data', template.keyName));
  const port = await freePort();
  const doc = JSON.parse(JSON.stringify(template.doc));
  doc.listeners[0].port = port;
  doc.listeners[0].bind_addresses = [HOST];
  doc.log_level = logLevel;
  doc.rc_login = { address: LIMITLESS, account: LIMITLESS, failed_attempts: LIMITLESS };
  doc.trusted_key_servers = [];
  if (bcryptRounds !== undefined) doc.bcrypt_rounds = bcryptRounds;
  Object.assign(doc, config);
  const configPath = join(dir, 'homeserver.yaml');
  writeFileSync(configPath, YAML.stringify(doc), { mode: 0o600 });
  return {
    dir,
    configPath,
    port,
    secret: doc.registration_shared_secret,
    pidFile: doc.pid_file ? resolve(dir, doc.pid_file) : undefined,
    dbFile: resolve(dir, doc.database.args.database),
    bcryptRounds: doc.bcrypt_rounds ?? 12,
  };
}

/**
 * Polls GET /versions on `port` (a fresh connection each time, `pollMs` apart) until it
 * answers 200; returns the milliseconds since `t0`. Throws if the child exits first or after
 * `timeoutMs`.
 */
async function pollReady(child, port, t0, { pollMs = 5, timeoutMs = 30_000 } = {}) {
  const deadline = t0 + timeoutMs;
  for (let attempt = 0; attempt < Math.ceil(timeoutMs / pollMs) + 1; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null || child.spawnError) {
      throw new Error(
        `server exited (${child.exitCode ?? child.signalCode}) before answering: ${child.output.stderr.slice(-2000)}${child.output.stdout.slice(-2000)}`,
      );
    }
    try {
      const res = await request(port, VERSIONS_PATH, { timeoutMs: 2000 });
      if (res.status === 200) {
        const ms = performance.now() - t0;
        return { ms, cpuMs: cpuTimeMs(child.pid), body: res.body };
      }
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) break;
    await sleep(pollMs);
  }
  throw new Error(`no 200 from ${VERSIONS_PATH} on port ${port} within ${timeoutMs} ms`);
}

/** The Node flags the `hearth` command and `npm start` run the server with (bin/hearth.js). */
const NODE_FLAGS = JSON.parse(readFileSync(join(ROOT, 'bin', 'node-flags.json'), 'utf8'));

/**
 * Spawns `node [the server's flags] [nodeArgs] bin/hearth.js serve --config ...` (nodeArgs:
 * e.g. --cpu-prof), as the `hearth` command runs it, and waits for the first 200 of /versions.
 * Resolves with { child, ms, cpuMs (CPU time the server had used by then), body,
 * epochAtSpawn, logs } where logs maps a log message ("listening",
 * "Hearth is ready", "database schema migrated") to its epoch-ms time (only the messages at
 * the configured log level show up).
 */
export async function startHearth(instance, { nodeArgs = [], ...opts } = {}) {
  if (instance.pidFile && existsSync(instance.pidFile)) rmSync(instance.pidFile, { force: true });
  const logs = {};
  const onLine = (line) => {
    try {
      const rec = JSON.parse(line);
      if (rec && typeof rec.msg === 'string' && !(rec.msg in logs)) logs[rec.msg] = rec.time;
    } catch {
      // not a JSON log line
    }
  };
  const epochAtSpawn = Date.now();
  const t0 = performance.now();
  const args = [...NODE_FLAGS, ...nodeArgs, BIN, 'serve', '--config', instance.configPath];
  const child = spawnTracked(process.execPath, args, {
    cwd: instance.dir,
    onLine,
  });
  try {
    const { ms, cpuMs, body } = await pollReady(child, instance.port, t0, opts);
    return { child, ms, cpuMs, body, epochAtSpawn, logs };
  } catch (err) {
    await stop(child, 2000);
    throw err;
  }
}

/**
 * The baseline server: bare node:http in a `node -e` script, answering GET /versions with
 * `body` (Hearth's own answer) and 404 to anything else.
 */
const BARE_SERVER = `const http = require('node:http');
const body = process.env.BENCH_BODY;
const len = Buffer.byteLength(body);
http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === ${JSON.stringify(VERSIONS_PATH)}) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': len });
    res.end(body);
  } else {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"errcode":"M_UNRECOGNIZED"}');
  }
}).listen(Number(process.env.BENCH_PORT), ${JSON.stringify(HOST)});`;

export async function startBare(body, opts = {}) {
  return startBaseline(['-e', BARE_SERVER], { ...opts, env: { BENCH_BODY: body } });
}

/**
 * Spawns a baseline server, `node ...args` with BENCH_PORT (and `env`) in its environment,
 * and waits for the first 200 of GET /versions, which every baseline answers.
 */
export async function startBaseline(args, { port, env = {}, ...opts } = {}) {
  const p = port ?? (await freePort());
  const t0 = performance.now();
  const child = spawnTracked(process.execPath, args, { env: { ...env, BENCH_PORT: String(p) } });
  try {
    const res = await pollReady(child, p, t0, opts);
    return { child, ms: res.ms, cpuMs: res.cpuMs, port: p };
  } catch (err) {
    await stop(child, 2000);
    throw err;
  }
}

/** Registers a user through /_synapse/admin/v1/register (shared secret, as Synapse's tool). */
export async function registerUser(instance, username, password) {
  const path = '/_synapse/admin/v1/register';
  const { nonce } = await requestJson(instance.port, path);
  const mac = createHmac('sha1', instance.secret)
    .update([nonce, username, password, 'notadmin'].join('\x00'))
    .digest('hex');
  return requestJson(instance.port, path, {
    method: 'POST',
    body: { nonce, username, password, admin: false, mac },
    timeoutMs: 60_000,
  });
}

export function loginBody(username, password) {
  return { type: 'm.login.password', identifier: { type: 'm.id.user', user: username }, password };
}

/** The bcrypt cost actually stored for a user (read from the password hash in the database). */
export async function storedBcryptCost(instance, userId) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(instance.dbFile, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT password_hash FROM users WHERE user_id = ?').get(userId);
    const m = /^\$2[aby]\$(\d+)\$/.exec(row?.password_hash ?? '');
    return m ? Number(m[1]) : NaN;
  } finally {
    db.close();
  }
}
