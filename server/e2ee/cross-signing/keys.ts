import type { Ctx } from '../../context.js';
import type { Queryable } from '../../db/sql.js';
import { getRemoteCrossSigningKeys } from '../../federation/receive/store.js';
import { isObject } from '../../core/is-object.js';
import { singleEd25519Key } from './key-format.js';
import * as store from './store.js';
import type { KeyType } from './store.js';

/** A stored cross-signing key: its public key, key id and the object as uploaded. */
export interface StoredKey {
  publicKey: string;
  keyId: string;
  json: Record<string, unknown>;
}

export type StoredKeys = Partial<Record<KeyType, StoredKey>>;

export const KEY_TYPES: readonly KeyType[] = ['master', 'self_signing', 'user_signing'];

/**
 * A local user's cross-signing keys by type. Takes a Queryable so that a writer unit can read
 * what it is about to change (`tx`) and everyone else the read connection (`ctx.db`).
 */
export async function readStoredKeys(q: Queryable, userId: string): Promise<StoredKeys> {
  const out: StoredKeys = {};
  for (const row of await store.getCrossSigningKeys(q, userId)) {
    const json = JSON.parse(row.key_json) as unknown;
    if (!isObject(json)) continue;
    out[row.key_type] = { publicKey: row.public_key, keyId: `ed25519:${row.public_key}`, json };
  }
  return out;
}

/**
 * A remote user's master and self-signing keys as their server announced them (kept by
 * server/federation/receive/device-lists.ts); keys that are not one ed25519 key are skipped.
 */
export async function remoteStoredKeys(ctx: Ctx, userId: string): Promise<StoredKeys> {
  const out: StoredKeys = {};
  for (const row of await getRemoteCrossSigningKeys(ctx.db, userId)) {
    if (row.key_type !== 'master' && row.key_type !== 'self_signing') continue;
    const json = JSON.parse(row.key_json) as unknown;
    if (!isObject(json)) continue;
    const publicKey = singleEd25519Key(json);
    if (publicKey) out[row.key_type] = { publicKey, keyId: `ed25519:${publicKey}`, json };
  }
  return out;
}
