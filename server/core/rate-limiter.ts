import type { Clock } from './clock.js';
import type { LRUCache } from 'lru-cache';
import { boundedLru } from './cache.js';

export interface RateLimit {
  perSecond: number;
  burstCount: number;
}

interface Bucket {
  /** Actions counted so far, drained at perSecond. */
  level: number;
  at: number;
}

/**
 * Token-bucket rate limiting in Synapse's shape (`{per_second, burst_count}`): each action
 * adds one to a bucket that drains at per_second; an action that would overflow burst_count
 * is refused with the time until it would fit. Buckets are kept for the most recent keys only.
 */
export class RateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(
    private readonly clock: Clock,
    maxKeys = 100_000,
  ) {
    this.buckets = boundedLru(maxKeys);
  }

  /**
   * Counts one action under `key`. Returns 0 when allowed, else the milliseconds to wait
   * (and then nothing is counted). With `dryRun`, only answers.
   */
  take(key: string, limit: RateLimit, opts: { dryRun?: boolean; cost?: number } = {}): number {
    if (limit.perSecond <= 0 && limit.burstCount <= 0) return 0;
    const now = this.clock.now();
    const b = this.buckets.get(key) ?? { level: 0, at: now };
    const level = Math.max(0, b.level - ((now - b.at) / 1000) * limit.perSecond);
    const cost = opts.cost ?? 1;
    if (level + cost > limit.burstCount) {
      if (limit.perSecond <= 0) return 24 * 3600 * 1000;
      return Math.ceil(((level + cost - limit.burstCount) / limit.perSecond) * 1000);
    }
    if (!opts.dryRun) this.buckets.set(key, { level: level + cost, at: now });
    return 0;
  }

  /** Forgets `key`, as after a successful login clears the failed-attempts bucket. */
  reset(key: string): void {
    this.buckets.delete(key);
  }
}
