/**
 * When to restart a homeserver that went down, and when to give up: exponential backoff with
 * jitter, and a crash-loop limit. Pure functions over the recent history, so the numbers are
 * easy to check and to tune.
 */

export interface RestartPolicy {
  /** The first delay; each consecutive failure doubles it. */
  initialDelayMs: number;
  /** The largest delay. */
  maxDelayMs: number;
  /** A fraction: the delay is drawn from [d * (1 - jitter), d]. */
  jitter: number;
  /** A child that stayed up this long starts the backoff again from the first delay. */
  resetAfterMs: number;
  /** This many failures within `crashWindowMs` is a crash loop: no more restarts until retry(). */
  maxCrashes: number;
  crashWindowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  jitter: 0.2,
  resetAfterMs: 60_000,
  maxCrashes: 5,
  crashWindowMs: 5 * 60_000,
};

/**
 * The delay before restart number `consecutive` (1 for the first failure in a row).
 * Jitter only shortens it, so the cap is a true upper bound; `random` is in
 * [0, 1).
 */
export function restartDelay(policy: RestartPolicy, consecutive: number, random: number): number {
  const exp = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * 2 ** Math.max(0, consecutive - 1),
  );
  return Math.round(exp * (1 - policy.jitter * random));
}

/** True when the failures at `times` (ms timestamps) make a crash loop at `now`. */
export function isCrashLoop(policy: RestartPolicy, times: number[], now: number): boolean {
  return times.filter((t) => now - t <= policy.crashWindowMs).length >= policy.maxCrashes;
}
