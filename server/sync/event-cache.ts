import type { Ctx } from '../context.js';
import { createCache, type Cache } from '../core/cache.js';
import { redactionState } from '../rooms/timeline-store.js';
import * as store from './sync-store.js';
import type { ServedPosition } from './sync-store.js';

/**
 * Where served events are (position, state group, redaction), by event id. Only
 * `redacted_by` of these ever changes, so a copy is good while the redaction state is
 * where it was when the copy was read (rooms/timeline-store.ts, redactionState). An
 * initial sync reads the whole state of every room: thousands of these rows each time.
 */
interface KnownPosition {
  position: ServedPosition;
  epoch: number;
}

const positionCaches = new WeakMap<Ctx, Cache<string, KnownPosition>>();

function positionCacheOf(ctx: Ctx): Cache<string, KnownPosition> {
  let cache = positionCaches.get(ctx);
  if (!cache) {
    cache = createCache<string, KnownPosition>(ctx.config.caches, 'event_positions', 50_000);
    positionCaches.set(ctx, cache);
  }
  return cache;
}

/**
 * The served events among `eventIds`, in stream order (ids of unknown, outlier or rejected
 * events are left out), as getServedPositions reads them; the copies kept from earlier
 * reads when no redaction happened since.
 */
export async function getServedPositions(
  ctx: Ctx,
  eventIds: readonly string[],
): Promise<ServedPosition[]> {
  const cache = positionCacheOf(ctx);
  // Taken before the read: a redaction marked after this moves the epoch, so what is read
  // now is not trusted after it; one marked but not committed before it leaves it unsettled.
  const { epoch, settled } = redactionState();
  const out: ServedPosition[] = [];
  const missing: string[] = [];
  for (const id of eventIds) {
    const known = settled ? cache.get(id) : undefined;
    if (known && known.epoch === epoch) out.push(known.position);
    else missing.push(id);
  }
  if (missing.length) {
    const read = await store.getServedPositions(ctx.db, missing);
    if (settled) for (const position of read) cache.set(position.event_id, { position, epoch });
    out.push(...read);
  }
  return out.sort((a, b) => a.stream_ordering - b.stream_ordering);
}
