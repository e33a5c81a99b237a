import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { buildApp } from './app.js';
import { createContext } from './context.js';
import { loadConfigFile } from './core/config/load.js';
import { createLogger, type LogLevel, type Logger } from './core/logger.js';
import { prettyDestination } from './core/log-pretty.js';
import { startListeners, type BoundAddress } from './http/listeners.js';
import { keyServerWarning } from './federation/keys/key-server-warning.js';
import { FederationSender } from './federation/sender/sender.js';

export interface RunningServer {
  addresses: BoundAddress[];
  log: Logger;
  /** Stops taking requests, lets the writer finish, closes the database. */
  close(): Promise<void>;
}

/**
 * Starts the homeserver from a config file: load and check the config, open and migrate the
 * database, build the app, bind the listeners, write the pid file. Throws (with a message
 * for the person running it) when any of that fails.
 */
export async function startServer(opts: {
  configPath: string;
  logLevel?: LogLevel;
}): Promise<RunningServer> {
  const { config, warnings } = loadConfigFile(opts.configPath);
  // A person at a terminal gets readable lines; anything else gets JSON lines.
  const log = createLogger(
    opts.logLevel ?? config.logLevel,
    process.stdout.isTTY ? prettyDestination(process.stdout) : undefined,
  );
  for (const w of warnings) log.warn(w);
  const keyWarning = keyServerWarning(config);
  if (keyWarning) log.warn(keyWarning);
  if (config.pidFile && existsSync(config.pidFile)) {
    const pid = Number(readFileSync(config.pidFile, 'utf8').trim());
    if (pid && isAlive(pid))
      throw new Error(`Hearth is already running (pid ${pid}, from ${config.pidFile})`);
  }
  const handle = createContext({ config, log });
  const app = buildApp(handle.ctx);
  let listeners;
  try {
    listeners = await startListeners(app, config, log);
  } catch (err) {
    await app.close();
    await handle.close();
    throw err;
  }
  // Sends what other servers missed and tells each server sharing a room that this one is
  // back (a home machine sleeps); not awaited: it finishes once every server was tried.
  const sender = new FederationSender(handle.ctx, { client: handle.ctx.federation });
  sender
    .start()
    .catch((err: unknown) => log.error({ err }, 'the federation sender failed to start'));
  if (config.pidFile) writeFileSync(config.pidFile, `${process.pid}\n`);
  log.info(
    { serverName: config.serverName, publicBaseUrl: config.publicBaseUrl },
    'Hearth is ready',
  );
  let closing: Promise<void> | null = null;
  return {
    addresses: listeners.addresses,
    log,
    close() {
      closing ??= (async () => {
        log.info('shutting down');
        await listeners.close();
        // In-flight transactions are abandoned; what they held stays queued for next time.
        await sender.stop();
        await app.close();
        await handle.close();
        if (config.pidFile) rmSync(config.pidFile, { force: true });
        log.info('stopped');
        log.flush();
      })();
      return closing;
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return pid !== process.pid;
  } catch {
    return false;
  }
}
