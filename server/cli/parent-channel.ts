import type { BoundAddress } from '../http/listeners.js';

/**
 * The message channel between `hearth serve` and a supervisor that started it: the desktop
 * shell (Electron's utilityProcess, `process.parentPort`) or a Node parent that forked it
 * with an IPC channel (`process.send`). Without either, `hearth serve` runs as before.
 *
 * Messages, all plain JSON:
 * - to the supervisor: `{ type: 'ready', addresses }` once every listener is bound;
 * - from the supervisor: `{ type: 'shutdown' }`, which stops the server as SIGTERM does
 *   (a utility process on Windows has no signals to receive); `{ type: 'resume' }` when the
 *   machine woke from sleep (Electron's powerMonitor sees it first); `{ type: 'federation',
 *   paused }` for the tray's "Pause federation".
 */

/** What the supervisor may ask of a running server besides stopping. */
export interface SupervisorCommands {
  resume?(): void;
  setFederationPaused?(paused: boolean): void;
}

export interface ReadyMessage {
  type: 'ready';
  addresses: BoundAddress[];
}

/** Electron's `process.parentPort` in a utility process (typed here: server/ knows no Electron). */
interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
  off(event: 'message', listener: (e: { data: unknown }) => void): unknown;
}

function isShutdown(msg: unknown): boolean {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'shutdown';
}

/** Runs a command message; anything unknown or malformed is ignored. */
function runCommand(msg: unknown, commands: SupervisorCommands): void {
  if (typeof msg !== 'object' || msg === null) return;
  const m = msg as { type?: unknown; paused?: unknown };
  if (m.type === 'resume') commands.resume?.();
  else if (m.type === 'federation' && typeof m.paused === 'boolean') {
    commands.setFederationPaused?.(m.paused);
  }
}

/**
 * Tells the supervisor, if there is one, that the server is ready, and calls `onStop` when
 * it asks for a shutdown or (Node IPC) when the supervisor goes away, so an orphaned server
 * still flushes and closes. Returns a function that detaches, so the channel no longer
 * keeps the process alive once the server has closed.
 */
export function connectSupervisor(
  addresses: BoundAddress[],
  onStop: (why: string) => void,
  commands: SupervisorCommands = {},
): () => void {
  const parentPort = (process as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    const listener = (e: { data: unknown }) => {
      if (isShutdown(e.data)) onStop('shutdown message');
      else runCommand(e.data, commands);
    };
    parentPort.on('message', listener);
    parentPort.postMessage({ type: 'ready', addresses } satisfies ReadyMessage);
    return () => parentPort.off('message', listener);
  }
  if (process.send && process.connected) {
    const onMessage = (msg: unknown) => {
      if (isShutdown(msg)) onStop('shutdown message');
      else runCommand(msg, commands);
    };
    const onDisconnect = () => onStop('supervisor disconnected');
    process.on('message', onMessage);
    process.on('disconnect', onDisconnect);
    // With a callback, a supervisor that died meanwhile is an ignored error, not a crash.
    process.send(
      { type: 'ready', addresses } satisfies ReadyMessage,
      undefined,
      undefined,
      () => {},
    );
    // Removing the listeners lets the IPC channel stop holding the event loop open.
    return () => {
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
    };
  }
  return () => {};
}
