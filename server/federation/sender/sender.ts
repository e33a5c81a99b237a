import type { Ctx } from '../../context.js';
import type { Logger } from '../../core/logger.js';
import type { FederationClient } from '../types.js';
import { DEFAULT_BACKOFF, UP, type BackoffPolicy, type RetryState } from './backoff.js';
import { DestinationQueue, type QueueSettings } from './destination-queue.js';
import { destinationsSharingRooms } from './destinations.js';
import { isFederationPaused, onFederationPauseChange } from '../pause.js';
import { sendableDestinations, setQueueListener } from './queue.js';
import * as store from './store.js';

export interface FederationSenderOptions {
  /** How requests reach other servers (server/federation/transport.ts in production). */
  client: FederationClient;
  /** Default: ctx.log with component "federation-sender". */
  log?: Logger;
  /** Default DEFAULT_BACKOFF: 5 s doubling to 1 h. */
  backoff?: Partial<BackoffPolicy>;
  /** How long one PUT /send may take (default 60 s, Synapse's federation client_timeout). */
  requestTimeoutMs?: number;
  /**
   * Waiting PDUs for one destination past which only each room's newest is kept (default
   * 5000, 100 transactions): the destination fetches the gap with /get_missing_events.
   */
  catchUpThreshold?: number;
  /** Typing notifications older than this are not sent (default 30 s). */
  typingTtlMs?: number;
  /** How many destinations a wake-up contacts at once (default 8). */
  wakeConcurrency?: number;
}

/**
 * The outgoing federation sender: one DestinationQueue per destination, fed by the
 * persistent queue (queue.ts puts items on it in their writer units and notifies the sender
 * registered for the context). See docs/federation.md, "Sending to other servers".
 *
 * Life cycle: `start()` once the database is open; `wake()` on resume from sleep;
 * `destinationIsUp(server)` when a signed request from that server arrives; `stop()` before
 * the database closes.
 */
export class FederationSender {
  private readonly queues = new Map<string, DestinationQueue>();
  private retryStates = new Map<string, RetryState>();
  private stopping = false;
  private signalStop!: () => void;
  private readonly settings: QueueSettings;
  private readonly wakeConcurrency: number;
  private started = false;
  private unsubscribePause: (() => void) | null = null;

  constructor(
    private readonly ctx: Ctx,
    opts: FederationSenderOptions,
  ) {
    const stopped = new Promise<void>((resolve) => (this.signalStop = resolve));
    this.settings = {
      client: opts.client,
      log: opts.log ?? ctx.log.child({ component: 'federation-sender' }),
      backoff: { ...DEFAULT_BACKOFF, ...opts.backoff },
      requestTimeoutMs: opts.requestTimeoutMs ?? 60_000,
      catchUpThreshold: opts.catchUpThreshold ?? 5_000,
      typingTtlMs: opts.typingTtlMs ?? 30_000,
      stopped,
      isStopped: () => this.stopping,
      isPaused: () => isFederationPaused(ctx),
    };
    this.wakeConcurrency = opts.wakeConcurrency ?? 8;
  }

  /**
   * Loads each destination's stored retry state, starts listening to the queue, and wakes
   * every destination (see wake). Resolves once the wake-up has run.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('the federation sender is already started');
    this.started = true;
    for (const row of await store.listDestinations(this.ctx.db)) {
      this.retryStates.set(row.destination, {
        failureTs: row.failure_ts,
        retryLastTs: row.retry_last_ts,
        retryIntervalMs: row.retry_interval_ms,
      });
    }
    setQueueListener(this.ctx, this);
    // Resuming after a pause sends what waited, as a wake-up from sleep does.
    this.unsubscribePause = onFederationPauseChange(this.ctx, (paused) => {
      if (!paused) {
        this.wake().catch((err: unknown) =>
          this.settings.log.error({ err }, 'the wake-up after a federation pause failed'),
        );
      }
    });
    await this.wake();
  }

  /**
   * Contacts every destination that shares a room with us or has anything queued, ignoring
   * backoff: sends what is queued, or an empty transaction (a signed request, which resets
   * the other side's backoff towards us). For start and for resume after sleep, when our
   * address may have changed and others may have given up on us. Resolves when every
   * destination has been tried (and, where it answered, sent its whole queue).
   */
  async wake(): Promise<void> {
    if (this.stopping || isFederationPaused(this.ctx)) return;
    const sharing = await destinationsSharingRooms(this.ctx);
    const queued = sendableDestinations(
      this.ctx,
      await store.listDestinationsWithQueue(this.ctx.db),
    );
    const all = [...new Set([...sharing, ...queued])];
    this.settings.log.info({ destinations: all.length }, 'waking federation destinations');
    let next = 0;
    const worker = async () => {
      while (next < all.length && !this.stopping) await this.queue(all[next++]!).poke(true);
    };
    await Promise.all(Array.from({ length: Math.min(this.wakeConcurrency, all.length) }, worker));
  }

  /** New items were queued for these destinations (called after their commit). */
  notify(destinations: readonly string[]): void {
    if (this.stopping) return;
    for (const d of destinations) void this.queue(d).poke(false);
  }

  /**
   * A request signed by `destination` reached us: it is up, so our backoff towards it is
   * cleared and its queue sent now, as Synapse does (its `notify_remote_server_up`). Cheap
   * when it is not backing off: nothing is written.
   */
  destinationIsUp(destination: string): void {
    if (this.stopping || destination === this.ctx.config.serverName) return;
    const q = this.queues.get(destination);
    const state = q?.retryState ?? this.retryStates.get(destination) ?? UP;
    if (state.retryIntervalMs === 0 && state.failureTs === null) return;
    this.queue(destination)
      .markUp()
      .catch((err: unknown) =>
        this.settings.log.error(
          { err, destination },
          'could not clear the backoff of a destination',
        ),
      );
  }

  /** The retry state of a destination as the sender holds it (for admin views and tests). */
  retryStateOf(destination: string): RetryState {
    return this.queues.get(destination)?.retryState ?? this.retryStates.get(destination) ?? UP;
  }

  /**
   * Stops sending: requests in flight are abandoned (their items stay queued, under the
   * same transaction id, for the next start), timers cleared, and it resolves once no loop
   * touches the database any more. Nothing queued is lost.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.unsubscribePause?.();
    this.signalStop();
    setQueueListener(this.ctx, null);
    await Promise.all([...this.queues.values()].map((q) => q.settle()));
  }

  private queue(destination: string): DestinationQueue {
    let q = this.queues.get(destination);
    if (!q) {
      const state = this.retryStates.get(destination) ?? UP;
      q = new DestinationQueue(this.ctx, destination, state, this.settings);
      this.queues.set(destination, q);
    }
    return q;
  }
}

/** Creates and starts the sender of a context (see FederationSender). */
export async function startFederationSender(
  ctx: Ctx,
  opts: FederationSenderOptions,
): Promise<FederationSender> {
  const sender = new FederationSender(ctx, opts);
  await sender.start();
  return sender;
}
