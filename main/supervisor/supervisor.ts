import { healthUrlFor, probeHealth } from './health.js';
import {
  DEFAULT_RESTART_POLICY,
  isCrashLoop,
  restartDelay,
  type RestartPolicy,
} from './restart-policy.js';
import type { ChildExit, ChildSpec, Spawner, SupervisedChild } from './spawner.js';
import {
  describeExit,
  type ExitReason,
  type ExitRecord,
  type StopResult,
  type SupervisorState,
} from './state.js';

/** The logger the supervisor writes to; a pino logger fits. */
export interface SupervisorLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SupervisorOptions {
  spawner: Spawner;
  child: ChildSpec;
  /** Where to check health; by default the address in the child's `ready` message. */
  healthUrl?: string;
  /** From spawn to a first healthy answer. */
  startTimeoutMs?: number;
  /** Between health checks while running. */
  healthIntervalMs?: number;
  /** One health check's deadline. */
  healthTimeoutMs?: number;
  /** This many failed checks in a row means hung: kill and restart. */
  maxHealthFailures?: number;
  /** How long stop() waits for a graceful exit before killing. */
  stopTimeoutMs?: number;
  /** Between readiness probes while starting. */
  readyPollMs?: number;
  policy?: Partial<RestartPolicy>;
  /** How many stderr lines a crash report keeps. */
  stderrLines?: number;
  /** Every line the child writes (main/ forwards them to its log file). */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  now?: () => number;
  random?: () => number;
  log?: SupervisorLog;
}

const silent: SupervisorLog = { info() {}, warn() {}, error() {} };

/**
 * Starts the homeserver, watches it and restarts it after a crash, as one state machine:
 * stopped -> starting -> running -> (exit or hang) -> restarting -> starting ... and, after
 * too many failures in a window, crashed until retry(); stop() from any state.
 *
 * Invariant: at most one child at a time. A child is only spawned when `this.child` is null,
 * and `this.child` is cleared only once the child's exit has been seen.
 */
export class Supervisor {
  private state: SupervisorState = { status: 'stopped' };
  private readonly listeners = new Set<(s: SupervisorState) => void>();
  private readonly o: Required<
    Omit<SupervisorOptions, 'healthUrl' | 'onLine' | 'policy' | 'child' | 'spawner'>
  >;
  private readonly policy: RestartPolicy;
  private child: SupervisedChild | null = null;
  /** Bumped for each child, so late answers about an earlier child are ignored. */
  private generation = 0;
  private attempt = 0;
  /** Set when the supervisor itself killed the child, to tell that from a crash. */
  private killReason: ExitReason | null = null;
  private runningSince: number | null = null;
  private consecutive = 0;
  private failures: ExitRecord[] = [];
  private stderrTail: string[] = [];
  private restartTimer: NodeJS.Timeout | null = null;
  private startTimer: NodeJS.Timeout | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<StopResult | null> | null = null;

  constructor(private readonly opts: SupervisorOptions) {
    this.o = {
      startTimeoutMs: opts.startTimeoutMs ?? 30_000,
      healthIntervalMs: opts.healthIntervalMs ?? 10_000,
      healthTimeoutMs: opts.healthTimeoutMs ?? 3_000,
      maxHealthFailures: opts.maxHealthFailures ?? 3,
      stopTimeoutMs: opts.stopTimeoutMs ?? 15_000,
      readyPollMs: opts.readyPollMs ?? 200,
      stderrLines: opts.stderrLines ?? 40,
      now: opts.now ?? Date.now,
      random: opts.random ?? Math.random,
      log: opts.log ?? silent,
    };
    this.policy = { ...DEFAULT_RESTART_POLICY, ...opts.policy };
  }

  /** The current state (a copy the caller may keep). */
  snapshot(): SupervisorState {
    return structuredClone(this.state);
  }

