import type { Ctx } from '../context.js';
import * as backup from '../e2ee/backup/store.js';
import * as events from '../events/store.js';
import * as outbox from '../federation/sender/store.js';
import * as remoteMemberships from '../federation/membership/store.js';
import * as push from '../push/store.js';
import { forgetRoomUnreadEntries } from '../push/unread-cache.js';
import * as relations from '../relations/store.js';
import * as reports from '../rooms/reports-store.js';
import * as rooms from '../rooms/store.js';
import * as userdata from '../userdata/store.js';
import { tablesWithRoomRows } from './purge-store.js';

/**
 * Deletes every row of a room from the database, in one writer unit, inside the room's
 * queue (no event of the room is being persisted meanwhile). Each domain deletes its own
 * tables (docs/admin-api.md "What a purge removes"); event- and stream-keyed rows go with
 * the room's events, and the event, receipt and account data streams keep their newest
 * positions so clients synced past them miss nothing after. Only the blocked_rooms row
 * stays (a purged room stays blocked). Returns the local aliases it removed.
 */
export async function purgeRoom(ctx: Ctx, roomId: string): Promise<string[]> {
  return ctx.roomQueue.run(roomId, () =>
    ctx.writer.transaction('admin_purge_room', async (tx) => {
      const newestEvent = await events.getMaxStreamOrdering(tx);
      // Before the events: their rows find the room's transaction ids.
      const sentWithTxn = await events.deleteRoomClientTxns(tx, roomId);
      tx.onCommit(() => ctx.clientTxns.forgetRows(sentWithTxn));
      const groups = await events.deleteRoomEvents(tx, roomId);
      await events.holdStreamOrdering(tx, newestEvent);
      const aliases = await rooms.deleteRoomRows(tx, roomId);
      await userdata.deleteRoomUserData(tx, roomId);
      await push.deleteRoomPushActions(tx, roomId);
      forgetRoomUnreadEntries(ctx, tx, roomId);
      await relations.deleteRoomRelations(tx, roomId);
      await reports.deleteRoomReports(tx, roomId);
      await outbox.deleteRoomOutboxPdus(tx, roomId);
      await remoteMemberships.deleteRoomRemoteMemberships(tx, roomId);
      await backup.deleteRoomSessions(tx, roomId);
      // A table added later whose domain does not take part yet: say so, loudly.
      const left = await tablesWithRoomRows(tx, roomId, ['blocked_rooms']);
      if (left.length) {
        ctx.log.error({ roomId, tables: left }, 'room purge left rows in tables it does not know');
      }
      tx.afterCommit(() => {
        // State group ids are rowids: a new group may reuse a deleted one's id.
        for (const g of groups) ctx.caches.stateGroups.delete(g);
        for (const key of [...ctx.caches.readPositions.keys()]) {
          if (key.endsWith(`\0${roomId}`)) ctx.caches.readPositions.delete(key);
        }
        ctx.roomHeads.forget(roomId);
      });
      ctx.log.info({ roomId, stateGroups: groups.length }, 'room purged');
      return aliases;
    }),
  );
}
