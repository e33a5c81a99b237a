import type { Ctx } from '../../context.js';
import { boundedLru } from '../../core/cache.js';
import type { Cache } from '../../core/cache.js';
import type { Tx } from '../../db/sql.js';
import * as store from './store.js';

/**
 * A device's one-time key counts and unused fallback key types, which every /sync of the
 * device answers with. They change only when the device uploads keys, someone claims one, or
 * the device goes, so they are kept in memory between those: a woken long-poll no longer
 * reads them (it was about 6% of the CPU of waking 500 long-polls).
 *
 * Consistency: every change calls keyCountsChanged inside its writer unit, which drops the
 * entry once the unit commits and counts a generation; a read stores what it read only if no
 * change committed while it read, so a count read before a commit never outlives it.
 */

export interface KeyCounts {
  /** algorithm -> unclaimed one-time keys */
  oneTimeKeys: Readonly<Record<string, number>>;
  /** algorithms of the unused fallback keys, sorted */
  unusedFallbackTypes: readonly string[];
}

interface CountsCache {
  entries: Cache<string, KeyCounts>;
  generation: number;
}

const caches = new WeakMap<Ctx, CountsCache>();
const MAX_DEVICES = 10_000;

function cacheOf(ctx: Ctx): CountsCache {
  let c = caches.get(ctx);
  if (!c) caches.set(ctx, (c = { entries: boundedLru(MAX_DEVICES), generation: 0 }));
  return c;
}

const keyOf = (userId: string, deviceId: string) => `${userId}\0${deviceId}`;

/** The key counts of a device, from memory when nothing changed since they were read. */
export async function keyCountsOf(ctx: Ctx, userId: string, deviceId: string): Promise<KeyCounts> {
  const cached = knownKeyCounts(ctx, userId, deviceId);
  if (cached) return cached;
  const c = cacheOf(ctx);
  const key = keyOf(userId, deviceId);
  const generation = c.generation;
  const oneTimeKeys: Record<string, number> = {};
  const fallback: string[] = [];
  for (const r of await store.getKeyCountsForSync(ctx.db, userId, deviceId)) {
    if (r.fallback) fallback.push(r.algorithm);
    else oneTimeKeys[r.algorithm] = r.n;
  }
  const counts: KeyCounts = { oneTimeKeys, unusedFallbackTypes: fallback.sort() };
  if (c.generation === generation) c.entries.set(key, counts);
  return counts;
}

/** keyCountsOf's answer when it is in memory (no read, no await), else undefined. */
export function knownKeyCounts(ctx: Ctx, userId: string, deviceId: string): KeyCounts | undefined {
  return cacheOf(ctx).entries.get(keyOf(userId, deviceId));
}

/** Called inside a writer unit that changes the keys of `deviceIds` of `userId`. */
export function keyCountsChanged(
  ctx: Ctx,
  tx: Tx,
  userId: string,
  deviceIds: readonly string[],
): void {
  tx.afterCommit(() => {
    const c = cacheOf(ctx);
    c.generation++;
    for (const d of deviceIds) c.entries.delete(keyOf(userId, d));
  });
}
