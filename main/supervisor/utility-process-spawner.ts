import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { ChildExit, ChildSpec, Spawner, SupervisedChild } from './spawner.js';

/**
 * The parts of Electron's UtilityProcess the supervisor uses, typed here so that this module
 * (and anything a test loads) never imports electron. main/ passes `utilityProcess.fork`.
 */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  readonly stdout: Readable | NodeJS.ReadableStream | null;
  readonly stderr: Readable | NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

export type UtilityFork = (
  modulePath: string,
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    execArgv?: string[];
    stdio: 'pipe';
    serviceName: string;
  },
) => UtilityProcessLike;

/**
 * The utilityProcess spawner for main/: `utilityProcessSpawner(utilityProcess.fork)`.
 *
 * - A graceful stop is the `shutdown` message, on every platform: a utility process on
 *   Windows cannot receive SIGTERM (kill() terminates it outright), and one path everywhere
 *   is one path tested (`hearth serve` takes the message as it takes SIGTERM).
 * - kill() sends SIGKILL by pid, since utilityProcess.kill() sends SIGTERM on POSIX, which a
 *   stopped or wedged process never acts on; Node maps SIGKILL to TerminateProcess on Windows.
 * - Its 'exit' event gives a code and no signal, so `signal` is always null here.
 */
export function utilityProcessSpawner(fork: UtilityFork): Spawner {
  return {
    spawn(spec: ChildSpec): SupervisedChild {
      const child = fork(spec.modulePath, spec.args, {
        env: spec.env,
        cwd: spec.cwd,
        execArgv: spec.execArgv ?? [],
        stdio: 'pipe',
        serviceName: 'Hearth homeserver',
      });
      const lineListeners: ((stream: 'stdout' | 'stderr', line: string) => void)[] = [];
      const readers: Promise<void>[] = [];
      for (const [name, stream] of [
        ['stdout', child.stdout],
        ['stderr', child.stderr],
      ] as const) {
        if (!stream) continue;
        const rl = createInterface({ input: stream, crlfDelay: Infinity });
        rl.on('line', (line) => {
          for (const l of lineListeners) l(name, line);
        });
        readers.push(new Promise((resolve) => rl.once('close', resolve)));
      }
      const exited = new Promise<ChildExit>((resolve) => {
        child.on('exit', (code) => {
          // The last lines explain a crash; but never wait long for pipes to close.
          const drained = Promise.race([
            Promise.all(readers),
            new Promise((r) => setTimeout(r, 1_000)),
          ]);
          void drained.then(() => resolve({ code, signal: null }));
        });
      });
      let stopRequested = false;
      return {
        // utilityProcess knows its pid only from its 'spawn' event on.
        get pid() {
          return child.pid;
        },
        exited,
        requestStop() {
          if (stopRequested) return;
          stopRequested = true;
          child.postMessage({ type: 'shutdown' });
        },
        kill() {
          try {
            if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
            else child.kill();
          } catch {
            child.kill();
          }
        },
        send(message) {
          try {
            child.postMessage(message);
            return true;
          } catch {
            return false;
          }
        },
        onMessage(listener) {
          child.on('message', listener);
        },
        onLine(listener) {
          lineListeners.push(listener);
        },
      };
    },
  };
}
