/**
 * What the supervisor tells the UI: a typed snapshot of where the homeserver is, sent on
 * every change. The tray and the window show it; after a crash loop they show `crash`.
 */

/** Why a child went away when nobody asked it to. */
export type ExitReason =
  /** It exited by itself (a crash, a bad config, kill -9 from outside). */
  | 'exited'
  /** Its health checks failed several times in a row; the supervisor killed it. */
  | 'hung'
  /** It did not answer its health check within the start timeout; the supervisor killed it. */
  | 'start-timeout'
  /** It could not be started at all. */
  | 'spawn-failed';

export interface ExitRecord {
  at: number;
  reason: ExitReason;
  code: number | null;
  signal: string | null;
  error?: string;
}

/** Enough for the UI to say why the homeserver is not running. */
export interface CrashReport {
  /** One sentence for a person ("Hearth stopped 5 times in 5 minutes; the last time: ..."). */
  message: string;
  /** The failures counted, oldest first. */
  exits: ExitRecord[];
  /** The last lines the last child wrote to stderr. */
  stderrTail: string[];
}

/** How a requested stop ended. `forced` means the grace timeout ran out and it was killed. */
export interface StopResult {
  code: number | null;
  signal: string | null;
  forced: boolean;
}

export type SupervisorState =
  | { status: 'stopped'; lastStop?: StopResult }
  | { status: 'starting'; pid: number | undefined; attempt: number }
  | { status: 'running'; pid: number | undefined; url: string; since: number }
  | { status: 'restarting'; inMs: number; at: number; after: ExitRecord }
  | { status: 'crashed'; crash: CrashReport }
  | { status: 'stopping'; pid: number | undefined };

export type SupervisorStatus = SupervisorState['status'];

/** A one-line description of an exit, for logs and the crash report. */
export function describeExit(e: ExitRecord): string {
  const how =
    e.error !== undefined
      ? `could not start (${e.error})`
      : e.signal
        ? `killed by ${e.signal}`
        : `exit code ${e.code ?? 'unknown'}`;
  if (e.reason === 'hung') return `stopped answering its health check; ${how}`;
  if (e.reason === 'start-timeout') return `did not become ready in time; ${how}`;
  return how;
}
