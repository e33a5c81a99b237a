import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { parse } from 'yaml';
import { startHeadless, type HeadlessSupervision } from '../../../main/supervisor/headless.js';
import type { SupervisorState } from '../../../main/supervisor/state.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { ensureBuiltWithSupervisorChannel } from './ensure-build.js';

/**
 * The desktop app's supervision under plain Node: the first run writes homeserver.yaml in the
 * app-data folder, the server starts from it, and the shutdown message (what utilityProcess
 * sends on every platform) stops it cleanly.
 */

const tmp = mkdtempSync(join(tmpdir(), 'hearth-headless-'));
let run: HeadlessSupervision | null = null;

beforeAll(() => ensureBuiltWithSupervisorChannel(), 120_000);

afterEach(async () => {
  await run?.supervisor.stop();
  run = null;
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function runningState(run: HeadlessSupervision): Promise<SupervisorState> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(JSON.stringify(run.supervisor.snapshot()))),
      20_000,
    );
    const check = (s: SupervisorState) => {
      if (s.status === 'running' || s.status === 'crashed') {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    };
    const off = run.supervisor.onState(check);
    check(run.supervisor.snapshot());
  });
}

test('first run: homeserver.yaml in $XDG_CONFIG_HOME/Hearth/homeserver, served, stopped by message', async () => {
  const env = { ...process.env, XDG_CONFIG_HOME: join(tmp, 'config') };
  run = startHeadless({
    platform: 'linux',
    env,
    home: join(tmp, 'home'),
    port: 0,
    stopBy: 'message',
    supervisor: { readyPollMs: 50 },
  });
  expect(run.created).toBe(true);
  expect(run.configPath).toBe(join(tmp, 'config', 'Hearth', 'homeserver', 'homeserver.yaml'));
  const state = await runningState(run);
  expect(state.status, JSON.stringify(state)).toBe('running');
  // The server runs with the Node flags of bin/node-flags.json, as `hearth` and `npm start`.
  const pid = state.status === 'running' ? state.pid : undefined;
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const flags = JSON.parse(readFileSync(join(REPO_ROOT, 'bin', 'node-flags.json'), 'utf8'));
  expect(flags.length).toBeGreaterThan(0);
  expect(argv.slice(1, 1 + flags.length)).toEqual(flags);

  expect(await run.supervisor.stop()).toEqual({ code: 0, signal: null, forced: false });
  // The database is in the same folder, and the pid file is gone after a clean stop.
  const c = parse(readFileSync(run.configPath, 'utf8')) as { pid_file: string };
  expect(existsSync(join(run.dir, 'homeserver.db'))).toBe(true);
  expect(existsSync(join(run.dir, c.pid_file))).toBe(false);

  // The second run keeps the config it wrote.
  const before = readFileSync(run.configPath, 'utf8');
  run = startHeadless({ platform: 'linux', env, home: join(tmp, 'home'), port: 0 });
  expect(run.created).toBe(false);
  expect(readFileSync(run.configPath, 'utf8')).toBe(before);
  expect((await runningState(run)).status).toBe('running');
});