  /** Calls `listener` with each new state; returns the unsubscribe function. */
  onState(listener: (s: SupervisorState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Sends a command to the running homeserver (see server/cli/parent-channel.ts). False when
   * none is running or starting; commands are not queued (state the child must keep across
   * restarts goes into the child's environment instead).
   */
  send(message: unknown): boolean {
    const s = this.state.status;
    if (!this.child || (s !== 'running' && s !== 'starting')) return false;
    return this.child.send(message);
  }

  /** Starts the homeserver if it is stopped (or crashed: then as retry()). */
  start(): void {
    if (this.state.status === 'crashed') return this.retry();
    if (this.state.status !== 'stopped' || this.child) return;
    this.failures = [];
    this.consecutive = 0;
    this.launch();
  }

  /** The person's "try again": after a crash loop, or at once instead of waiting a backoff. */
  retry(): void {
    if (this.state.status !== 'crashed' && this.state.status !== 'restarting') return;
    this.clearRestart();
    this.failures = [];
    this.consecutive = 0;
    this.launch();
  }

  /**
   * Stops the homeserver: asks it to stop (it flushes its writer and queues), waits up to
   * stopTimeoutMs, then kills it (`forced` in the result). During a backoff it cancels the
   * restart. Resolves with how the child ended, or null when none was running.
   */
  stop(): Promise<StopResult | null> {
    if (this.stopping) return this.stopping;
    this.clearRestart();
    const child = this.child;
    if (!child) {
      if (this.state.status !== 'stopped') this.setState({ status: 'stopped' });
      return Promise.resolve(null);
    }
    this.clearChildTimers();
    this.setState({ status: 'stopping', pid: child.pid });
    this.stopping = this.stopChild(child).finally(() => (this.stopping = null));
    return this.stopping;
  }

  private async stopChild(child: SupervisedChild): Promise<StopResult> {
    child.requestStop();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.o.stopTimeoutMs);
    });
    let exit = await Promise.race([child.exited, timedOut]);
    clearTimeout(timer);
    let forced = false;
    if (!exit) {
      forced = true;
      this.o.log.warn(
        { pid: child.pid, timeoutMs: this.o.stopTimeoutMs },
        'the homeserver did not stop in time: killing it',
      );
      child.kill();
      exit = await child.exited;
    }
    const result: StopResult = { code: exit.code, signal: exit.signal, forced };
    this.child = null;
    this.o.log.info({ ...result }, 'the homeserver stopped');
    this.setState({ status: 'stopped', lastStop: result });
    return result;
  }

  private launch(): void {
    if (this.child) throw new Error('supervisor invariant: a child is already running');
    const gen = ++this.generation;
    this.attempt += 1;
    this.killReason = null;
    this.runningSince = null;
    this.stderrTail = [];
    let child: SupervisedChild;
    try {
      child = this.opts.spawner.spawn(this.opts.child);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.afterFailure({
        at: this.o.now(),
        reason: 'spawn-failed',
        code: null,
        signal: null,
        error,
      });
      return;
    }
    this.child = child;
    child.onLine((stream, line) => {
      if (stream === 'stderr') {
        this.stderrTail.push(line);
        if (this.stderrTail.length > this.o.stderrLines) this.stderrTail.shift();
      }
      this.opts.onLine?.(stream, line);
    });
    child.onMessage((msg) => {
      const url = readyUrl(msg);
      if (url && !this.opts.healthUrl) void this.awaitHealthy(gen, url);
    });
    this.setState({ status: 'starting', pid: child.pid, attempt: this.attempt });
    this.o.log.info({ pid: child.pid, attempt: this.attempt }, 'starting the homeserver');
    if (this.opts.healthUrl) void this.awaitHealthy(gen, this.opts.healthUrl);
    this.startTimer = setTimeout(() => {
      if (gen !== this.generation || this.state.status !== 'starting') return;
      this.o.log.warn({ pid: child.pid }, 'the homeserver did not become ready in time');
      this.killReason = 'start-timeout';
      child.kill();
    }, this.o.startTimeoutMs);
    void child.exited.then((exit) => this.onExit(child, exit));
  }

  private isCurrent(gen: number, status: SupervisorState['status']): boolean {
    return gen === this.generation && this.state.status === status;
  }

  /** Probes until the first healthy answer, then the child is running. */
  private async awaitHealthy(gen: number, url: string): Promise<void> {
    while (this.isCurrent(gen, 'starting')) {
      if (await probeHealth(url, this.o.healthTimeoutMs)) {
        if (this.isCurrent(gen, 'starting')) this.becomeRunning(gen, url);
        return;
      }
      await new Promise((r) => setTimeout(r, this.o.readyPollMs));
    }
  }

