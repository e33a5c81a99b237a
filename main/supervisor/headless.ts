import { homedir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../server/paths.js';
import { serverNodeFlags } from './node-flags.js';
import { appDataDir, homeserverDir } from './app-data.js';
import { childProcessSpawner } from './child-process-spawner.js';
import { ensureHomeserverConfig } from './first-run.js';
import { Supervisor, type SupervisorOptions } from './supervisor.js';

export interface HeadlessSupervision {
  supervisor: Supervisor;
  /** The homeserver's folder under the app-data folder (as the desktop app uses). */
  dir: string;
  configPath: string;
  /** True on the first run, when homeserver.yaml was written. */
  created: boolean;
}

/**
 * The desktop app's supervision without Electron: the same data folder, the same first-run
 * config, the same Supervisor, with node:child_process running `bin/hearth.js serve`.
 * Started before returning; the caller stops it (on SIGINT, at the end of a test).
 */
export function startHeadless(
  opts: {
    platform?: NodeJS.Platform;
    env?: Record<string, string | undefined>;
    home?: string;
    /** The port of a first-run config (default 8008, as generate-config). */
    port?: number;
    supervisor?: Partial<Omit<SupervisorOptions, 'spawner' | 'child'>>;
    stopBy?: 'signal' | 'message';
  } = {},
): HeadlessSupervision {
  const env = opts.env ?? process.env;
  const dir = homeserverDir(
    appDataDir({
      platform: opts.platform ?? process.platform,
      env,
      home: opts.home ?? homedir(),
    }),
  );
  const { configPath, created } = ensureHomeserverConfig({ dir, port: opts.port });
  const supervisor = new Supervisor({
    ...opts.supervisor,
    spawner: childProcessSpawner({ stopBy: opts.stopBy ?? 'signal' }),
    child: {
      modulePath: join(packageRoot(), 'bin', 'hearth.js'),
      execArgv: serverNodeFlags(packageRoot()),
      args: ['serve', '--config', configPath],
      cwd: dir,
      env,
    },
  });
  supervisor.start();
  return { supervisor, dir, configPath, created };
}
