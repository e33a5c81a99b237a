/**
 * The seam between the supervisor and the process it supervises. main/ gives it Electron's
 * utilityProcess (utility-process-spawner.ts); tests and the headless runner give it
 * node:child_process (child-process-spawner.ts). The supervisor sees only this.
 */

/** What to start: a JavaScript module run with arguments (bin/hearth.js serve --config ...). */
export interface ChildSpec {
  modulePath: string;
  args: string[];
  /** Node and V8 flags the module runs with (bin/node-flags.json: node-flags.ts). */
  execArgv?: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** How a child ended. `signal` is null where the platform (or utilityProcess) gives none. */
export interface ChildExit {
  code: number | null;
  signal: string | null;
  /** Set when the child could not be started at all (a missing executable, say). */
  error?: string;
}

/** One running child. */
export interface SupervisedChild {
  readonly pid: number | undefined;
  /** Settles once, when the child has exited and its output is read to the end. */
  readonly exited: Promise<ChildExit>;
  /**
   * Asks the child to stop gracefully: SIGTERM where signals exist, or the `shutdown`
   * message where they do not (a utility process on Windows). Only once per child: the
   * server takes a second signal as "exit now".
   */
  requestStop(): void;
  /** Ends the child at once (SIGKILL, or TerminateProcess on Windows); works on a stopped one. */
  kill(): void;
  /**
   * Sends a command to the child (`{ type: 'resume' }`, `{ type: 'federation', paused }`:
   * server/cli/parent-channel.ts). False when the channel is gone.
   */
  send(message: unknown): boolean;
  /** Messages from the child (`{ type: 'ready', addresses }` from `hearth serve`). */
  onMessage(listener: (message: unknown) => void): void;
  /** Each line the child writes to stdout or stderr, without its line ending. */
  onLine(listener: (stream: 'stdout' | 'stderr', line: string) => void): void;
}

export interface Spawner {
  spawn(spec: ChildSpec): SupervisedChild;
}
