/**
 * When to try a destination again, and what an answer to PUT /send means for the queue.
 * Pure functions; the rules follow Synapse (synapse/util/retryutils.py and
 * federation/sender/transaction_manager.py), with a shorter schedule: see
 * docs/federation.md, "Sending to other servers".
 */

export interface BackoffPolicy {
  /** The wait after the first failure. */
  minMs: number;
  /** What each further failure multiplies the wait by. */
  multiplier: number;
  /** The longest wait. */
  maxMs: number;
}

/** 5 s, doubling, at most 1 h: a home server that was asleep is found again quickly. */
export const DEFAULT_BACKOFF: BackoffPolicy = { minMs: 5_000, multiplier: 2, maxMs: 3_600_000 };

/** A destination's retry state, as stored in federation_destinations. */
export interface RetryState {
  /** When the current run of failures started; null while the destination is up. */
  failureTs: number | null;
  /** When the last failed attempt was made; 0 while up. */
  retryLastTs: number;
  /** How long after retryLastTs the next attempt is due; 0 while up. */
  retryIntervalMs: number;
}

export const UP: RetryState = { failureTs: null, retryLastTs: 0, retryIntervalMs: 0 };

export function isUp(s: RetryState): boolean {
  return s.retryIntervalMs === 0 && s.failureTs === null;
}

/** When the next attempt is due (0: now). */
export function dueAt(s: RetryState): number {
  return s.retryIntervalMs === 0 ? 0 : s.retryLastTs + s.retryIntervalMs;
}

/**
 * The state after a failed attempt at `now`. A scheduled retry multiplies the wait; a forced
 * attempt (start, resume, the other server calling us) keeps it, as Synapse's
 * `ignore_backoff` does, so a few wake-ups cannot push a briefly unreachable server to the
 * longest wait. Either way a first failure waits `minMs`.
 */
export function afterFailure(
  s: RetryState,
  now: number,
  policy: BackoffPolicy,
  opts: { forced: boolean },
): RetryState {
  let interval: number;
  if (s.retryIntervalMs === 0) interval = policy.minMs;
  else if (opts.forced) interval = s.retryIntervalMs;
  else interval = Math.min(policy.maxMs, Math.round(s.retryIntervalMs * policy.multiplier));
  return { failureTs: s.failureTs ?? now, retryLastTs: now, retryIntervalMs: interval };
}

/**
 * What an answer to PUT /send/{txnId} means for the transaction:
 * - `delivered`: 2xx; its items leave the queue (per-PDU errors in the body do not change that);
 * - `retry`: 5xx, 401 (they do not accept our signature yet), 404 (the server is gone or
 *   not yet set up: Synapse backs off on 404 for /send) and 429 (rate limited): the items
 *   stay, the destination backs off;
 * - `undeliverable`: any other 4xx: the request itself is refused and sending it again
 *   cannot help, so its items are dropped (logged) and the queue moves on, as Synapse does.
 *   The server did answer, so its backoff is reset.
 * Anything else (1xx, 3xx) is treated as `retry`.
 */
export type Verdict = 'delivered' | 'retry' | 'undeliverable';

export function judgeStatus(status: number): Verdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 401 || status === 404 || status === 429) return 'retry';
  if (status >= 400 && status < 500) return 'undeliverable';
  return 'retry';
}
