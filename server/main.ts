import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { buildApp } from './app.js';
import { attachLogRing, LogRing } from './admin/log-ring.js';
import { createContext, type Ctx, type CtxHandle } from './context.js';
import { loadConfigFile } from './core/config/load.js';
import { createLogger, type LogLevel, type Logger } from './core/logger.js';
import { prettyDestination } from './core/log-pretty.js';
import { startListeners, type BoundAddress, type RunningListeners } from './http/listeners.js';
import { keyServerWarning } from './federation/keys/key-server-warning.js';
import { isFederationPaused, setFederationPaused } from './federation/pause.js';
import { FederationSender } from './federation/sender/sender.js';
import type { HttpApp } from './http/http-app.js';
import { announceSetup } from './setup/announce.js';
import { startPortMapping } from './net/upnp/port-mapping.js';
import { endStartupTiering } from './core/startup-tiering.js';

export interface RunningServer {
  addresses: BoundAddress[];
  log: Logger;
  /** Stops taking requests, lets the writer finish, closes the database. */
  close(): Promise<void>;
  /**
   * The machine woke from sleep (the desktop shell calls this on resume): contact every
   * server that shares a room with this one and send what they missed. A headless server
   * notices a sleep by itself (watchForSleep).
   */
  resume(): void;
  /** The tray's "Pause federation" (server/federation/pause.ts). */
  setFederationPaused(paused: boolean): void;
}

/** How often the sleep watch ticks, and how late a tick must be to mean the machine slept. */
const SLEEP_TICK_MS = 10_000;
const SLEEP_GAP_MS = 30_000;

/**
 * Calls `onWake` when a timer fires much later than it should: the process was suspended
 * (the laptop slept), so other servers may have backed off from this one meanwhile.
 */
