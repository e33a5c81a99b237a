import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { childProcessSpawner } from '../../../main/supervisor/child-process-spawner.js';
import { ensureHomeserverConfig } from '../../../main/supervisor/first-run.js';
import type { SupervisorState } from '../../../main/supervisor/state.js';
import { Supervisor, type SupervisorOptions } from '../../../main/supervisor/supervisor.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { ensureBuiltWithSupervisorChannel } from './ensure-build.js';

/**
 * The supervisor with real `hearth serve` processes (node bin/hearth.js on the built dist/),
 * started through the node:child_process spawner: the same code main/ runs with Electron's
 * utilityProcess. Timeouts are short so the file runs in seconds.
 */

let tmp: string;
let configPath: string;
const supervisors: Supervisor[] = [];
const pids = new Set<number>();

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hearth-desktop-'));
  ensureBuiltWithSupervisorChannel();
  // The first run writes homeserver.yaml with the generate-config logic; a second call keeps it.
  const first = ensureHomeserverConfig({ dir: join(tmp, 'hs'), port: 0 });
  expect(first.created).toBe(true);
  expect(ensureHomeserverConfig({ dir: join(tmp, 'hs'), port: 0 })).toEqual({
    configPath: first.configPath,
    created: false,
  });
  configPath = first.configPath;
  const c = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown> & {
    listeners: Record<string, unknown>[];
  };
  c.listeners[0]!.bind_addresses = ['127.0.0.1'];
  c.enable_registration = true;
  c.enable_registration_without_verification = true;
  writeFileSync(configPath, stringify(c));
}, 120_000);

afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()));
  // A child left behind by a failed test (stopped ones need SIGCONT to see nothing else).
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A supervisor of `hearth serve --config FILE`, recording every state it reports. */
function supervise(
  config: string,
  opts: Partial<SupervisorOptions> = {},
): { sup: Supervisor; states: SupervisorState[] } {
  const sup = new Supervisor({
    spawner: childProcessSpawner(),
    child: { modulePath: join(REPO_ROOT, 'bin/hearth.js'), args: ['serve', '--config', config] },
    startTimeoutMs: 15_000,
    // Health checks only where a test is about them: on a busy machine a tight deadline
    // could call a healthy server hung and add states the other tests do not expect.
    healthIntervalMs: 60_000,
    healthTimeoutMs: 1_000,
    maxHealthFailures: 2,
    stopTimeoutMs: 10_000,
    readyPollMs: 50,
    ...opts,
    policy: { initialDelayMs: 200, jitter: 0, ...opts.policy },
  });
  const states: SupervisorState[] = [];
  sup.onState((s) => {
    states.push(s);
    if ('pid' in s && s.pid) pids.add(s.pid);
  });
  supervisors.push(sup);
  return { sup, states };
}

