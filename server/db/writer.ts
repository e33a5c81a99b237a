import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, fdatasync, openSync } from 'node:fs';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import type { Statement } from 'better-sqlite3';
import type { SqliteDb } from './sqlite.js';
import { sqliteQueryable } from './sqlite.js';
import type { Tx } from './sql.js';
import { Checkpointer, HARD_LIMIT_BYTES as WAL_FILE_BYTES } from './checkpointer.js';

interface Unit {
  name: string;
  fn: (tx: Tx) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  queuedAt: number;
  /** False: answered once its commit is visible, without waiting for the fsync. */
  durable: boolean;
}

export interface UnitOptions {
  /**
   * False answers the unit (and runs its afterCommit callbacks) as soon as its commit is
   * visible to readers, before the WAL is fsynced. Only for a caller that makes its own
   * outcome durable before it tells anyone outside the process, by awaiting a durable unit
   * (an fsync covers every commit before it): e.g. the PDUs of an incoming federation
   * transaction, each of which must see the last one committed, and whose answer to the
   * sending server waits for the transaction's durable record. Default true.
   */
  durable?: boolean;
}

/** How a unit of a batch ended, and what to run once the batch is durable. */
interface Outcome {
  ok: boolean;
  value: unknown;
  after: (() => void)[];
  /** onCommit callbacks, run in the commit's own synchronous step. */
  committed: (() => void)[];
}

export interface WriterStats {
  commits: number;
  units: number;
  byName: Map<string, { count: number; totalMs: number }>;
}

/**
 * The single writer. Every write in Hearth is a named unit queued here; units run one after
 * another on the writer's own connection, and units that queued while a commit was running
 * share the next commit (group commit), each inside its own savepoint so one failing unit
 * rolls back alone. SQLite never sees two writers, so "database is locked" cannot happen.
 *
 * Invariants:
 * - a unit must only await database calls on `tx` (no network, no hashing): while it runs,
 *   every other write waits;
 * - a unit never starts another unit (it would wait for itself); this throws instead,
 *   where the check is on (NESTING_CHECK);
 * - afterCommit callbacks run only once the commit that holds the unit succeeded (and is
 *   durable); onCommit callbacks right after that COMMIT, in the same synchronous step.
 */
/**
 * The check that a unit never starts another unit needs AsyncLocalStorage, which turns on
 * Node's promise hooks for every promise in the process (about 5% of the CPU of a send or a
 * woken /sync). Tests run with it (vitest sets VITEST), as does anyone who sets
 * HEARTH_WRITER_NESTING_CHECK=1; a nesting bug then throws instead of hanging.
 */
const NESTING_CHECK =
  process.env.VITEST !== undefined || process.env.HEARTH_WRITER_NESTING_CHECK === '1';

export class Writer {
  private queue: Unit[] = [];
  private running = false;
  private scheduled = false;
  private closed = false;
  private readonly inUnit = NESTING_CHECK ? new AsyncLocalStorage<string>() : null;
  private readonly q;
  /** Transaction control, prepared once. */
  private readonly control: Record<
    'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit' | 'rollback',
    Statement
  >;
  readonly stats: WriterStats = { commits: 0, units: 0, byName: new Map() };
  /** The WAL file the writer fsyncs after each commit, or null (see whenDurable). */
  private readonly walPath: string | null;
  private walFd: number | null = null;
  private awaitingSync: ((err?: Error) => void)[] = [];
  /** Commits made, and how many of the first of them are on disk (see whenAllDurable). */
  private commitCount = 0;
  private durableCount = 0;
  /**
   * The fsync running now, if any: the commits it covers, and who waits for it (the units
   * of the batches it flushes, and whenAllDurable's readers).
   */
  private runningSync: { covers: number; waiting: ((err?: Error) => void)[] } | null = null;
  private syncFailure: Error | null = null;
  private readonly checkpointer: Checkpointer | null = null;

