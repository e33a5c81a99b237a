import type { Ctx } from '../../context.js';
import { isUserOf } from '../../core/ids.js';
import { isObject } from '../../core/is-object.js';
import { readStoredKeys, remoteStoredKeys, type StoredKey } from './keys.js';
import * as store from './store.js';
import type { KeyType, SignatureRow } from './store.js';

/** The cross-signing part of a /keys/query (or federation /user/keys/query) answer. */
export interface CrossSigningForQuery {
  master_keys: Record<string, Record<string, unknown>>;
  self_signing_keys: Record<string, Record<string, unknown>>;
  /** Only the requester's own user-signing key is ever shown (spec). */
  user_signing_keys: Record<string, Record<string, unknown>>;
}

const FIELD: Record<KeyType, keyof CrossSigningForQuery> = {
  master: 'master_keys',
  self_signing: 'self_signing_keys',
  user_signing: 'user_signing_keys',
};

/** Rows per `IN (...)` list: well under SQLite's limit on bound parameters. */
const CHUNK = 500;

/**
 * The local users' cross-signing keys among `userIds`, with every signature uploaded on them
 * (POST /keys/signatures/upload), as `requesterUserId` may see them: user_signing only for the
 * requester themself; null requester (another server asking) never gets user_signing keys.
 * Remote users among `userIds` get the master and self-signing keys their server announced
 * (remote_cross_signing_keys), with the requester's own signatures on them. A signature is
 * shown to everyone when the key's owner made it, and only to its maker when another user's
 * user-signing key made it (spec: "Cross-signing", the dotted lines of the diagrams).
 */
export async function crossSigningKeysForQuery(
  ctx: Ctx,
  requesterUserId: string | null,
  userIds: readonly string[],
): Promise<CrossSigningForQuery> {
  const out: CrossSigningForQuery = {
    master_keys: {},
    self_signing_keys: {},
    user_signing_keys: {},
  };
  for (const userId of new Set(userIds)) {
    const local = isUserOf(userId, ctx.config.serverName);
    const keys = local ? await readStoredKeys(ctx.db, userId) : await remoteStoredKeys(ctx, userId);
    const shown = (Object.entries(keys) as [KeyType, StoredKey][]).filter(
      ([type]) => type !== 'user_signing' || userId === requesterUserId,
    );
    if (!shown.length) continue;
    const sigs = await store.getSignaturesOn(
      ctx.db,
      userId,
      shown.map(([, k]) => k.publicKey),
    );
    for (const [type, key] of shown) {
      const visible = sigs.filter(
        (s) =>
          s.target_key_id === key.publicKey &&
          (s.signer_user_id === userId || s.signer_user_id === requesterUserId),
      );
      out[FIELD[type]][userId] = withSignatures(key.json, visible);
    }
  }
  return out;
}

/**
 * Signatures uploaded by anyone (POST /keys/signatures/upload) on the devices `deviceIds` of
 * local user `userId`: device id -> signer user id -> key id -> signature, merged by the
 * caller into each device's `signatures`.
 */
export async function deviceSignaturesFor(
  ctx: Ctx,
  userId: string,
  deviceIds: readonly string[],
): Promise<Map<string, Record<string, Record<string, string>>>> {
  const out = new Map<string, Record<string, Record<string, string>>>();
  for (let i = 0; i < deviceIds.length; i += CHUNK) {
    for (const s of await store.getSignaturesOn(ctx.db, userId, deviceIds.slice(i, i + CHUNK))) {
      let bySigner = out.get(s.target_key_id);
      if (!bySigner) out.set(s.target_key_id, (bySigner = {}));
      (bySigner[s.signer_user_id] ??= {})[s.signer_key_id] = s.signature;
    }
  }
  return out;
}

/** A copy of `json` with `rows` added to its `signatures`. */
function withSignatures(
  json: Record<string, unknown>,
  rows: readonly SignatureRow[],
): Record<string, unknown> {
  if (!rows.length) return json;
  const signatures: Record<string, Record<string, unknown>> = {};
  if (isObject(json.signatures)) {
    for (const [u, byKey] of Object.entries(json.signatures)) {
      if (isObject(byKey)) signatures[u] = { ...byKey };
    }
  }
  for (const s of rows) (signatures[s.signer_user_id] ??= {})[s.signer_key_id] = s.signature;
  return { ...json, signatures };
}
