import type { BoundAddress } from '../http/listeners.js';

/**
 * The message channel between `hearth serve` and a supervisor that started it: the desktop
 * shell (Electron's utilityProcess, `process.parentPort`) or a Node parent that forked it
 * with an IPC channel (`process.send`). Without either, `hearth serve` runs as before.
 *
 * Messages, all plain JSON:
 * - to the supervisor: `{ type: 'ready', addresses }` once every listener is bound;
 * - from the supervisor: `{ type: 'shutdown' }`, which stops the server as SIGTERM does
 *   (a utility process on Windows has no signals to receive).
 */

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

/**
 * Tells the supervisor, if there is one, that the server is ready, and calls `onStop` when
 * it asks for a shutdown or (Node IPC) when the supervisor goes away, so an orphaned server
 * still flushes and closes. Returns a function that detaches, so the channel no longer
 * keeps the process alive once the server has closed.
 */
export function connectSupervisor(
  addresses: BoundAddress[],
  onStop: (why: string) => void,
): () => void {
  const parentPort = (process as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    const listener = (e: { data: unknown }) => {
      if (isShutdown(e.data)) onStop('shutdown message');
    };
    parentPort.on('message', listener);
    parentPort.postMessage({ type: 'ready', addresses } satisfies ReadyMessage);
    return () => parentPort.off('message', listener);
  }
  if (process.send && process.connected) {
    const onMessage = (msg: unknown) => {
      if (isShutdown(msg)) onStop('shutdown message');
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