  constructor(
    private readonly db: SqliteDb,
    private readonly log: Logger,
    private readonly clock: Clock,
    /** Most units one commit may hold, so one commit never grows without bound. */
    private readonly maxBatch = 256,
    /** fdatasync; replaced only by tests that need to hold or fail it. */
    private readonly syncFile: (fd: number, cb: (err: Error | null) => void) => void = fdatasync,
  ) {
    this.q = sqliteQueryable(db);
    const wal = !db.memory && db.pragma('journal_mode', { simple: true }) === 'wal';
    this.walPath = wal ? `${db.name}-wal` : null;
    if (wal) {
      db.pragma('synchronous = NORMAL');
      // Checkpoints run in a worker thread, not inside this connection's commits.
      db.pragma('wal_autocheckpoint = 0');
      db.pragma(`journal_size_limit = ${WAL_FILE_BYTES}`);
      this.checkpointer = new Checkpointer(
        db.name,
        `${db.name}-shm`,
        log,
        () => db.pragma('wal_autocheckpoint = 1000'),
        () => db.pragma('wal_checkpoint(PASSIVE)'),
      );
    }
    this.control = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      savepoint: db.prepare('SAVEPOINT unit'),
      release: db.prepare('RELEASE unit'),
      rollbackTo: db.prepare('ROLLBACK TO unit'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
    };
  }

  /**
   * How many commits the writer has made. It moves right after each COMMIT, before the
   * commit's callbacks or anything else run; since nothing else writes the database, a
   * value read while it stays the same is still the stored one (sync/stream-positions.ts).
   */
  get commits(): number {
    return this.commitCount;
  }

