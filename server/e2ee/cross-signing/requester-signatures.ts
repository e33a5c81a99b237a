import type { Ctx } from '../../context.js';
import { isObject } from '../../core/is-object.js';
import { singleEd25519Key } from './key-format.js';
import * as store from './store.js';

/**
 * Adds to other servers' users' master keys (as their servers answered a /keys/query) the
 * signatures the requester's user-signing key made on them: those signatures live only on
 * this server, and only their maker may see them (spec: "Cross-signing"). Returns a new map;
 * keys without such a signature are returned as they came.
 */
export async function withRequesterSignatures(
  ctx: Ctx,
  requesterUserId: string,
  masterKeys: Record<string, Record<string, unknown>>,
): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [userId, key] of Object.entries(masterKeys)) {
    const publicKey = singleEd25519Key(key);
    const mine = publicKey
      ? (await store.getSignaturesOn(ctx.db, userId, [publicKey])).filter(
          (s) => s.signer_user_id === requesterUserId,
        )
      : [];
    if (!mine.length) {
      out[userId] = key;
      continue;
    }
    const signatures = isObject(key.signatures) ? { ...key.signatures } : {};
    const byKey = isObject(signatures[requesterUserId]) ? { ...signatures[requesterUserId] } : {};
    for (const s of mine) byKey[s.signer_key_id] = s.signature;
    signatures[requesterUserId] = byKey;
    out[userId] = { ...key, signatures };
  }
  return out;
}
