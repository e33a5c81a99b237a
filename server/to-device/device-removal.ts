import type { Tx } from '../db/sql.js';
import * as store from './store.js';

/**
 * What goes of the to-device stream when devices are removed (logout, device deletion,
 * deactivation): their inboxes, as Synapse deletes them. A device id can be used again by a
 * later login, and that new session must not receive the old session's messages (room keys
 * meant for keys it does not hold). Called inside the removal's own writer unit.
 */

/** Deletes the inboxes of a user's devices `deviceIds`. */
export function deleteInboxesOf(
  tx: Tx,
  userId: string,
  deviceIds: readonly string[],
): Promise<void> {
  return store.deleteInboxesOfDevices(tx, userId, deviceIds);
}

/** Deletes the inboxes of every device of a user but `keep` (null: all of them). */
export function deleteInboxesExcept(tx: Tx, userId: string, keep: string | null): Promise<void> {
  return store.deleteInboxesOfUserExcept(tx, userId, keep);
}
