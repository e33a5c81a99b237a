import type { Queryable } from '../../db/sql.js';

/**
 * SQL for cross-signing (migration 0020): local users' cross-signing keys and the signatures
 * uploaded on devices and keys.
 */

export type KeyType = 'master' | 'self_signing' | 'user_signing';

export interface CrossSigningKeyRow {
  key_type: KeyType;
  public_key: string;
  key_json: string;
}

export interface SignatureRow {
  signer_user_id: string;
  signer_key_id: string;
  target_user_id: string;
  target_key_id: string;
  signature: string;
}

/** A user's cross-signing keys (at most one of each type). */
export function getCrossSigningKeys(q: Queryable, userId: string): Promise<CrossSigningKeyRow[]> {
  return q.all<CrossSigningKeyRow>(
    'SELECT key_type, public_key, key_json FROM cross_signing_keys WHERE user_id = ?',
    userId,
  );
}

/** Sets (or replaces) a user's key of one type. */
export async function putCrossSigningKey(
  q: Queryable,
  k: { userId: string; keyType: KeyType; publicKey: string; keyJson: string; now: number },
): Promise<void> {
  await q.run(
    `INSERT INTO cross_signing_keys (user_id, key_type, public_key, key_json, added_ts)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (user_id, key_type) DO UPDATE SET public_key = excluded.public_key,
       key_json = excluded.key_json, added_ts = excluded.added_ts`,
    k.userId,
    k.keyType,
    k.publicKey,
    k.keyJson,
    k.now,
  );
}

/** Removes a user's key of one type. */
export async function deleteCrossSigningKey(
  q: Queryable,
  userId: string,
  keyType: KeyType,
): Promise<void> {
  await q.run('DELETE FROM cross_signing_keys WHERE user_id = ? AND key_type = ?', userId, keyType);
}

/** Every signature on the keys `targetKeyIds` of `targetUserId`. */
export function getSignaturesOn(
  q: Queryable,
  targetUserId: string,
  targetKeyIds: readonly string[],
): Promise<SignatureRow[]> {
  if (!targetKeyIds.length) return Promise.resolve([]);
  return q.all<SignatureRow>(
    `SELECT signer_user_id, signer_key_id, target_user_id, target_key_id, signature
     FROM cross_signing_signatures
     WHERE target_user_id = ? AND target_key_id IN (${targetKeyIds.map(() => '?').join(',')})`,
    targetUserId,
    ...targetKeyIds,
  );
}

/** One stored signature, or undefined. */
export async function getSignature(
  q: Queryable,
  s: Omit<SignatureRow, 'signature'>,
): Promise<string | undefined> {
  const row = await q.get<{ signature: string }>(
    `SELECT signature FROM cross_signing_signatures
     WHERE target_user_id = ? AND target_key_id = ? AND signer_user_id = ? AND signer_key_id = ?`,
    s.target_user_id,
    s.target_key_id,
    s.signer_user_id,
    s.signer_key_id,
  );
  return row?.signature;
}

/** Stores a signature, replacing one by the same key on the same target. */
export async function putSignature(q: Queryable, s: SignatureRow): Promise<void> {
  await q.run(
    `INSERT INTO cross_signing_signatures
       (signer_user_id, signer_key_id, target_user_id, target_key_id, signature)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (target_user_id, target_key_id, signer_user_id, signer_key_id)
       DO UPDATE SET signature = excluded.signature`,
    s.signer_user_id,
    s.signer_key_id,
    s.target_user_id,
    s.target_key_id,
    s.signature,
  );
}

/** Removes every signature made by one key; returns what was removed. */
export async function deleteSignaturesBy(
  q: Queryable,
  signerUserId: string,
  signerKeyId: string,
): Promise<SignatureRow[]> {
  const rows = await q.all<SignatureRow>(
    `SELECT signer_user_id, signer_key_id, target_user_id, target_key_id, signature
     FROM cross_signing_signatures WHERE signer_user_id = ? AND signer_key_id = ?`,
    signerUserId,
    signerKeyId,
  );
  await q.run(
    'DELETE FROM cross_signing_signatures WHERE signer_user_id = ? AND signer_key_id = ?',
    signerUserId,
    signerKeyId,
  );
  return rows;
}

/** Removes every signature on one key of a user. */
export async function deleteSignaturesOn(
  q: Queryable,
  targetUserId: string,
  targetKeyId: string,
): Promise<void> {
  await q.run(
    'DELETE FROM cross_signing_signatures WHERE target_user_id = ? AND target_key_id = ?',
    targetUserId,
    targetKeyId,
  );
}
