import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import * as store from './store.js';
import { forgetRoomUnreadEntries } from './unread-cache.js';

/**
 * Called by the rooms domain when a redaction takes effect, inside the redaction's own
 * transaction: the redacted event stops notifying anyone, so it leaves every member's
 * unread notification and highlight counts (as Synapse removes its push actions).
 */
export function forgetPushActionsOfRedacted(
  ctx: Ctx,
  tx: Tx,
  roomId: string,
  eventId: string,
): Promise<void> {
  forgetRoomUnreadEntries(ctx, tx, roomId);
  return store.deletePushActionsOfEvent(tx, roomId, eventId);
}
