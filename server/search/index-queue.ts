import type { Ctx } from '../context.js';
import { movePendingSearchText } from './store.js';

/**
 * When search text enters the FTS5 index. An event's text is queued in its own writer unit
 * (event_search_pending, migration 0023) and moves into the index in batches: shortly after
 * (FLUSH_DELAY_MS, so a burst of events shares one index commit), and always before a search
 * reads the index, so a search sees every event committed before it. FTS5 writes a new
 * segment at each commit that touched it; with the index written beside each event, that
 * was most of an event's commit.
 */

/** How long queued text may wait for companions before it is indexed. */
const FLUSH_DELAY_MS = 100;
/** Rows moved per writer unit, so one unit never holds the writer long. */
const BATCH_ROWS = 2_000;

interface QueueState {
  /** Text may be queued that is not indexed yet (true at start: rows left by a crash). */
  dirty: boolean;
  timer: NodeJS.Timeout | null;
  /** The flush running now, if any. */
  running: Promise<void> | null;
}

const states = new WeakMap<Ctx, QueueState>();

function stateOf(ctx: Ctx): QueueState {
  let s = states.get(ctx);
  if (!s) states.set(ctx, (s = { dirty: true, timer: null, running: null }));
  return s;
}

/** Called once text was queued and committed: indexes it soon. */
export function searchTextQueued(ctx: Ctx): void {
  const s = stateOf(ctx);
  s.dirty = true;
  if (s.timer) return;
  s.timer = setTimeout(() => {
    s.timer = null;
    flushSearchIndex(ctx).catch((err: unknown) => {
      // A closed writer (the server is stopping) leaves the rows queued for the next start.
      ctx.log.debug({ err }, 'search index flush did not run');
    });
  }, FLUSH_DELAY_MS);
  s.timer.unref();
}

/** Moves every queued text into the index; resolves once what was committed before is in. */
export async function flushSearchIndex(ctx: Ctx): Promise<void> {
  const s = stateOf(ctx);
  // A flush already running may have read the queue before the latest rows: wait, then look.
  while (s.running) await s.running;
  if (!s.dirty) return;
  s.dirty = false;
  s.running = (async () => {
    let moved = BATCH_ROWS;
    while (moved === BATCH_ROWS) {
      moved = await ctx.writer.transaction('search_index_flush', (tx) =>
        movePendingSearchText(tx, BATCH_ROWS),
      );
    }
  })();
  try {
    await s.running;
  } catch (err) {
    s.dirty = true;
    throw err;
  } finally {
    s.running = null;
  }
}