  private becomeRunning(gen: number, url: string): void {
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = null;
    this.runningSince = this.o.now();
    this.setState({ status: 'running', pid: this.child?.pid, url, since: this.runningSince });
    this.o.log.info({ pid: this.child?.pid, url }, 'the homeserver is running');
    let failed = 0;
    const check = async () => {
      const ok = await probeHealth(url, this.o.healthTimeoutMs);
      if (!this.isCurrent(gen, 'running')) return;
      failed = ok ? 0 : failed + 1;
      if (failed > 0) this.o.log.warn({ failed, url }, 'a health check failed');
      if (failed >= this.o.maxHealthFailures) {
        this.o.log.error({ pid: this.child?.pid, failed }, 'the homeserver is hung: killing it');
        this.killReason = 'hung';
        this.child?.kill();
        return;
      }
      this.healthTimer = setTimeout(() => void check(), this.o.healthIntervalMs);
    };
    this.healthTimer = setTimeout(() => void check(), this.o.healthIntervalMs);
  }

  private onExit(child: SupervisedChild, exit: ChildExit): void {
    // A stop in progress handles its own child's exit.
    if (child !== this.child || this.state.status === 'stopping') return;
    this.child = null;
    this.clearChildTimers();
    const reason: ExitReason = this.killReason ?? (exit.error ? 'spawn-failed' : 'exited');
    this.afterFailure({
      at: this.o.now(),
      reason,
      code: exit.code,
      signal: exit.signal,
      ...(exit.error ? { error: exit.error } : {}),
    });
  }

  /** Counts a failure, then schedules a restart with backoff or declares a crash loop. */
  private afterFailure(record: ExitRecord): void {
    const now = this.o.now();
    if (this.runningSince !== null && now - this.runningSince >= this.policy.resetAfterMs) {
      this.consecutive = 0;
    }
    this.consecutive += 1;
    this.failures = [...this.failures, record].filter(
      (f) => now - f.at <= this.policy.crashWindowMs,
    );
    this.o.log.warn({ ...record, stderr: this.stderrTail.slice(-5) }, 'the homeserver went down');
    if (
      isCrashLoop(
        this.policy,
        this.failures.map((f) => f.at),
        now,
      )
    ) {
      const minutes = Math.round(this.policy.crashWindowMs / 60_000);
      const message =
        `Hearth stopped ${this.failures.length} times in ${minutes} minute${minutes === 1 ? '' : 's'}; ` +
        `the last time: ${describeExit(record)}.`;
      this.o.log.error({ exits: this.failures }, 'crash loop: not restarting until retry');
      this.setState({
        status: 'crashed',
        crash: { message, exits: this.failures, stderrTail: [...this.stderrTail] },
      });
      return;
    }
    const inMs = restartDelay(this.policy, this.consecutive, this.o.random());
    this.setState({ status: 'restarting', inMs, at: now + inMs, after: record });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.launch();
    }, inMs);
  }

  private clearRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  private clearChildTimers(): void {
    if (this.startTimer) clearTimeout(this.startTimer);
    if (this.healthTimer) clearTimeout(this.healthTimer);
    this.startTimer = null;
    this.healthTimer = null;
  }

  private setState(s: SupervisorState): void {
    this.state = s;
    for (const l of this.listeners) {
      // A failing UI listener must not stop the supervision.
      try {
        l(structuredClone(s));
      } catch (err) {
        this.o.log.error({ err }, 'a supervisor state listener threw');
      }
    }
  }
}

/** The health URL announced by a `{ type: 'ready', addresses }` message, if it is one. */
function readyUrl(msg: unknown): string | null {
  if (typeof msg !== 'object' || msg === null) return null;
  const m = msg as { type?: unknown; addresses?: unknown };
  if (m.type !== 'ready' || !Array.isArray(m.addresses)) return null;
  return healthUrlFor(
    (m.addresses as unknown[]).filter(
      (a): a is { host: string; port: number; tls: boolean } =>
        typeof a === 'object' &&
        a !== null &&
        typeof (a as { host?: unknown }).host === 'string' &&
        typeof (a as { port?: unknown }).port === 'number',
    ),
  );
}
