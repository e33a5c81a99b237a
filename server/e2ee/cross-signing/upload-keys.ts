import type { Ctx } from '../../context.js';
import { canonicalJson } from '../../core/canonical-json.js';
import { errors, MatrixError } from '../../core/errors.js';
import type { Tx } from '../../db/sql.js';
import { requireOwnAccountUia } from '../../accounts/account.js';
import { listDeviceIdsOf } from '../../accounts/devices.js';
import type { Requester } from '../../accounts/requester.js';
import { finishUia } from '../../accounts/uia.js';
import { noteOtherUserSigned, noteOwnKeysChanged } from './changes.js';
import {
  hasValidSignature,
  parseCrossSigningKey,
  sameKeyObject,
  type CrossSigningKey,
} from './key-format.js';
import { KEY_TYPES, readStoredKeys, type StoredKeys } from './keys.js';
import * as store from './store.js';
import type { KeyType } from './store.js';

/**
 * POST /keys/device_signing/upload (spec: cross_signing.yaml): a user publishes their master,
 * self-signing and user-signing keys.
 */

export const UPLOAD_URI = '/keys/device_signing/upload';

export interface UploadKeysBody {
  master_key?: unknown;
  self_signing_key?: unknown;
  user_signing_key?: unknown;
  auth?: unknown;
}

type Uploaded = Partial<Record<KeyType, CrossSigningKey>>;

/**
 * Checks and stores the uploaded keys. User-interactive auth is asked for unless the user has
 * no master key yet or the request holds no new key (spec v1.11, MSC3967: the first upload is
 * free and a repeated one is idempotent). Throws M_INVALID_PARAM / M_BAD_JSON for malformed
 * keys, M_INVALID_SIGNATURE when the self-signing or user-signing key is not signed by the
 * master key, M_MISSING_PARAM when there is no master key to check them with, M_FORBIDDEN
 * when a public key equals one of the user's device ids, M_GUEST_ACCESS_FORBIDDEN for a guest;
 * nothing is stored then.
 */
export async function uploadCrossSigningKeys(
  ctx: Ctx,
  requester: Requester,
  body: UploadKeysBody,
): Promise<void> {
  // Guests cannot authenticate a later change, so they get no identity to change (Synapse).
  if (requester.isGuest) {
    throw new MatrixError(
      'M_GUEST_ACCESS_FORBIDDEN',
      'Guests cannot upload cross-signing keys',
      403,
    );
  }
  const userId = requester.userId;
  const uploaded = parseUpload(body, userId);
  // A concurrent upload may set the first master key between the check and the write; the
  // write then sees it and the request is judged again (needing UIA this time).
  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = await readStoredKeys(ctx.db, userId);
    const changed = KEY_TYPES.filter((t) => {
      const key = uploaded[t];
      const old = stored[t];
      return key !== undefined && !(old && sameKeyObject(old.json, key.json));
    });
    if (!changed.length) {
      if (!stored.master) throw errors.missingParam('No master key available');
      return;
    }
    checkSignedByMaster(uploaded, stored, userId);
    await checkNoDeviceIdClash(ctx, userId, uploaded);
    const uia = stored.master
      ? await requireOwnAccountUia(ctx, requester, body.auth, UPLOAD_URI, 'POST')
      : null;
    const done = await ctx.writer.transaction('upload_cross_signing_keys', async (tx) => {
      const now = await readStoredKeys(tx, userId);
      if (now.master?.publicKey !== stored.master?.publicKey) return false;
      await storeKeys(ctx, tx, userId, uploaded, now);
      if (uia) await finishUia(tx, uia);
      return true;
    });
    if (done) {
      ctx.log.info({ userId, keys: changed }, 'cross-signing keys uploaded');
      return;
    }
  }
  throw new MatrixError('M_UNKNOWN', 'Cross-signing keys changed during the upload; retry', 409);
}

function parseUpload(body: UploadKeysBody, userId: string): Uploaded {
  const uploaded: Uploaded = {};
  for (const t of KEY_TYPES) {
    const field = `${t}_key` as const;
    if (body[field] !== undefined)
      uploaded[t] = parseCrossSigningKey(body[field], userId, t, field);
  }
  const publicKeys = Object.values(uploaded).map((k) => k.publicKey);
  if (new Set(publicKeys).size !== publicKeys.length) {
    throw errors.invalidParam('The cross-signing keys must be distinct keys');
  }
  return uploaded;
}

/** The self-signing and user-signing keys must be signed by the new or the stored master key. */
function checkSignedByMaster(uploaded: Uploaded, stored: StoredKeys, userId: string): void {
  const master = uploaded.master ?? stored.master;
  for (const t of ['self_signing', 'user_signing'] as const) {
    const key = uploaded[t];
    if (!key) continue;
    if (!master) throw errors.missingParam('No master key available');
    if (key.publicKey === master.publicKey) {
      throw errors.invalidParam(`The ${t} key must differ from the master key`);
    }
    if (!hasValidSignature(key.json, userId, master.keyId, master.publicKey)) {
      throw new MatrixError(
        'M_INVALID_SIGNATURE',
        `The ${t} key is not signed by the master key ${master.keyId}`,
        400,
      );
    }
  }
}

/** Spec: device ids and cross-signing public keys share a namespace; a clash is a 403. */
async function checkNoDeviceIdClash(ctx: Ctx, userId: string, uploaded: Uploaded): Promise<void> {
  const deviceIds = new Set(await listDeviceIdsOf(ctx, userId));
  for (const key of Object.values(uploaded)) {
    if (deviceIds.has(key.publicKey)) throw errors.forbidden('Key ID in use');
  }
}

/**
 * Writes the keys that changed. A replaced key's signatures go with it: those it made (on
 * the user's devices, on other users' master keys) and those made on it. When the master key
 * is replaced, a stored self-signing or user-signing key that the new master key has not
 * signed is no longer valid (spec: "Other keys must be signed by the user's master signing
 * key") and is removed too.
 */
async function storeKeys(
  ctx: Ctx,
  tx: Tx,
  userId: string,
  uploaded: Uploaded,
  stored: StoredKeys,
): Promise<void> {
  const now = ctx.clock.now();
  const devicesUnsigned = new Set<string>();
  const othersUnsigned = new Set<string>();
  let signingKeys = false;
  const master = uploaded.master ?? stored.master;
  for (const t of KEY_TYPES) {
    const key = uploaded[t];
    const old = stored[t];
    const orphaned =
      !key &&
      old &&
      t !== 'master' &&
      uploaded.master &&
      !hasValidSignature(old.json, userId, master!.keyId, master!.publicKey);
    if (key && old && sameKeyObject(old.json, key.json)) continue;
    if (!key && !orphaned) continue;
    if (old && old.publicKey !== key?.publicKey) {
      for (const s of await store.deleteSignaturesBy(tx, userId, old.keyId)) {
        if (s.target_user_id === userId) devicesUnsigned.add(s.target_key_id);
        else othersUnsigned.add(s.target_user_id);
      }
      await store.deleteSignaturesOn(tx, userId, old.publicKey);
    }
    if (key) {
      await store.putCrossSigningKey(tx, {
        userId,
        keyType: t,
        publicKey: key.publicKey,
        keyJson: canonicalJson(key.json),
        now,
      });
    } else {
      await store.deleteCrossSigningKey(tx, userId, t);
    }
    if (t !== 'user_signing') signingKeys = true;
  }
  await noteOwnKeysChanged(ctx, tx, userId, { deviceIds: [...devicesUnsigned], signingKeys });
  for (const other of othersUnsigned) await noteOtherUserSigned(ctx, tx, other);
}
