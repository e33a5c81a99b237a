import type { Ctx } from '../../context.js';

/** The cross-signing part of a /keys/query (or federation /user/keys/query) answer. */
export interface CrossSigningForQuery {
  master_keys: Record<string, Record<string, unknown>>;
  self_signing_keys: Record<string, Record<string, unknown>>;
  /** Only the requester's own user-signing key is ever shown (spec). */
  user_signing_keys: Record<string, Record<string, unknown>>;
}

/**
 * The local users' cross-signing keys among `userIds`, with every signature uploaded on them
 * (POST /keys/signatures/upload), as `requesterUserId` may see them: user_signing only for the
 * requester themself; null requester (another server asking) never gets user_signing keys.
 * INTERFACE STUB: the body is filled in with the cross-signing tables.
 */
export async function crossSigningKeysForQuery(
  _ctx: Ctx,
  _requesterUserId: string | null,
  _userIds: readonly string[],
): Promise<CrossSigningForQuery> {
  return { master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
}

/**
 * Signatures uploaded by anyone (POST /keys/signatures/upload) on the devices `deviceIds` of
 * local user `userId`: device id -> signer user id -> key id -> signature, merged by the
 * caller into each device's `signatures`. INTERFACE STUB.
 */
export async function deviceSignaturesFor(
  _ctx: Ctx,
  _userId: string,
  _deviceIds: readonly string[],
): Promise<Map<string, Record<string, Record<string, string>>>> {
  return new Map();
}
