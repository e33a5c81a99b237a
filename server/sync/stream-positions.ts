import type { Ctx } from '../context.js';

/**
 * The newest position of a stream, read once per commit and shared by every reader until
 * the next one. One send wakes hundreds of long-polls, resolved a batch per turn of the
 * event loop (notifier.ts), and the re-polls that follow arrive together: each pass read
 * the position of every stream (events, account data, receipts, to-device, presence,
 * device lists), a query each, although none had moved since the last pass read them.
 *
 * A position can move only by a commit, every commit is the writer's (db/writer.ts: the
 * one writer of the database; nothing writes beside it, the CLI included, which goes
 * through the HTTP API), and the writer counts its commits as it makes them
 * (Writer.commits, moved right after COMMIT, before anything else runs). So a value read
 * when the count was N is the stream's position for as long as the count stays N: it is
 * exact, not merely recent, and a reader after a commit reads the database again. (It was
 * kept for one turn of the event loop before, which read every position again for each
 * batch of a wake-up: 6 queries per batch, about 2 ms of a 500-poll wake-up.)
 *
 * Reads are on the read connection, which sees each commit as it is made and holds no
 * transaction open across reads (there are no read transactions in Hearth), so the value
 * is that of the commit count it was read at or of a later one; positions only grow, and
 * what a pass shows waits for its durability anyway (sync.ts).
 */

interface Positions {
  /** Writer.commits when they were read. */
  commits: number;
  byStream: Map<string, Promise<number>>;
}

/** Per server (keyed by its ctx, so test servers in one process stay apart). */
const held = new WeakMap<Ctx, Positions>();

/** The position `read` answers, shared with every caller naming `stream` until the next commit. */
export function positionAtCommit(
  ctx: Ctx,
  stream: string,
  read: () => Promise<number>,
): Promise<number> {
  const commits = ctx.writer.commits;
  let positions = held.get(ctx);
  if (!positions || positions.commits !== commits) {
    positions = { commits, byStream: new Map() };
    held.set(ctx, positions);
  }
  const byStream = positions.byStream;
  let value = byStream.get(stream);
  if (!value) {
    value = read();
    byStream.set(stream, value);
    // A failed read is not shared: the next caller asks the database again.
    value.catch(() => byStream.delete(stream));
  }
  return value;
}
