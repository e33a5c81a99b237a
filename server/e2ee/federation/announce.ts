import type { Ctx } from '../../context.js';
import type { Tx } from '../../db/sql.js';

/**
 * Tells the other servers that share a room with local user `userId` that devices `deviceIds`
 * changed (new or changed keys, new display name, deleted): one m.device_list_update EDU per
 * device, with a stream_id increasing per user and prev_id chaining them, queued inside the
 * writer unit `tx` and sent once it commits. Called by markDeviceListChanged.
 * INTERFACE STUB (owner: federation-keys engineer).
 */
export async function announceDeviceListChange(
  _ctx: Ctx,
  _tx: Tx,
  _userId: string,
  _deviceIds: readonly string[],
): Promise<void> {}
