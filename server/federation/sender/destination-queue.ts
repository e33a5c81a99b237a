import type { Ctx } from '../../context.js';
import type { Logger } from '../../core/logger.js';
import type { Tx } from '../../db/sql.js';
import { getEventJsonMany } from '../../events/store.js';
import type { FederationClient, FederationResponse } from '../types.js';
import {
  afterFailure,
  dueAt,
  isUp,
  judgeStatus,
  UP,
  type BackoffPolicy,
  type RetryState,
  type Verdict,
} from './backoff.js';
import * as store from './store.js';
import {
  buildTransactionBody,
  MAX_EDUS_PER_TXN,
  MAX_PDUS_PER_TXN,
  pduErrors,
} from './transaction.js';

/** What a destination queue needs from the sender that owns it. */
export interface QueueSettings {
  client: FederationClient;
  log: Logger;
  backoff: BackoffPolicy;
  requestTimeoutMs: number;
  catchUpThreshold: number;
  typingTtlMs: number;
  /** Resolves when the sender stops: requests in flight are then abandoned. */
  stopped: Promise<void>;
  isStopped(): boolean;
  /** Federation is paused (server/federation/pause.ts): items wait in the queue. */
  isPaused(): boolean;
}

interface Txn {
  id: string;
  ts: number;
  pdus: store.OutboxPduRow[];
  edus: store.OutboxEduRow[];
}

const STOPPED = Symbol('stopped');

/**
 * The sending loop of one destination: takes the oldest queued items into a transaction
 * (kept, with its id, until it is answered, so every retry sends the same transaction),
 * PUTs it, and on a 200 deletes its items and goes on; on a failure it records the backoff
 * and sets a timer for the next attempt. One loop runs at a time per destination.
 */
