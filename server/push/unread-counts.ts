import type { Ctx } from '../context.js';
import { getReadPositionsInRooms, knownReadPositions } from '../userdata/receipts.js';
import * as store from './store.js';
import { MAIN_THREAD } from './thread.js';
import {
  cachedUnreadEntry,
  keepUnreadEntry,
  unreadEpoch,
  type UnreadEntry,
} from './unread-cache.js';

/**
 * The unread notification counts of a room for /sync (client-server API, "Receiving
 * notifications", "Marking notifications as read", "Threaded read receipts"): the user's
 * push actions (push-actions.ts) after how far they have read. A thread's events count
 * after the later of the unthreaded receipt and that thread's own receipt (`main` for the
 * main timeline); `m.read` and `m.read.private` both count, whichever is ahead.
 */

export interface NotificationCountsJson {
  notification_count: number;
  highlight_count: number;
}

export interface UnreadCounts {
  unread_notifications: NotificationCountsJson;
  /** By thread root id, only threads with notifications; absent when there are none. */
  unread_thread_notifications?: Record<string, NotificationCountsJson>;
}

/**
 * A user's unread counts in each of `roomIds` (a /sync answer's joined rooms), by room id,
 * with the read receipts of all of them in one query. With `perThread` (the sync filter's
 * `unread_thread_notifications`), threads are counted apart from the main timeline, as
 * the spec defines; without, all of them go into `unread_notifications`, as for clients
 * that do not know threads (and as Synapse does). Counts come from unread-cache.ts when it
 * holds them for the same read positions, else from the database (and are kept there).
 */
export async function getUnreadCountsInRooms(
  ctx: Ctx,
  userId: string,
  roomIds: readonly string[],
  opts: { perThread: boolean },
): Promise<Map<string, UnreadCounts>> {
  const read = await getReadPositionsInRooms(ctx, userId, roomIds);
  const out = new Map<string, UnreadCounts>();
  for (const roomId of roomIds) {
    const positions = read.get(roomId) ?? NOTHING_READ;
    const entry =
      cachedUnreadEntry(ctx, roomId, userId, positions) ??
      (await countEntry(ctx, userId, roomId, positions));
    out.set(roomId, countsJson(entry.threads, opts));
  }
  return out;
}

/**
 * getUnreadCountsInRooms's answer when memory holds all of it (each room's read positions
 * and its counts for them), without a read or an await; else undefined. What a woken
 * long-poll asks first.
 */
export function knownUnreadCounts(
  ctx: Ctx,
  userId: string,
  roomIds: readonly string[],
  opts: { perThread: boolean },
): Map<string, UnreadCounts> | undefined {
  const out = new Map<string, UnreadCounts>();
  for (const roomId of roomIds) {
    const positions = knownReadPositions(ctx, userId, roomId);
    const entry = positions && cachedUnreadEntry(ctx, roomId, userId, positions);
    if (!entry) return undefined;
    out.set(roomId, countsJson(entry.threads, opts));
  }
  return out;
}

const NOTHING_READ: ReadonlyMap<string, number> = new Map();

/**
 * Counts a room's push actions for the user after how far they have read it, per thread
 * (a thread's own receipt counts when it is ahead of the unthreaded one), and keeps the
 * count in unread-cache.ts unless a push-action write committed meanwhile.
 */
async function countEntry(
  ctx: Ctx,
  userId: string,
  roomId: string,
  read: ReadonlyMap<string, number>,
): Promise<Omit<UnreadEntry, 'roomGen'>> {
  const epoch = unreadEpoch(ctx);
  const unthreaded = read.get('') ?? 0;
  const rows = await store.countPushActionsAfter(ctx.db, { userId, roomId, after: unthreaded });
  const threads: UnreadEntry['threads'] = new Map();
  let countedTo = unthreaded;
  for (const row of rows) {
    countedTo = Math.max(countedTo, row.last);
    let counts = { notifications: row.notifications, highlights: row.highlights };
    const threadRead = read.get(row.thread_id) ?? 0;
    if (threadRead > unthreaded) {
      counts = await store.countThreadPushActionsAfter(ctx.db, {
        userId,
        roomId,
        threadId: row.thread_id,
        after: threadRead,
      });
    }
    if (counts.notifications > 0) threads.set(row.thread_id, counts);
  }
  const entry = { read, countedTo, threads };
  keepUnreadEntry(ctx, roomId, userId, epoch, entry);
  return entry;
}

/** The counts of a room as /sync shows them, from its per-thread counts. */
function countsJson(
  threadCounts: UnreadEntry['threads'],
  opts: { perThread: boolean },
): UnreadCounts {
  const main: NotificationCountsJson = { notification_count: 0, highlight_count: 0 };
  const threads: Record<string, NotificationCountsJson> = {};
  for (const [threadId, counts] of threadCounts) {
    if (counts.notifications === 0) continue;
    if (opts.perThread && threadId !== MAIN_THREAD) {
      threads[threadId] = {
        notification_count: counts.notifications,
        highlight_count: counts.highlights,
      };
    } else {
      main.notification_count += counts.notifications;
      main.highlight_count += counts.highlights;
    }
  }
  return Object.keys(threads).length
    ? { unread_notifications: main, unread_thread_notifications: threads }
    : { unread_notifications: main };
}