  /** Queues `fn` as a named unit; resolves with its result after its commit is durable. */
  transaction<T>(name: string, fn: (tx: Tx) => Promise<T>, opts?: UnitOptions): Promise<T> {
    const outer = this.inUnit?.getStore();
    if (outer !== undefined) {
      return Promise.reject(new Error(`writer unit "${name}" started inside unit "${outer}"`));
    }
    if (this.closed) return Promise.reject(new Error('the database writer is closed'));
    if (this.syncFailure) return Promise.reject(this.syncFailure);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        name,
        fn,
        resolve: resolve as (v: unknown) => void,
        reject,
        queuedAt: this.clock.now(),
        durable: opts?.durable ?? true,
      });
      this.schedule();
    });
  }

  /** Waits for queued units to finish, then refuses new ones. */
  async close(): Promise<void> {
    while (this.running || this.scheduled || this.queue.length || this.runningSync) {
      await new Promise((r) => setTimeout(r, 5));
    }
    this.closed = true;
    await this.checkpointer?.close();
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
  }

  /**
   * Runs the next batch on the event loop's check phase (setImmediate), not at once: the
   * requests whose data arrived in this turn of the loop queue their units first and share
   * the commit. Better-sqlite3 commits synchronously, so a writer that started at once
   * would commit every unit alone, however many requests were waiting on the socket.
   */
  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      // Once per WAL cycle under load: the WAL starts over after this (checkpointer.ts).
      const catchUp = this.checkpointer?.beforeBatch();
      if (catchUp) await catchUp;
      const batch = this.queue.splice(0, this.maxBatch);
      await this.runBatch(batch);
    } finally {
      this.running = false;
      if (this.queue.length) this.schedule();
    }
  }

  private async runBatch(batch: Unit[]): Promise<void> {
    const outcomes: Outcome[] = [];
    const started = this.clock.now();
    // A unit alone in its commit needs no savepoint: the transaction is the unit.
    const solo = batch.length === 1;
    const sql = this.control;
    sql.begin.run();
    for (const unit of batch) {
      const after: (() => void)[] = [];
      const committed: (() => void)[] = [];
      const tx: Tx = {
        ...this.q,
        afterCommit: (f) => void after.push(f),
        onCommit: (f) => void committed.push(f),
      };
      if (!solo) sql.savepoint.run();
      try {
        const value = await (this.inUnit
          ? this.inUnit.run(unit.name, () => unit.fn(tx))
          : unit.fn(tx));
        if (!solo) sql.release.run();
        outcomes.push({ ok: true, value, after, committed });
      } catch (err) {
        if (!this.db.inTransaction || solo) {
          // Either SQLite rolled the whole transaction back (disk full, I/O error), and
          // every unit of this batch is lost, or the failing unit is the whole batch.
          if (this.db.inTransaction) sql.rollback.run();
          else this.log.error({ err, unit: unit.name }, 'transaction aborted by the database');
          for (const u of batch) u.reject(err);
          return;
        }
        sql.rollbackTo.run();
        sql.release.run();
        outcomes.push({ ok: false, value: err, after: [], committed: [] });
      }
    }
    try {
      sql.commit.run();
    } catch (err) {
      if (this.db.inTransaction) sql.rollback.run();
      this.log.error({ err, units: batch.map((u) => u.name) }, 'commit failed');
      for (const u of batch) u.reject(err);
      return;
    }
    // Counted before anything else runs: readers key what they hold on it (commits).
    this.commitCount++;
    // Nothing may run between the COMMIT and these (no await): see Tx.onCommit.
    for (const [i, o] of outcomes.entries()) {
      for (const f of o.committed) {
        try {
          f();
        } catch (err) {
          this.log.error({ err, unit: batch[i]!.name }, 'onCommit callback failed');
        }
      }
    }
    const ms = this.clock.now() - started;
    this.stats.commits++;
    if (this.walPath === null) this.durableCount = this.commitCount;
    this.checkpointer?.afterCommit();
    this.log.debug({ units: batch.map((u) => u.name), ms }, 'commit');
    const durable = batch.filter((u) => u.durable);
    if (durable.length < batch.length) {
      this.settle(
        batch.filter((u) => !u.durable),
        outcomes.filter((_, i) => !batch[i]!.durable),
      );
    }
    if (!durable.length) return;
    const durableOutcomes = outcomes.filter((_, i) => batch[i]!.durable);
    this.whenDurable((err) => {
      if (err) for (const u of durable) u.reject(err);
      else this.settle(durable, durableOutcomes);
    });
  }

  /** Runs the afterCommit callbacks of a durable batch and answers its units. */
  private settle(batch: Unit[], outcomes: Outcome[]): void {
    batch.forEach((unit, i) => {
      const o = outcomes[i]!;
      this.record(unit.name, this.clock.now() - unit.queuedAt);
      if (!o.ok) return unit.reject(o.value);
      for (const f of o.after) {
        try {
          f();
        } catch (err) {
          this.log.error({ err, unit: unit.name }, 'afterCommit callback failed');
        }
      }
      unit.resolve(o.value);
    });
  }

  /**
   * Calls `done` once the commit just made is on disk. A WAL database commits with
   * synchronous=NORMAL (no fsync in COMMIT, which better-sqlite3 would run on the event
   * loop) and the writer fsyncs the WAL file itself, on libuv's thread pool, before it
   * answers the units: the same guarantee as synchronous=FULL (an answered unit survives
   * a power cut), while the next batch is built and committed during the fsync. Commits
   * made while an fsync runs share the next one. Other databases (in memory, rollback
   * journal) keep their own sync setting and are answered at once.
   */
  private whenDurable(done: (err?: Error) => void): void {
    if (this.walPath === null) return done();
    if (this.syncFailure) return done(this.syncFailure);
    this.awaitingSync.push(done);
    if (!this.runningSync) this.syncWal();
  }

  /**
   * Null when every commit made so far is on disk, else a promise that resolves once it is
   * (rejected if its fsync fails). For readers that answer from what they read outside a
   * unit: a read connection sees a commit as soon as it is made, before its fsync, and an
   * answer that showed it must not leave before it would survive a power cut (GET /sync:
   * server/sync/sync.ts). Waits for the fsync running now when that one covers every commit
   * made, else for the next, which it starts if none is due (a batch of `durable: false`
   * units alone starts none).
   */
  whenAllDurable(): Promise<void> | null {
    if (this.syncFailure) return Promise.reject(this.syncFailure);
    if (this.durableCount >= this.commitCount) return null;
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => (err ? reject(err) : resolve());
      if (this.runningSync && this.runningSync.covers >= this.commitCount) {
        this.runningSync.waiting.push(done);
      } else {
        this.whenDurable(done);
      }
    });
  }

  private syncWal(): void {
    const waiting = this.awaitingSync;
    this.awaitingSync = [];
    // Every commit made so far is in the WAL file this fsync flushes.
    const sync = { covers: this.commitCount, waiting };
    this.runningSync = sync;
    this.walFd ??= openSync(this.walPath!, 'r');
    this.syncFile(this.walFd, (err) => {
      this.runningSync = null;
      if (!err) {
        this.durableCount = Math.max(this.durableCount, sync.covers);
      } else {
        // The kernel may have dropped the dirty pages: nothing written since can be
        // trusted to be on disk, so the writer fails every unit from now on.
        this.syncFailure = err;
        this.log.fatal({ err }, 'fsync of the database WAL failed; refusing further writes');
      }
      for (const done of waiting) done(this.syncFailure ?? undefined);
      if (this.awaitingSync.length) this.syncWal();
    });
  }

  private record(name: string, ms: number): void {
    this.stats.units++;
    const s = this.stats.byName.get(name) ?? { count: 0, totalMs: 0 };
    s.count++;
    s.totalMs += ms;
    this.stats.byName.set(name, s);
  }
}