function watchForSleep(onWake: (sleptMs: number) => void): () => void {
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const late = now - last - SLEEP_TICK_MS;
    last = now;
    if (late > SLEEP_GAP_MS) onWake(late);
  }, SLEEP_TICK_MS);
  timer.unref();
  return () => clearInterval(timer);
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
  const logRing = new LogRing();
  const log = createLogger(
    opts.logLevel ?? config.logLevel,
    process.stdout.isTTY ? prettyDestination(process.stdout) : undefined,
    (line) => logRing.push(line),
  );
  attachLogRing(log, logRing);
  for (const w of warnings) log.warn(w);
  const keyWarning = keyServerWarning(config);
  if (keyWarning) log.warn(keyWarning);
  if (config.pidFile && existsSync(config.pidFile)) {
    const pid = Number(readFileSync(config.pidFile, 'utf8').trim());
    if (pid && isAlive(pid))
      throw new Error(`Hearth is already running (pid ${pid}, from ${config.pidFile})`);
  }
  // The context and app are replaced when the setup wizard applies new settings
  // (reloadConfig below); the listeners stay bound to `front`, which asks the current app.
  // Whatever needs the context later reads `handle.ctx` when it runs, never a copy.
  let handle: CtxHandle = createContext({ config, log });
  let app = buildApp(handle.ctx);
  const front: HttpApp = { handle: (req, res) => app.handle(req, res), close: () => app.close() };
  // The ACME certificate (acme.enabled): a stored one is loaded now for the TLS listeners;
  // issuing and renewing run in the background and never hold up start-up. Loaded only then.
  let certificates = config.acme.enabled
    ? (await import('./net/acme/manager.js')).startCertificateManager(handle.ctx)
    : null;
  let listeners: RunningListeners;
  try {
    listeners = await startListeners(front, config, log, { certificates });
  } catch (err) {
    await certificates?.close();
    await app.close();
    await handle.close();
    throw err;
  }
  // Sends what other servers missed and tells each server sharing a room that this one is
  // back (a home machine sleeps); not awaited: it finishes once every server was tried.
  const startSender = (ctx: Ctx) => {
    const s = new FederationSender(ctx, { client: ctx.federation });
    s.start().catch((err: unknown) => log.error({ err }, 'the federation sender failed to start'));
    return s;
  };
  let sender = startSender(handle.ctx);
  /** Listeners bound later, by a reload whose settings added them. */
  const added: RunningListeners[] = [];
  // Asks the router to forward the federation port (port_mapping:), in the background.
  let portMapper = await startPortMapping(handle.ctx);
  /**
   * Re-reads the config file and swaps in a new context and app built on it; requests from
   * now on go to them. The old app finishes what it is answering (the apply request that
   * asked for this among them), then its database connections close.
   */
  const reloadConfig = async (): Promise<Ctx> => {
    const { config: nextConfig, warnings: nextWarnings } = loadConfigFile(opts.configPath);
    for (const w of nextWarnings) log.warn(w);
    const nextHandle = createContext({ config: nextConfig, log, replacing: handle.ctx });
    nextHandle.ctx.reloadConfig = reloadConfig;
    if (isFederationPaused(handle.ctx)) setFederationPaused(nextHandle.ctx, true);
    const old = { handle, app, sender };
    handle = nextHandle;
    app = buildApp(nextHandle.ctx);
    // What the new settings turn on that needs starting (the setup wizard's automatic
    // network set-up): the certificate manager, and listeners on ports not bound yet.
    // Listeners already bound stay as they are until the next start.
    if (!certificates && nextConfig.acme.enabled) {
      certificates = (await import('./net/acme/manager.js')).startCertificateManager(
        nextHandle.ctx,
      );
    } else certificates?.adopt(nextHandle.ctx);
    const bound = new Set(
      [...listeners.addresses, ...added.flatMap((l) => l.addresses)].map((a) => a.port),
    );
    const newListeners = nextConfig.listeners.filter((l) => l.port !== 0 && !bound.has(l.port));
    if (newListeners.length) {
      try {
        added.push(
          await startListeners(front, { ...nextConfig, listeners: newListeners }, log, {
            certificates,
          }),
        );
      } catch (err) {
        log.error({ err }, 'a listener of the new settings could not be bound; restart to retry');
      }
    }
    await old.sender.stop();
    sender = startSender(nextHandle.ctx);
    await portMapper?.close();
    portMapper = await startPortMapping(nextHandle.ctx);
    void old.app
      .close()
      .then(() => old.handle.close())
      .catch((err: unknown) => log.error({ err }, 'closing the replaced context failed'));
    log.info({ serverName: nextConfig.serverName }, 'settings applied from the config file');
    return nextHandle.ctx;
  };
  handle.ctx.reloadConfig = reloadConfig;
  const wake = () => {
    sender.wake().catch((err: unknown) => log.error({ err }, 'the federation wake-up failed'));
    // After a sleep the network may be another one, and the router may have dropped leases.
    portMapper?.resume();
    certificates?.recheck();
  };
  const stopWatching = watchForSleep((sleptMs) => {
    log.info({ sleptMs }, 'the machine slept: telling the other servers this one is back');
    wake();
  });
  if (config.pidFile) writeFileSync(config.pidFile, `${process.pid}\n`);
  await announceSetup(handle.ctx, listeners.addresses);
  log.info(
    { serverName: config.serverName, publicBaseUrl: config.publicBaseUrl },
    'Hearth is ready',
  );
  endStartupTiering();
  let closing: Promise<void> | null = null;
  return {
    addresses: listeners.addresses,
    log,
    resume: wake,
    setFederationPaused: (paused) => setFederationPaused(handle.ctx, paused),
    close() {
      closing ??= (async () => {
        log.info('shutting down');
        stopWatching();
        // Before the listeners close: no new connection comes through the router meanwhile.
        await portMapper?.close();
        await listeners.close();
        for (const l of added) await l.close();
        await certificates?.close();
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
