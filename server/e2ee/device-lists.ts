import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';

/**
 * Records that a local user's device list or keys changed, inside the writer unit that made
 * the change: the user appears in device_lists.changed of /sync and /keys/changes for everyone
 * who shares a room with them (and for themselves), and other servers sharing a room get an
 * m.device_list_update EDU per device in `deviceIds` once the unit commits (an empty list: only
 * the local stream, e.g. for a new cross-signing key, which goes out as m.signing_key_update).
 * INTERFACE STUB: the body is filled in with the device-list stream.
 */
export async function markDeviceListChanged(
  _ctx: Ctx,
  _tx: Tx,
  _userId: string,
  _deviceIds: readonly string[],
): Promise<void> {}

/**
 * Records that a remote user's device list changed (an m.device_list_update or
 * m.signing_key_update was applied, or a resync read it): local users sharing a room with them
 * see them in device_lists.changed. Called inside the writer unit that applied it.
 * INTERFACE STUB.
 */
export async function markRemoteDeviceListChanged(
  _ctx: Ctx,
  _tx: Tx,
  _userId: string,
): Promise<void> {}
