import { LRUCache } from 'lru-cache';

/**
 * Bounded in-memory caches. Every cache has a base size that is multiplied by the global
 * cache factor (Synapse's `caches.global_factor`, default from SYNAPSE_CACHE_FACTOR) or by a
 * per-cache factor, so one number trades RAM for speed.
 */
export interface CacheFactors {
  globalFactor: number;
  perCacheFactors: Record<string, number>;
}

export type Cache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> = LRUCache<K, V>;

export function createCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(
  factors: CacheFactors,
  name: string,
  baseSize: number,
  ttlMs?: number,
): Cache<K, V> {
  const factor = factors.perCacheFactors[name] ?? factors.globalFactor;
  const max = Math.max(1, Math.round(baseSize * factor));
  return new LRUCache<K, V>(ttlMs ? { max, ttl: ttlMs } : { max });
}
