/**
 * When to renew, retry and warn: pure functions of the certificate's dates and the clock.
 * docs/certificates.md "Renewal".
 */

export const DAY_MS = 86_400_000;

/** Warn the person (log and status) from this many days before expiry when not renewed. */
export const WARN_DAYS = 14;

/**
 * When to renew a certificate valid from `notBefore` to `notAfter`: once a third of its
 * lifetime remains (Let's Encrypt's advice, and what keeps working as lifetimes shrink to
 * 45 days and less), or `thresholdDays` before expiry when that comes earlier.
 */
export function renewalTime(
  notBefore: number,
  notAfter: number,
  thresholdDays: number | null,
): number {
  const third = notAfter - (notAfter - notBefore) / 3;
  return thresholdDays === null ? third : Math.min(third, notAfter - thresholdDays * DAY_MS);
}

export interface BackoffPolicy {
  /** The wait after the first failure; it doubles after each further one. */
  baseMs: number;
  maxMs: number;
}

/** Wait a minute after the first failure, doubling up to six hours. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 60_000, maxMs: 6 * 3_600_000 };

/**
 * How long to wait after `failures` failures in a row (at least 1); a certificate
 * authority's Retry-After (rate limits) wins when it asks for longer.
 */
export function retryDelay(
  failures: number,
  policy: BackoffPolicy,
  retryAfterMs: number | null,
): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.max(exp, retryAfterMs ?? 0);
}

/** Whole days left before `notAfter` (rounded down, never negative). */
export function daysLeft(notAfter: number, now: number): number {
  return Math.max(0, Math.floor((notAfter - now) / DAY_MS));
}
