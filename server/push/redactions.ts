import type { Tx } from '../db/sql.js';
import * as store from './store.js';

/**
 * Called by the rooms domain when a redaction takes effect, inside the redaction's own
 * transaction: the redacted event stops notifying anyone, so it leaves every member's
 * unread notification and highlight counts (as Synapse removes its push actions).
 */
export function forgetPushActionsOfRedacted(
  tx: Tx,
  roomId: string,
  eventId: string,
): Promise<void> {
  return store.deletePushActionsOfEvent(tx, roomId, eventId);
}
