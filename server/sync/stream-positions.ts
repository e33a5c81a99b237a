import type { Ctx } from '../context.js';

/**
 * The newest position of a stream, read once per turn of the event loop and shared by the
 * /sync passes of that turn. One send wakes hundreds of long-polls, resolved a batch per
 * turn (notifier.ts), and the re-polls that follow arrive together: each pass read the
 * position of every stream (events, account data, receipts, to-device, presence), a
 * query each, although none moved in between.
 *
 * A shared position is at most one turn old, as if the pass had read it a moment earlier:
 * a pass reads each stream's changes only up to the positions it puts in its token, so a
 * later write is not lost but comes in the next pass. A commit's wake-up comes after it
 * (notify runs in the commit's afterCommit, and wakes waiters in later turns), and a
 * value is dropped at the end of the turn it was read in, before any turn scheduled after
 * it, so a woken pass reads positions that include the commit that woke it; and every
 * notification (made after each commit that has something to tell) drops them at once, so
 * a pass that starts after one reads the database again. The check a long-poll makes
 * before it waits (sync.ts waitForChange) shares it too: the wait is registered first, so
 * a commit notified after the read wakes it, and one notified before it changed the
 * generation, so the check reads the database.
 */

interface Positions {
  /** The notifier's generation when they were read. */
  generation: number;
  byStream: Map<string, Promise<number>>;
}

/** Per server (keyed by its ctx, so test servers in one process stay apart). */
const turns = new WeakMap<Ctx, Positions>();

/** The position `read` answers, shared with every caller naming `stream` in this turn. */
export function positionThisTurn(
  ctx: Ctx,
  stream: string,
  read: () => Promise<number>,
): Promise<number> {
  let positions = turns.get(ctx);
  if (!positions || positions.generation !== ctx.notifier.generation) {
    const fresh: Positions = { generation: ctx.notifier.generation, byStream: new Map() };
    turns.set(ctx, (positions = fresh));
    // Dropped before any callback scheduled after the first read of this turn runs.
    setImmediate(() => {
      if (turns.get(ctx) === fresh) turns.delete(ctx);
    });
  }
  const byStream = positions.byStream;
  let held = byStream.get(stream);
  if (!held) {
    held = read();
    byStream.set(stream, held);
    // A failed read is not shared: the next caller asks the database again.
    held.catch(() => byStream.delete(stream));
  }
  return held;
}
