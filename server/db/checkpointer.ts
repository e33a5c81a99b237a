import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
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
 * starts the WAL over from its beginning.
 *
 * The worker starts the first time the WAL holds more than the threshold (a server that
 * writes little never pays for a thread). How much it holds is looked at after every commit
 * (readWalFill: one read of 136 bytes, a few µs against a commit's hundreds), and while the WAL
 * holds more than the threshold that is not yet copied, the worker runs again as soon as it
 * is done: under load, commits are large (a group commit of 50 sends writes about 2.4 MB of
 * WAL), and looking only every 32 commits let some 75 MB pile up between two looks, which
 * the writer then had to copy itself: 7–8% of the server's time in the sends benchmark.
 * Under writes that never pause, see HARD_LIMIT_BYTES.
 *
 * The WAL file is not cut back when the WAL starts over (the writer's journal_size_limit is
 * HARD_LIMIT_BYTES, not the threshold): writing over blocks the file already has costs the
 * commit about half of what writing past its end does, where ext4 must allocate each block
 * and the fsync must also write the file's new size (1.6 against 3.4 µs a 4 KiB frame here;
 * most frames of a busy WAL cycle were past the cut). So the file's size says nothing of
 * what the WAL holds, and the looks read that from the WAL index instead.
 */

/** WAL content past which a checkpoint runs (SQLite's default: 1000 pages of 4 KiB). */
export const THRESHOLD_BYTES = 4 * 1024 * 1024;
/**
 * WAL length past which the writer pauses for a catch-up (beforeBatch). SQLite starts the
 * WAL over only once every page in it is copied, and under writes that never pause, pages
 * are added while the worker copies: the WAL would grow without end. So once the WAL is
 * this long, the writer holds its next batch while the worker copies what is left, and
 * its next commit starts the WAL over. The hold costs the writer the time of one worker
 * run (its units wait; the rest of the server goes on), once per WAL cycle: a higher limit
 * holds it less often, at the price of a larger WAL file. It is also the size the WAL file
 * is kept at (journal_size_limit): the file reaches it once writes come in bursts, and
 * stays.
 */
export const HARD_LIMIT_BYTES = 8 * THRESHOLD_BYTES;

/**
 * How much the WAL holds, from its index (the `-shm` file; SQLite's "WAL-index format"):
 * a 48-byte header kept twice (a writer changes the first copy, then the second; a reader
 * that finds them different has read during a commit), whose mxFrame (offset 16) is the
 * last valid frame and szPage (offset 14) the page size, then the checkpoint's nBackfill
 * (offset 96), the frames already copied into the database. SQLite writes the index in the
 * machine's own byte order.
 */
export interface WalFill {
  /** Bytes of frames in the WAL (its length since it last started over). */
  frames: number;
  /** Of those, bytes not yet copied into the database. */
  uncopied: number;
}

const WAL_INDEX_READ = 136;
const WAL_FRAME_HEADER = 24;
const LITTLE_ENDIAN = endianness() === 'LE';

/** Reads the WAL's fill from an open `-shm` file; null when it cannot tell (mid-commit). */
export function readWalFill(shmFd: number, buf = Buffer.alloc(WAL_INDEX_READ)): WalFill | null {
  if (readSync(shmFd, buf, 0, WAL_INDEX_READ, 0) < WAL_INDEX_READ) return null;
  if (buf.compare(buf, 48, 96, 0, 48) !== 0) return null;
  const le = LITTLE_ENDIAN;
  const pageField = le ? buf.readUInt16LE(14) : buf.readUInt16BE(14);
  // Page sizes of 65536 are stored as 1 (they do not fit 16 bits).
  const frameBytes = (pageField === 1 ? 65536 : pageField) + WAL_FRAME_HEADER;
  const mxFrame = le ? buf.readUInt32LE(16) : buf.readUInt32BE(16);
  const backfilled = Math.min(le ? buf.readUInt32LE(96) : buf.readUInt32BE(96), mxFrame);
  return { frames: mxFrame * frameBytes, uncopied: (mxFrame - backfilled) * frameBytes };
}

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
  /** Resolved once the running checkpoint answers (close, catchUp). */
  private idleWaiters: (() => void)[] = [];
  /** The WAL reached HARD_LIMIT_BYTES: the writer's next batch waits for a catch-up. */
  private catchUpDue = false;

  private shmFd: number | null = null;
  private readonly shmBuf = Buffer.alloc(WAL_INDEX_READ);

  constructor(
    private readonly dbPath: string,
    private readonly shmPath: string,
    private readonly log: Logger,
    /** Gives the checkpoints back to SQLite, should the worker fail. */
    private readonly fallBack: () => void,
    /**
     * A PASSIVE checkpoint on the writer's connection, between two commits: for what a
     * catch-up could not copy.
     */
    private readonly checkpointHere: () => void,
  ) {}

  /** Called after each commit of the writer. */
  afterCommit(): void {
    if (this.closed) return;
    const fill = this.readFill();
    if (!fill) return;
    if (fill.frames >= HARD_LIMIT_BYTES) this.catchUpDue = true;
    else if (fill.uncopied > THRESHOLD_BYTES && !this.running) this.run();
  }

  /**
   * Null, or what the writer awaits before its next batch once the WAL has reached
   * HARD_LIMIT_BYTES: a checkpoint in the worker while nothing is written, so it copies
   * every frame, and the next commit starts the WAL over. The event loop goes on with
   * everything but the writer's units meanwhile (a few ms once per WAL cycle), where copying
   * on the writer's own connection held it for as long: 1.9% of the server's time in the
   * sends benchmark. Frames a reader still needed are copied here afterwards.
   */
  beforeBatch(): Promise<void> | null {
    if (!this.catchUpDue) return null;
    this.catchUpDue = false;
    return this.catchUp();
  }

  private async catchUp(): Promise<void> {
    // One running now started before the last commits: the one after it copies them too.
    if (this.running) await this.idle();
    if (this.closed) return;
    this.run();
    await this.idle();
    if (this.closed) return;
    const fill = this.readFill();
    if (!fill || fill.uncopied === 0) return;
    try {
      this.checkpointHere();
    } catch (err) {
      this.log.warn({ err }, 'WAL checkpoint failed');
    }
  }

  private readFill(): WalFill | null {
    try {
      this.shmFd ??= openSync(this.shmPath, 'r');
      return readWalFill(this.shmFd, this.shmBuf);
    } catch {
      return null;
    }
  }

  private idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private settled(): void {
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Stops the worker (after the checkpoint it is running, if any). */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
    await this.worker?.terminate();
    this.worker = null;
    if (this.shmFd !== null) closeSync(this.shmFd);
    this.shmFd = null;
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
      if (!reply.ok) this.log.warn({ error: reply.message }, 'WAL checkpoint failed');
      else this.log.debug({ ...reply.result }, 'WAL checkpoint');
      this.settled();
    });
    // The writer goes on, with SQLite's own checkpoints on its connection again. An exit
    // without an error (not close()'s) is taken the same way: a catch-up must not wait for
    // an answer that will never come.
    const stopped = (err: unknown) => {
      if (this.closed) return;
      this.log.error({ err }, 'the WAL checkpoint worker stopped');
      this.fallBack();
      this.worker = null;
      this.closed = true;
      this.settled();
    };
    worker.on('error', stopped);
    worker.on('exit', (code) => stopped(new Error(`exited with code ${code}`)));
    return worker;
  }
}
