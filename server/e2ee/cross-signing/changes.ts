import type { Ctx } from '../../context.js';
import { isUserOf } from '../../core/ids.js';
import type { Tx } from '../../db/sql.js';
import { announceSigningKeyUpdate } from '../federation/signing-key-update.js';
import { markDeviceListChanged, markRemoteDeviceListChanged } from '../device-lists.js';

/**
 * Who hears of a cross-signing change, called inside the writer unit that made it (spec:
 * "Cross-signing": the user appears in device_lists.changed of everyone sharing a room).
 */

/**
 * The user's own keys or signatures changed: `deviceIds` are the devices whose signatures
 * changed (empty for a change of cross-signing keys only); `signingKeys` is true when the
 * master or self-signing key (or the signatures on them) changed, which other servers learn
 * by an m.signing_key_update EDU.
 */
export async function noteOwnKeysChanged(
  ctx: Ctx,
  tx: Tx,
  userId: string,
  change: { deviceIds: readonly string[]; signingKeys: boolean },
): Promise<void> {
  await markDeviceListChanged(ctx, tx, userId, change.deviceIds);
  if (change.signingKeys) await announceSigningKeyUpdate(ctx, tx, userId);
}

/**
 * The signer's user-signing key signed (or stopped signing) `targetUserId`'s master key.
 * Only the signer sees that signature; the change is announced as a change of the target's
 * keys, so that the signer's other devices, which share a room with the target, query them
 * again (Synapse notifies only the signer, through a stream this server does not have).
 */
export async function noteOtherUserSigned(ctx: Ctx, tx: Tx, targetUserId: string): Promise<void> {
  if (isUserOf(targetUserId, ctx.config.serverName)) {
    await markDeviceListChanged(ctx, tx, targetUserId, []);
  } else {
    await markRemoteDeviceListChanged(ctx, tx, targetUserId);
  }
}