export class DestinationQueue {
  private running: Promise<void> | null = null;
  /** Something was queued, or a forced attempt asked for, while the loop ran. */
  private again = false;
  private forceAgain = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: Ctx,
    readonly destination: string,
    private retry: RetryState,
    private readonly s: QueueSettings,
  ) {}

  get retryState(): RetryState {
    return this.retry;
  }

  /**
   * Starts the loop unless it runs already. `forced` (start, resume, a request from that
   * server) ignores the backoff, and contacts the destination even with nothing queued: an
   * empty transaction, whose signature resets the other side's backoff towards us.
   * Resolves when the loop it started or joined ends.
   */
  poke(forced: boolean): Promise<void> {
    if (this.s.isStopped() || this.s.isPaused()) return Promise.resolve();
    if (this.running) {
      this.again = true;
      this.forceAgain ||= forced;
      return this.running;
    }
    if (!forced && this.ctx.clock.now() < dueAt(this.retry)) {
      this.armTimer();
      return Promise.resolve();
    }
    this.disarmTimer();
    const run = this.run(forced)
      .catch((err: unknown) => {
        // A database failure: try again after the shortest wait (kept in memory only).
        this.s.log.error({ err, destination: this.destination }, 'federation sending loop failed');
        if (!this.s.isStopped()) this.armTimer(this.s.backoff.minMs);
      })
      .finally(() => {
        this.running = null;
        if (this.again && !this.s.isStopped()) {
          const f = this.forceAgain;
          this.again = this.forceAgain = false;
          void this.poke(f);
        }
      });
    this.running = run;
    return run;
  }

  /** The other server reached us: it is up, so its backoff goes, and its queue is sent. */
  async markUp(): Promise<void> {
    if (!isUp(this.retry)) {
      await this.ctx.writer.transaction('federation_destination_up', (tx) =>
        store.setRetryState(tx, this.destination, UP),
      );
      this.retry = UP;
      this.s.log.info({ destination: this.destination }, 'destination is up; backoff cleared');
    }
    await this.poke(false);
  }

  /** Waits for the loop, if it runs (after stop: until it has let go of the database). */
  async settle(): Promise<void> {
    this.disarmTimer();
    await this.running;
  }

  private armTimer(delay?: number): void {
    if (this.timer || this.s.isStopped()) return;
    const wait = delay ?? Math.max(0, dueAt(this.retry) - this.ctx.clock.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poke(false);
    }, wait);
    this.timer.unref();
  }

  private disarmTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async run(forced: boolean): Promise<void> {
    let contacted = false;
    while (!this.s.isStopped()) {
      // Paused meanwhile: what is queued stays for the wake-up on resume.
      if (this.s.isPaused()) return;
      this.again = false;
      const txn = await this.takeTransaction();
      if (this.s.isStopped()) return;
      if (!txn) {
        if (forced && !contacted) await this.ping();
        return;
      }
      const verdict = await this.send(txn);
      if (verdict === STOPPED) return;
      if (verdict === 'retry') {
        await this.recordFailure(forced);
        return;
      }
      contacted = true;
      await this.ctx.writer.transaction('federation_txn_done', async (tx) => {
        await store.deleteTxnItems(tx, this.destination, txn.id);
        await store.setTxnInFlight(tx, this.destination, null);
        if (!isUp(this.retry)) await store.setRetryState(tx, this.destination, UP);
      });
      this.retry = UP;
    }
  }

  /**
   * The transaction in flight, or a new one of the oldest waiting items (at most 50 PDUs
   * and 100 EDUs), or null when nothing waits. Before a new one: stale typing is dropped,
   * and a queue grown past the catch-up threshold keeps only each room's newest event.
   */
  private takeTransaction(): Promise<Txn | null> {
    const d = this.destination;
    const now = this.ctx.clock.now();
    return this.ctx.writer.transaction('federation_take_txn', async (tx) => {
      const row = await store.getDestination(tx, d);
      if (row?.txn_id) {
        const pdus = await store.getTxnPdus(tx, d, row.txn_id);
        const edus = await store.getTxnEdus(tx, d, row.txn_id);
        if (pdus.length || edus.length)
          return { id: row.txn_id, ts: row.txn_ts ?? now, pdus, edus };
      }
      await store.deleteWaitingEdusBefore(tx, d, 'm.typing', now - this.s.typingTtlMs);
      await this.trimIfPastThreshold(tx);
      const seq = (row?.txn_seq ?? 0) + 1;
      const id = `${now}_${seq}`;
      const nPdus = await store.assignPdus(tx, d, id, MAX_PDUS_PER_TXN);
      const nEdus = await store.assignEdus(tx, d, id, MAX_EDUS_PER_TXN);
      if (!nPdus && !nEdus) {
        if (row?.txn_id) await store.setTxnInFlight(tx, d, null);
        return null;
      }
      await store.takeTxnSeq(tx, d);
      await store.setTxnInFlight(tx, d, { id, ts: now });
      return {
        id,
        ts: now,
        pdus: await store.getTxnPdus(tx, d, id),
        edus: await store.getTxnEdus(tx, d, id),
      };
    });
  }

  /** PUTs the transaction; logs what the answer says. */
  private async send(txn: Txn): Promise<Verdict | typeof STOPPED> {
    const json = await getEventJsonMany(
      this.ctx.db,
      txn.pdus.map((p) => p.event_id),
    );
    const pdus: Record<string, unknown>[] = [];
    for (const p of txn.pdus) {
      const j = json.get(p.event_id);
      if (j === undefined) {
        this.s.log.warn(
          { destination: this.destination, eventId: p.event_id },
          'queued event not found; skipped',
        );
        continue;
      }
      pdus.push(JSON.parse(j) as Record<string, unknown>);
    }
    const body = buildTransactionBody({
      origin: this.ctx.config.serverName,
      ts: txn.ts,
      now: this.ctx.clock.now(),
      pdus,
      edus: txn.edus,
    });
    const res = await this.put(txn.id, body);
    if (res === STOPPED) return STOPPED;
    const log = this.s.log;
    const where = { destination: this.destination, txnId: txn.id };
    if (res instanceof Error) {
      log.warn({ ...where, err: res }, 'failed to send transaction');
      return 'retry';
    }
    const verdict = judgeStatus(res.status);
    if (verdict === 'delivered') {
      log.debug({ ...where, pdus: pdus.length, edus: txn.edus.length }, 'transaction sent');
      for (const e of pduErrors(res.body)) {
        log.warn(
          { ...where, eventId: e.eventId, error: e.error },
          'remote returned an error for an event',
        );
      }
    } else if (verdict === 'undeliverable') {
      log.warn(
        { ...where, status: res.status, body: res.body, eventIds: txn.pdus.map((p) => p.event_id) },
        'transaction refused; its events and EDUs are dropped for this destination',
      );
    } else {
      log.warn({ ...where, status: res.status }, 'transaction not accepted; will retry');
    }
    return verdict;
  }

  /** An empty transaction: it tells the destination we are back (their backoff resets). */
  private async ping(): Promise<void> {
    const d = this.destination;
    const now = this.ctx.clock.now();
    const seq = await this.ctx.writer.transaction('federation_ping_txn', (tx) =>
      store.takeTxnSeq(tx, d),
    );
    if (this.s.isStopped()) return;
    const res = await this.put(`${now}_${seq}`, {
      origin: this.ctx.config.serverName,
      origin_server_ts: now,
      pdus: [],
    });
    if (res === STOPPED) return;
    if (!(res instanceof Error) && judgeStatus(res.status) !== 'retry') {
      if (!isUp(this.retry)) {
        await this.ctx.writer.transaction('federation_destination_up', (tx) =>
          store.setRetryState(tx, d, UP),
        );
        this.retry = UP;
      }
      return;
    }
    // Nothing waits for this destination, so a failed ping schedules nothing.
    this.s.log.info(
      { destination: d, ...(res instanceof Error ? { err: res } : { status: res.status }) },
      'destination did not answer on wake-up',
    );
  }

  private async put(
    txnId: string,
    body: unknown,
  ): Promise<FederationResponse | Error | typeof STOPPED> {
    const request = this.s.client
      .request(this.destination, {
        method: 'PUT',
        path: `/_matrix/federation/v1/send/${encodeURIComponent(txnId)}`,
        body,
        timeoutMs: this.s.requestTimeoutMs,
      })
      .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    // On stop the request is abandoned, not awaited: its items stay queued under the same
    // transaction id, which the destination deduplicates if it did get it.
    return Promise.race([request, this.s.stopped.then((): typeof STOPPED => STOPPED)]);
  }

  /**
   * Past the catch-up threshold, keeps only each room's newest waiting event: checked when
   * a transaction is made and after each failure, so the queue of a server that stays down
   * stays bounded too.
   */
  private async trimIfPastThreshold(tx: Tx): Promise<void> {
    const d = this.destination;
    const waiting = await store.countWaitingPdus(tx, d);
    if (waiting <= this.s.catchUpThreshold) return;
    const dropped = await store.keepNewestPduPerRoom(tx, d);
    tx.afterCommit(() =>
      this.s.log.warn(
        { destination: d, waiting, dropped },
        'outgoing queue past the catch-up threshold: only the newest event of each room is kept',
      ),
    );
  }

  private async recordFailure(forced: boolean): Promise<void> {
    const next = afterFailure(this.retry, this.ctx.clock.now(), this.s.backoff, { forced });
    await this.ctx.writer.transaction('federation_txn_failed', async (tx) => {
      await store.setRetryState(tx, this.destination, next);
      await this.trimIfPastThreshold(tx);
    });
    this.retry = next;
    this.s.log.info(
      { destination: this.destination, retryInMs: next.retryIntervalMs },
      'destination unreachable; backing off',
    );
    this.armTimer();
  }
}