/** Resolves with the first state (from now on) that `match` accepts. */
function waitFor(
  sup: Supervisor,
  match: (s: SupervisorState) => boolean,
  timeoutMs = 20_000,
): Promise<SupervisorState> {
  const now = sup.snapshot();
  if (match(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(`state not reached in ${timeoutMs} ms; now ${JSON.stringify(sup.snapshot())}`),
      );
    }, timeoutMs);
    const off = sup.onState((s) => {
      if (!match(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

type Running = Extract<SupervisorState, { status: 'running' }>;
const isRunning = (s: SupervisorState): s is Running => s.status === 'running';

describe('the supervisor with real hearth serve processes', () => {
  test('starts the server and reports running; after kill -9 restarts it with backoff', async () => {
    const { sup, states } = supervise(configPath);
    sup.start();
    const first = (await waitFor(sup, isRunning)) as Running;
    expect((await fetch(first.url)).status).toBe(200);

    process.kill(first.pid!, 'SIGKILL');
    const second = (await waitFor(sup, (s) => isRunning(s) && s.pid !== first.pid)) as Running;
    expect((await fetch(second.url)).status).toBe(200);

    expect(states.map((s) => s.status)).toEqual([
      'starting',
      'running',
      'restarting',
      'starting',
      'running',
    ]);
    const restarting = states[2] as Extract<SupervisorState, { status: 'restarting' }>;
    expect(restarting.after).toMatchObject({ reason: 'exited', signal: 'SIGKILL' });
    expect(restarting.inMs).toBe(200);
  });

  test('a server that exits at once is a crash loop: reported with stderr, then retry() starts it', async () => {
    const missing = join(tmp, 'later', 'homeserver.yaml');
    const { sup, states } = supervise(missing, {
      policy: { initialDelayMs: 50, maxCrashes: 3, crashWindowMs: 60_000 },
    });
    sup.start();
    const crashed = await waitFor(sup, (s) => s.status === 'crashed');
    if (crashed.status !== 'crashed') throw new Error('unreachable');
    expect(states.map((s) => s.status)).toEqual([
      'starting',
      'restarting',
      'starting',
      'restarting',
      'starting',
      'crashed',
    ]);
    // Backoff doubles between consecutive failures.
    expect(states.filter((s) => s.status === 'restarting').map((s) => s.inMs)).toEqual([50, 100]);
    expect(crashed.crash.exits).toHaveLength(3);
    expect(crashed.crash.exits.every((e) => e.code === 1 && e.reason === 'exited')).toBe(true);
    expect(crashed.crash.stderrTail.join('\n')).toContain('hearth:');
    expect(crashed.crash.message).toMatch(/stopped 3 times .* exit code 1/);

    // No more restarts until the person asks.
    await new Promise((r) => setTimeout(r, 500));
    expect(states).toHaveLength(6);

    // The person fixes the cause and retries.
    ensureHomeserverConfig({ dir: join(tmp, 'later'), port: 0 });
    const c = parse(readFileSync(missing, 'utf8')) as { listeners: Record<string, unknown>[] };
    c.listeners[0]!.bind_addresses = ['127.0.0.1'];
    writeFileSync(missing, stringify(c));
    sup.retry();
    await waitFor(sup, isRunning);
  });

  test('a hung server (SIGSTOP) is caught by health checks, killed and restarted', async () => {
    const { sup, states } = supervise(configPath, { healthIntervalMs: 200, healthTimeoutMs: 500 });
    sup.start();
    const first = (await waitFor(sup, isRunning)) as Running;
    process.kill(first.pid!, 'SIGSTOP');
    const second = (await waitFor(sup, (s) => isRunning(s) && s.pid !== first.pid)) as Running;
    expect((await fetch(second.url)).status).toBe(200);
    const restarting = states.find((s) => s.status === 'restarting');
    expect(restarting).toMatchObject({ after: { reason: 'hung', signal: 'SIGKILL' } });
  });

  test('stop() lets the server exit 0, and a message sent just before is in the database', async () => {
    const { sup, states } = supervise(configPath);
    sup.start();
    const { url } = (await waitFor(sup, isRunning)) as Running;
    const base = url.replace(/\/health$/, '');
    const call = async (method: string, path: string, body: unknown, token?: string) => {
      const res = await fetch(base + path, {
        method,
        headers: {
          'Content-Type': 'application/json',
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const password = 'a long password for the test';
    const username = `quitter${Date.now()}`;
    const uia = await call('POST', '/_matrix/client/v3/register', { username, password });
    const reg = await call('POST', '/_matrix/client/v3/register', {
      username,
      password,
      auth: { type: 'm.login.dummy', session: uia.body.session },
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    const token = reg.body.access_token as string;
    const room = await call('POST', '/_matrix/client/v3/createRoom', {}, token);
    const roomId = room.body.room_id as string;
    const sent = await call(
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`,
      { msgtype: 'm.text', body: 'the last words before quit' },
      token,
    );
    expect(sent.status).toBe(200);

    const result = await sup.stop();
    expect(result).toEqual({ code: 0, signal: null, forced: false });
    expect(states.map((s) => s.status).slice(-2)).toEqual(['stopping', 'stopped']);

    const c = parse(readFileSync(configPath, 'utf8')) as {
      database: { args: { database: string } };
    };
    const db = new Database(join(tmp, 'hs', c.database.args.database), { readonly: true });
    try {
      const row = db
        .prepare('SELECT room_id FROM events WHERE event_id = ?')
        .get(sent.body.event_id) as { room_id: string } | undefined;
      expect(row?.room_id).toBe(roomId);
    } finally {
      db.close();
    }
  });

  test('stop() kills a server that does not stop within the timeout, and says so', async () => {
    const { sup } = supervise(configPath, { stopTimeoutMs: 500 });
    sup.start();
    const { pid } = (await waitFor(sup, isRunning)) as Running;
    process.kill(pid!, 'SIGSTOP'); // SIGTERM stays pending on a stopped process
    const result = await sup.stop();
    expect(result).toEqual({ code: null, signal: 'SIGKILL', forced: true });
    expect(sup.snapshot()).toMatchObject({ status: 'stopped', lastStop: { forced: true } });
  });

  test('stop() during a restart backoff cancels the restart', async () => {
    const { sup, states } = supervise(join(tmp, 'nowhere', 'homeserver.yaml'), {
      policy: { initialDelayMs: 400 },
    });
    sup.start();
    await waitFor(sup, (s) => s.status === 'restarting');
    expect(await sup.stop()).toBeNull();
    await new Promise((r) => setTimeout(r, 700));
    expect(states.map((s) => s.status)).toEqual(['starting', 'restarting', 'stopped']);
  });

  test('a server whose supervisor dies (kill -9) stops by itself, cleanly', async () => {
    // A bare supervisor: forks hearth serve as the child_process spawner does, prints its pid.
    const script = `
      const { fork } = require('node:child_process');
      const c = fork(${JSON.stringify(join(REPO_ROOT, 'bin/hearth.js'))},
        ['serve', '--config', ${JSON.stringify(configPath)}],
        { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], detached: true });
      c.on('message', (m) => { if (m.type === 'ready') console.log(c.pid); });`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pidLine = await new Promise<string>((resolve) =>
      createInterface({ input: parent.stdout }).once('line', resolve),
    );
    const childPid = Number(pidLine);
    pids.add(childPid);
    const c = parse(readFileSync(configPath, 'utf8')) as { pid_file: string };
    const pidFile = join(tmp, 'hs', c.pid_file);
    expect(existsSync(pidFile)).toBe(true);

    parent.kill('SIGKILL');
    const alive = () => {
      try {
        process.kill(childPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 10_000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toBe(false);
    // The pid file goes last in the graceful close: it was not just killed.
    expect(existsSync(pidFile)).toBe(false);
  });
});

describe('commands to the running server (the tray)', () => {
  /** What another server gets from a federation request: 503 while paused, else 401. */
  const federationAnswer = async (url: string) =>
    (
      await fetch(new URL('/_matrix/federation/v1/query/profile?user_id=%40a%3Ab', url), {
        headers: { authorization: 'X-Matrix origin="other.test",key="ed25519:a",sig="x"' },
      })
    ).status;

  test('pause federation by message, and the choice kept in the environment across a restart', async () => {
    const env: Record<string, string | undefined> = { ...process.env };
    const { sup } = supervise(configPath, {
      child: {
        modulePath: join(REPO_ROOT, 'bin/hearth.js'),
        args: ['serve', '--config', configPath],
        env,
      },
    });
    expect(sup.send({ type: 'federation', paused: true })).toBe(false); // nothing running yet
    sup.start();
    const first = (await waitFor(sup, isRunning)) as Running;
    expect(await federationAnswer(first.url)).toBe(401);

    expect(sup.send({ type: 'federation', paused: true })).toBe(true);
    await expect.poll(() => federationAnswer(first.url)).toBe(503);
    // Malformed commands are ignored, not fatal.
    expect(sup.send({ type: 'federation', paused: 'yes' })).toBe(true);
    expect(sup.send('nonsense')).toBe(true);
    expect(sup.send({ type: 'resume' })).toBe(true);
    expect(sup.send({ type: 'federation', paused: false })).toBe(true);
    await expect.poll(() => federationAnswer(first.url)).toBe(401);

    // What main/ does: the environment carries the choice into the next start.
    env.HEARTH_FEDERATION_PAUSED = '1';
    process.kill(first.pid!, 'SIGKILL');
    const second = (await waitFor(sup, (s) => isRunning(s) && s.pid !== first.pid)) as Running;
    expect(await federationAnswer(second.url)).toBe(503);
  });
});
