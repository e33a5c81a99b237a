import type { Tx } from '../../db/sql.js';
import * as store from './store.js';

/**
 * Deletes every key backup of a user being deactivated, inside the deactivation's unit: the
 * spec's deactivation removes the user's devices and keys, and Synapse deletes the backups
 * too (matrix-org/synapse#15181). Version numbers stay taken.
 */
export async function deleteBackupsOfUser(tx: Tx, userId: string): Promise<void> {
  await store.deleteAllOfUser(tx, userId);
}
