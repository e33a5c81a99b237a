import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensureHomeserverConfig } from '../../../main/supervisor/first-run.js';
import type { SupervisorState } from '../../../main/supervisor/state.js';
import { serverNodeFlags } from '../../../main/supervisor/node-flags.js';
import { Supervisor } from '../../../main/supervisor/supervisor.js';
import {
  utilityProcessSpawner,
  type UtilityFork,
} from '../../../main/supervisor/utility-process-spawner.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { ensureBuiltWithSupervisorChannel } from './ensure-build.js';

/**
 * The utilityProcess spawner main/ uses, driven here by a stand-in for Electron's
 * utilityProcess.fork built on node:child_process, with the child given Electron's
 * `process.parentPort` (fake-parent-port.mjs). Electron itself cannot run on this machine;
 * this proves both ends of the message protocol (ready, shutdown) and the kill by pid.
 */

const SHIM = fileURLToPath(new URL('./fake-parent-port.mjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'hearth-utility-'));
let sup: Supervisor | null = null;
let configPath: string;

/** Electron's UtilityProcess shape: 'exit' with a code only, postMessage, kill(). */
const fakeUtilityFork: UtilityFork = (modulePath, args, options) => {
  const cp = fork(modulePath, args, {
    env: options.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Electron puts the options' execArgv before the module, as fork does.
    execArgv: ['--import', SHIM, ...(options.execArgv ?? [])],
  });
  return {
    get pid() {
      return cp.pid;
    },
    stdout: cp.stdout,
    stderr: cp.stderr,
    postMessage: (m: unknown) => void cp.send(m as object),
    kill: () => cp.kill('SIGTERM'),
    on(event: 'exit' | 'message', listener: (arg: never) => void) {
      if (event === 'exit') {
        cp.on('exit', (code) => (listener as (c: number) => void)(code ?? -1));
      } else {
        cp.on('message', listener as (m: unknown) => void);
      }
      return this;
    },
  };
};

beforeAll(() => {
  ensureBuiltWithSupervisorChannel();
  configPath = ensureHomeserverConfig({ dir: tmp, port: 0 }).configPath;
  const c = parse(readFileSync(configPath, 'utf8')) as { listeners: Record<string, unknown>[] };
  c.listeners[0]!.bind_addresses = ['127.0.0.1'];
  writeFileSync(configPath, stringify(c));
}, 120_000);

afterAll(async () => {
  await sup?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function waitFor(match: (s: SupervisorState) => boolean): Promise<SupervisorState> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(JSON.stringify(sup!.snapshot()))), 20_000);
    const off = sup!.onState((s) => {
      if (!match(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

test('ready through parentPort, hang killed by pid, shutdown message stops it with exit 0', async () => {
  sup = new Supervisor({
    spawner: utilityProcessSpawner(fakeUtilityFork),
    child: {
      modulePath: join(REPO_ROOT, 'bin/hearth.js'),
      execArgv: serverNodeFlags(REPO_ROOT),
      args: ['serve', '--config', configPath],
    },
    readyPollMs: 50,
    healthIntervalMs: 200,
    healthTimeoutMs: 500,
    maxHealthFailures: 2,
    policy: { initialDelayMs: 100, jitter: 0 },
  });
  const running = waitFor((s) => s.status === 'running');
  sup.start();
  const first = await running;
  if (first.status !== 'running') throw new Error('unreachable');
  // The spawner hands the spec's Node flags to utilityProcess.fork.
  const argv = readFileSync(`/proc/${first.pid}/cmdline`, 'utf8').split('\0');
  expect(argv).toEqual(expect.arrayContaining(serverNodeFlags(REPO_ROOT)));

  // SIGTERM (utilityProcess.kill on POSIX) would stay pending on a stopped process.
  const again = waitFor((s) => s.status === 'running');
  process.kill(first.pid!, 'SIGSTOP');
  const second = await again;
  if (second.status !== 'running') throw new Error('unreachable');
  expect(second.pid).not.toBe(first.pid);

  expect(await sup.stop()).toEqual({ code: 0, signal: null, forced: false });
});
