import { describe, expect, it } from 'vitest';
import type { Ctx } from '../../../server/context.js';
import { boundedLru } from '../../../server/core/cache.js';
import type { Tx } from '../../../server/db/sql.js';
import {
  cachedUnreadEntry,
  countInsertedActions,
  forgetRoomUnreadEntries,
  keepUnreadEntry,
  unreadEpoch,
  type UnreadEntry,
} from '../../../server/push/unread-cache.js';

/**
 * The rules of the in-memory unread counts that the /sync tests cannot time: a count read
 * across a commit is not kept, an insert at or below what an entry has counted (a replaced
 * row) or at or below the user's read position changes nothing, and a room's deletion
 * drops its entries. The /sync side is in test/integration/push/unread-counts.test.ts.
 */

const ROOM = '!r:test';
const USER = '@u:test';

/** Just what the cache uses of a context: its LRU. */
function testCtx(): Ctx {
  return { caches: { unreadCounts: boundedLru<string, UnreadEntry>(100) } } as unknown as Ctx;
}
/** A transaction that has committed: onCommit callbacks run at once. */
const committed = { onCommit: (f: () => void) => f() } as unknown as Tx;

function entry(read: ReadonlyMap<string, number>, countedTo: number, main = 0) {
  return {
    read,
    countedTo,
    threads: new Map(main ? [['main', { notifications: main, highlights: 0 }]] : []),
  };
}
const insert = (ctx: Ctx, streamOrdering: number, threadId = 'main', highlight = false) =>
  countInsertedActions(ctx, committed, { roomId: ROOM, streamOrdering }, [
    { userId: USER, threadId, highlight },
  ]);
const mainCount = (ctx: Ctx, read: ReadonlyMap<string, number>) =>
  cachedUnreadEntry(ctx, ROOM, USER, read)?.threads.get('main');

describe('unread cache', () => {
  it('keeps a count only when no push action committed while it was read', () => {
    const ctx = testCtx();
    const read = new Map([['', 5]]);
    const epoch = unreadEpoch(ctx);
    insert(ctx, 10); // commits between the read and the keep
    keepUnreadEntry(ctx, ROOM, USER, epoch, entry(read, 8, 1));
    expect(cachedUnreadEntry(ctx, ROOM, USER, read)).toBeUndefined();
    keepUnreadEntry(ctx, ROOM, USER, unreadEpoch(ctx), entry(read, 10, 2));
    expect(mainCount(ctx, read)).toEqual({ notifications: 2, highlights: 0 });
  });

  it('adds newer actions past the read position, once, and nothing else', () => {
    const ctx = testCtx();
    const read = new Map([
      ['', 5],
      ['$thread', 20],
    ]);
    keepUnreadEntry(ctx, ROOM, USER, unreadEpoch(ctx), entry(read, 12, 1));
    insert(ctx, 12); // a row already counted, replaced
    insert(ctx, 11); // below what was counted
    expect(mainCount(ctx, read)).toEqual({ notifications: 1, highlights: 0 });
    insert(ctx, 13, 'main', true);
    expect(mainCount(ctx, read)).toEqual({ notifications: 2, highlights: 1 });
    insert(ctx, 13, 'main', true); // the same again
    insert(ctx, 15, '$thread'); // before that thread's own receipt
    expect(mainCount(ctx, read)).toEqual({ notifications: 2, highlights: 1 });
    expect(cachedUnreadEntry(ctx, ROOM, USER, read)?.threads.has('$thread')).toBe(false);
    insert(ctx, 21, '$thread');
    expect(cachedUnreadEntry(ctx, ROOM, USER, read)?.threads.get('$thread')).toEqual({
      notifications: 1,
      highlights: 0,
    });
  });

  it('answers only for the same read positions, and not after the room was dropped', () => {
    const ctx = testCtx();
    const read = new Map([['', 5]]);
    keepUnreadEntry(ctx, ROOM, USER, unreadEpoch(ctx), entry(read, 8, 1));
    expect(cachedUnreadEntry(ctx, ROOM, USER, new Map([['', 5]]))).toBeUndefined();
    expect(mainCount(ctx, read)).toBeDefined();
    forgetRoomUnreadEntries(ctx, committed, ROOM);
    expect(cachedUnreadEntry(ctx, ROOM, USER, read)).toBeUndefined();
    // Kept again after the drop, it holds.
    keepUnreadEntry(ctx, ROOM, USER, unreadEpoch(ctx), entry(read, 8, 1));
    expect(mainCount(ctx, read)).toEqual({ notifications: 1, highlights: 0 });
  });
});
