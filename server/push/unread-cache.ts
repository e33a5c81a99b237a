import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';

/**
 * The unread counts of (room, local user) pairs, kept in memory so that /sync does not
 * count push actions again on every pass. A message in a room of 500 members wakes 500
 * long-polls, and each of them used to count its user's actions after their read receipt
 * (one query each: the largest part of a woken pass). Now the message's own push actions
 * are added to the entries as they commit, and a woken pass reads its counts from here.
 *
 * An entry holds what unread-counts.ts would count in the database now: per thread, the
 * user's push actions after their read position in that thread, with the read positions
 * it counted from and the newest stream position it has counted (`countedTo`).
 *
 * Invariant: an entry equals a fresh count from the database, because
 * - every push action inserted since is added to it, at the commit that inserts it, in
 *   the same synchronous step (Tx.onCommit), so no reader sees the row without the entry
 *   moving with it; an insert at or below `countedTo` replaces a row already counted
 *   (stream positions only grow in commit order) and changes nothing;
 * - every deletion of push actions drops the entries it may touch at its commit: the
 *   user's in the room (the sender's own event marks their thread read), or all of the
 *   room's (a redaction, a purge) by moving the room's generation;
 * - it is used only with the very read positions it counted from: the read-position cache
 *   (userdata/receipts.ts) replaces its object when a receipt moves, and the counts are
 *   then read again;
 * - it is stored only when no push-action write committed while it was being read (the
 *   epoch), so a count read on one side of a commit is never kept as the other side's.
 */
export interface UnreadEntry {
  /** The read positions counted from (the read-position cache's object, by identity). */
  read: ReadonlyMap<string, number>;
  /** The room's generation when counted (moves when its push actions are deleted). */
  roomGen: number;
  countedTo: number;
  /** thread id -> notifications and highlights after the user's read position in it */
  threads: Map<string, { notifications: number; highlights: number }>;
}

interface UnreadState {
  /** Moves on every commit that writes push actions: see the stored-only-if rule. */
  epoch: number;
  /** room id -> generation, moved when push actions of the room are deleted. */
  roomGens: Map<string, number>;
}

const states = new WeakMap<Ctx, UnreadState>();

function stateOf(ctx: Ctx): UnreadState {
  let s = states.get(ctx);
  if (!s) states.set(ctx, (s = { epoch: 0, roomGens: new Map() }));
  return s;
}

const keyOf = (roomId: string, userId: string) => `${roomId}\u0000${userId}`;

/** The position a reader takes before counting, to pass to `keepUnreadEntry`. */
export function unreadEpoch(ctx: Ctx): number {
  return stateOf(ctx).epoch;
}

/** The user's entry for the room when it still holds for these read positions. */
export function cachedUnreadEntry(
  ctx: Ctx,
  roomId: string,
  userId: string,
  read: ReadonlyMap<string, number>,
): UnreadEntry | undefined {
  const entry = ctx.caches.unreadCounts.get(keyOf(roomId, userId));
  if (!entry || entry.read !== read) return undefined;
  if (entry.roomGen !== (stateOf(ctx).roomGens.get(roomId) ?? 0)) return undefined;
  return entry;
}

/** A freshly counted entry, kept only when no push-action write committed since `epoch`. */
export function keepUnreadEntry(
  ctx: Ctx,
  roomId: string,
  userId: string,
  epoch: number,
  entry: Omit<UnreadEntry, 'roomGen'>,
): void {
  const state = stateOf(ctx);
  if (state.epoch !== epoch) return;
  ctx.caches.unreadCounts.set(keyOf(roomId, userId), {
    ...entry,
    roomGen: state.roomGens.get(roomId) ?? 0,
  });
}

/** At the commit of an event's push actions: each notified user's entry counts it. */
export function countInsertedActions(
  ctx: Ctx,
  tx: Tx,
  ev: { roomId: string; streamOrdering: number },
  rows: readonly { userId: string; threadId: string; highlight: boolean }[],
): void {
  if (!rows.length) return;
  tx.onCommit(() => {
    const state = stateOf(ctx);
    state.epoch++;
    const gen = state.roomGens.get(ev.roomId) ?? 0;
    for (const row of rows) {
      const entry = ctx.caches.unreadCounts.peek(keyOf(ev.roomId, row.userId));
      if (!entry || entry.roomGen !== gen || ev.streamOrdering <= entry.countedTo) continue;
      entry.countedTo = ev.streamOrdering;
      const unthreaded = entry.read.get('') ?? 0;
      const threadRead = entry.read.get(row.threadId) ?? 0;
      if (ev.streamOrdering <= Math.max(unthreaded, threadRead)) continue;
      const counts = entry.threads.get(row.threadId);
      if (counts) {
        counts.notifications++;
        if (row.highlight) counts.highlights++;
      } else {
        entry.threads.set(row.threadId, { notifications: 1, highlights: row.highlight ? 1 : 0 });
      }
    }
  });
}

/** At the commit of a deletion of one user's push actions in a room: their entry goes. */
export function forgetUserUnreadEntry(ctx: Ctx, tx: Tx, roomId: string, userId: string): void {
  tx.onCommit(() => {
    stateOf(ctx).epoch++;
    ctx.caches.unreadCounts.delete(keyOf(roomId, userId));
  });
}

/** At the commit of a deletion of push actions of any users in a room: all entries go. */
export function forgetRoomUnreadEntries(ctx: Ctx, tx: Tx, roomId: string): void {
  tx.onCommit(() => {
    const state = stateOf(ctx);
    state.epoch++;
    state.roomGens.set(roomId, (state.roomGens.get(roomId) ?? 0) + 1);
  });
}
