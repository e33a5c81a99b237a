import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/logger.js';

/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT
 * that takes the WAL past 1000 pages: on the writer's connection, so on the event loop,
 * copying every page into the database file and fsyncing it while the whole server waits.
 * It cost about 9% of the time of a send under load (more on a slow disk). The writer's
 * connection turns it off (wal_autocheckpoint = 0) and this runs PASSIVE checkpoints on a
 * connection of its own in a worker thread instead: they copy what no reader still needs,
 * take no lock a commit waits for, and SQLite fsyncs the database file before it counts the
 * pages as copied, so durability is SQLite's own. Once everything is copied, the next commit
 * starts the WAL over from its beginning, so it stays near the threshold in size.
 *
 * The worker starts the first time the WAL passes the threshold (a server that writes little
 * never pays for a thread). The size is looked at after every commit (one stat, a few µs
 * against a commit's hundreds), and while it stays past the threshold the worker runs again
 * as soon as it is done: under load, commits are large (a group commit of 50 sends writes
 * about 2.4 MB of WAL), and looking only every 32 commits let some 75 MB pile up between two
 * looks, which the writer then had to copy itself (see HARD_LIMIT_BYTES): 7–8% of the
 * server's time in the sends benchmark. Under writes that never pause, see HARD_LIMIT_BYTES.
 */

/**
 * WAL size past which a checkpoint runs (SQLite's default: 1000 pages of 4 KiB). The writer
 * sets journal_size_limit to it: when the WAL starts over, its file is cut back to this
 * size, so a file past it holds that much written since (a file of exactly this size may be
 * one that started over, so only a larger one asks for a checkpoint).
 */
export const THRESHOLD_BYTES = 4 * 1024 * 1024;
/**
 * WAL size past which the writer checkpoints on its own connection after a commit. SQLite
 * starts the WAL over only once every page in it is copied, and under writes that never
 * pause, pages are added while the worker copies: the WAL would grow without end. The
 * writer's checkpoint copies what the worker has not yet while no commit runs, so the next
 * commit starts the WAL over. Its cost is that of the pages left since the worker's last
 * run, once per WAL cycle: with the worker running back to back, one run's worth out of a
 * cycle of HARD_LIMIT_BYTES, so a higher limit leaves less of the copying to the event
 * loop, at the price of a larger WAL file for a while.
 */
const HARD_LIMIT_BYTES = 8 * THRESHOLD_BYTES;

// The worker's code: a CommonJS script (eval), so it needs no file of its own in the build.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlitePath);
const db = new Database(workerData.dbPath, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
parentPort.on('message', () => {
  let reply;
  try {
    reply = { ok: true, result: db.pragma('wal_checkpoint(PASSIVE)')[0] };
  } catch (err) {
    reply = { ok: false, message: String(err && err.message || err) };
  }
  parentPort.postMessage(reply);
});
`;

interface CheckpointReply {
  ok: boolean;
  result?: { busy: number; log: number; checkpointed: number };
  message?: string;
}

export class Checkpointer {
  private worker: Worker | null = null;
  private running = false;
  private closed = false;
  /** Resolves the pending close once the running checkpoint answers. */
  private onIdle: (() => void) | null = null;

  constructor(
    private readonly dbPath: string,
    private readonly walPath: string,
    private readonly log: Logger,
    /** Gives the checkpoints back to SQLite, should the worker fail. */
    private readonly fallBack: () => void,
    /** A PASSIVE checkpoint on the writer's connection, between two commits. */
    private readonly checkpointHere: () => void,
  ) {}

  /** Called after each commit of the writer. */
  afterCommit(): void {
    if (this.closed) return;
    let size: number;
    try {
      size = statSync(this.walPath).size;
    } catch {
      return;
    }
    if (size >= HARD_LIMIT_BYTES) {
      // The worker's checkpoint holds the checkpoint lock: look again after the next commit.
      if (this.running) return;
      this.checkpointHere();
    } else if (size > THRESHOLD_BYTES && !this.running) {
      this.run();
    }
  }

  /** Stops the worker (after the checkpoint it is running, if any). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.running) await new Promise<void>((r) => (this.onIdle = r));
    await this.worker?.terminate();
    this.worker = null;
  }

  private run(): void {
    this.running = true;
    const worker = (this.worker ??= this.startWorker());
    worker.postMessage(null);
  }

  private startWorker(): Worker {
    const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { sqlitePath, dbPath: this.dbPath },
    });
    worker.unref();
    worker.on('message', (reply: CheckpointReply) => {
      this.running = false;
      if (!reply.ok) this.log.warn({ error: reply.message }, 'WAL checkpoint failed');
      else this.log.debug({ ...reply.result }, 'WAL checkpoint');
      this.onIdle?.();
      this.onIdle = null;
    });
    worker.on('error', (err) => {
      // The writer goes on, with SQLite's own checkpoints on its connection again.
      this.log.error({ err }, 'the WAL checkpoint worker stopped');
      this.fallBack();
      this.running = false;
      this.worker = null;
      this.closed = true;
      this.onIdle?.();
      this.onIdle = null;
    });
    return worker;
  }
}
