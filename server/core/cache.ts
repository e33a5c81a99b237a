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

/** `baseSize` scaled by the cache's factor (its own, else the global one), at least `min`. */
export function cacheSize(factors: CacheFactors, name: string, baseSize: number, min = 1): number {
  const factor = factors.perCacheFactors[name] ?? factors.globalFactor;
  return Math.max(min, Math.round(baseSize * factor));
}

export function createCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(
  factors: CacheFactors,
  name: string,
  baseSize: number,
  ttlMs?: number,
): Cache<K, V> {
  return boundedLru<K, V>(cacheSize(factors, name, baseSize), ttlMs);
}

/**
 * An LRU cache of at most `max` entries that takes memory as it fills. lru-cache given
 * `max` allocates its arrays for all `max` entries at once (about 28 bytes each: a 10,000
 * entry cache is 280 KiB before it holds anything), and a fresh server holds a dozen of
 * them; bounded by a size of 1 an entry instead, its arrays grow with its contents.
 */
export function boundedLru<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(
  max: number,
  ttlMs?: number,
): Cache<K, V> {
  return new LRUCache<K, V>({
    maxSize: max,
    sizeCalculation: () => 1,
    ...(ttlMs ? { ttl: ttlMs } : {}),
  });
}

/**
 * A cache bounded by the summed size of its values (`sizeOf`, e.g. the entries of a room
 * state) rather than by their count, scaled by the same factors.
 */
export function createSizedCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(
  factors: CacheFactors,
  name: string,
  baseSize: number,
  sizeOf: (value: V) => number,
): Cache<K, V> {
  return new LRUCache<K, V>({
    maxSize: cacheSize(factors, name, baseSize),
    sizeCalculation: (v) => Math.max(1, sizeOf(v)),
  });
}
