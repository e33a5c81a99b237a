import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { ChildExit, ChildSpec, Spawner, SupervisedChild } from './spawner.js';

/**
 * The node:child_process spawner, for tests and for running the supervisor under plain
 * Node: `fork` with an IPC channel, so `hearth serve` can say it is ready and take a
 * `shutdown` message, as it does under Electron's utilityProcess.
 */
export function childProcessSpawner(
  opts: {
    /** Flags put before each child spec's own (a test's --import, say). */
    execArgv?: string[];
    /** How requestStop() asks: SIGTERM, or the `shutdown` message utilityProcess uses. */
    stopBy?: 'signal' | 'message';
  } = {},
): Spawner {
  return {
    spawn(spec: ChildSpec): SupervisedChild {
      const child = fork(spec.modulePath, spec.args, {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        execArgv: [...(opts.execArgv ?? []), ...(spec.execArgv ?? [])],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // Its own process group on POSIX: a Ctrl+C at the terminal reaches the supervisor,
        // which stops the child once, instead of the child taking SIGINT then SIGTERM
        // (which it reads as "exit now"). If the supervisor dies, the child sees its IPC
        // channel close and stops itself.
        detached: process.platform !== 'win32',
      });
      return wrap(child, opts.stopBy ?? 'signal');
    },
  };
}

function wrap(child: ChildProcess, stopBy: 'signal' | 'message'): SupervisedChild {
  const lineListeners: ((stream: 'stdout' | 'stderr', line: string) => void)[] = [];
  const readers: Promise<void>[] = [];
  const read = (stream: Readable | null, name: 'stdout' | 'stderr') => {
    if (!stream) return;
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', (line) => {
      for (const l of lineListeners) l(name, line);
    });
    readers.push(new Promise((resolve) => rl.once('close', resolve)));
  };
  read(child.stdout, 'stdout');
  read(child.stderr, 'stderr');

  const exited = new Promise<ChildExit>((resolve) => {
    let spawnError: string | undefined;
    child.on('error', (err) => {
      spawnError = err.message;
      // A child that never started emits no 'exit'.
      if (child.pid === undefined) resolve({ code: null, signal: null, error: spawnError });
    });
    child.once('exit', (code, signal) => {
      // Wait for the last lines (a crash message is often the very last thing written).
      void Promise.all(readers).then(() =>
        resolve({ code, signal, ...(spawnError ? { error: spawnError } : {}) }),
      );
    });
  });

  let stopRequested = false;
  return {
    pid: child.pid,
    exited,
    requestStop() {
      if (stopRequested) return;
      stopRequested = true;
      if (stopBy === 'message' && child.connected) child.send({ type: 'shutdown' });
      else child.kill('SIGTERM');
    },
    kill() {
      child.kill('SIGKILL');
    },
    send(message) {
      if (!child.connected) return false;
      // With a callback, a channel that closed meanwhile is an ignored error, not a crash.
      return child.send(message as object, undefined, undefined, () => {});
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onLine(listener) {
      lineListeners.push(listener);
    },
  };
}
