import type { Ctx } from '../../context.js';
import type { Tx } from '../../db/sql.js';
import { destinationsForUser } from '../../federation/sender/destinations.js';
import { signingKeyUpdateEdu } from '../../federation/sender/edus.js';
import { queueEduForDestinations } from '../../federation/sender/queue.js';
import { crossSigningKeysForQuery } from '../cross-signing/for-query.js';
import { readingThrough } from './announce.js';

/**
 * Tells the other servers that share a room with local user `userId` of the user's current
 * master and self-signing keys: one m.signing_key_update EDU (server-server "End-to-End
 * Encryption"), queued inside the writer unit `tx` that changed them and sent once it
 * commits. The user-signing key never leaves this server (only its owner may see it).
 * Nothing is sent when no server shares a room or the user has neither key. For the
 * cross-signing work to call after POST /keys/device_signing/upload.
 */
export async function announceSigningKeyUpdate(ctx: Ctx, tx: Tx, userId: string): Promise<void> {
  const inUnit = readingThrough(ctx, tx);
  const destinations = await destinationsForUser(inUnit, userId);
  if (!destinations.length) return;
  const keys = await crossSigningKeysForQuery(inUnit, null, [userId]);
  const master = keys.master_keys[userId];
  const selfSigning = keys.self_signing_keys[userId];
  if (!master && !selfSigning) return;
  const content: Record<string, unknown> = { user_id: userId };
  if (master) content.master_key = master;
  if (selfSigning) content.self_signing_key = selfSigning;
  await queueEduForDestinations(ctx, tx, signingKeyUpdateEdu(content), destinations);
}
