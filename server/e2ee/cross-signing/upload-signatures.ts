import type { Ctx } from '../../context.js';
import { isUserOf, parseUserId } from '../../core/ids.js';
import type { Requester } from '../../accounts/requester.js';
import { getDeviceKeys } from '../device-keys.js';
import { noteOtherUserSigned, noteOwnKeysChanged } from './changes.js';
import {
  hasValidSignature,
  isSignatures,
  publicKeyIn,
  sameSignedContent,
  signatureOf,
} from './key-format.js';
import { readStoredKeys, remoteStoredKeys, type StoredKey, type StoredKeys } from './keys.js';
import * as store from './store.js';
import type { SignatureRow } from './store.js';

/**
 * POST /keys/signatures/upload (spec: cross_signing.yaml, "Cross-signing"): signatures by
 * the requester's self-signing key on their own devices, by their own devices on their master
 * key, and by their user-signing key on other users' master keys. Each signed object is
 * checked on its own: the valid signatures are stored, the others listed in `failures`.
 */

/** user id -> key id (device id or public key) -> the signed object. */
export type SignedObjects = Record<string, Record<string, Record<string, unknown>>>;
/** user id -> key id -> error object. */
export type Failures = Record<string, Record<string, { errcode: string; error: string }>>;

/** A checked signature, with the signer's key that must still be current when it is stored. */
interface Accepted {
  row: SignatureRow;
  /** The signer's cross-signing key that made it, or (a device's signature) that it signs. */
  via: StoredKey;
}

class Rejected extends Error {
  constructor(
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }
}

const invalidSignature = (msg: string) => new Rejected('M_INVALID_SIGNATURE', msg);
const notFound = (msg: string) => new Rejected('M_NOT_FOUND', msg);

/**
 * Checks each signed object and stores the valid signatures in one writer unit; returns the
 * failures (user id -> key id -> error). Throws only for a body that is not a map of maps of
 * objects (checked by the route's schema).
 */
export async function uploadSignatures(
  ctx: Ctx,
  requester: Requester,
  signed: SignedObjects,
): Promise<{ failures: Failures }> {
  const signer = requester.userId;
  const failures: Failures = {};
  const fail = (userId: string, keyId: string, e: Rejected) => {
    (failures[userId] ??= {})[keyId] = { errcode: e.errcode, error: e.message };
  };
  const mine = await readStoredKeys(ctx.db, signer);
  const accepted: { userId: string; keyId: string; items: Accepted[] }[] = [];
  for (const [userId, objects] of Object.entries(signed)) {
    for (const [keyId, obj] of Object.entries(objects)) {
      try {
        const items =
          userId === signer
            ? await checkOwnSignature(ctx, signer, mine, keyId, obj)
            : await checkOtherUserSignature(ctx, signer, mine.user_signing, userId, keyId, obj);
        accepted.push({ userId, keyId, items });
      } catch (e) {
        if (!(e instanceof Rejected)) throw e;
        fail(userId, keyId, e);
      }
    }
  }
  if (accepted.length) {
    await ctx.writer.transaction('upload_cross_signing_signatures', async (tx) => {
      const current = await readStoredKeys(tx, signer);
      const devices = new Set<string>();
      const others = new Set<string>();
      let masterSigned = false;
      for (const { userId, keyId, items } of accepted) {
        // A key replaced since the check made signatures that are no longer valid.
        if (items.some((i) => !isCurrent(current, i.via))) {
          fail(userId, keyId, invalidSignature('The signing key was replaced meanwhile'));
          continue;
        }
        for (const { row } of items) {
          if ((await store.getSignature(tx, row)) === row.signature) continue;
          await store.putSignature(tx, row);
          if (row.target_user_id !== signer) others.add(row.target_user_id);
          else if (row.target_key_id === current.master?.publicKey) masterSigned = true;
          else devices.add(row.target_key_id);
        }
      }
      if (devices.size || masterSigned) {
        await noteOwnKeysChanged(ctx, tx, signer, {
          deviceIds: [...devices],
          signingKeys: masterSigned,
        });
      }
      for (const other of others) await noteOtherUserSigned(ctx, tx, other);
    });
  }
  return { failures };
}

function isCurrent(current: StoredKeys, key: StoredKey): boolean {
  return Object.values(current).some((k) => k.publicKey === key.publicKey);
}

/**
 * A signature on one of the signer's own devices (by their self-signing key), or on their
 * master key (by their devices).
 */
async function checkOwnSignature(
  ctx: Ctx,
  userId: string,
  mine: StoredKeys,
  keyId: string,
  obj: Record<string, unknown>,
): Promise<Accepted[]> {
  checkSignedShape(obj, userId);
  if (mine.master && keyId === mine.master.publicKey) {
    return checkMasterSignedByDevices(ctx, userId, mine.master, obj);
  }
  const ssk = mine.self_signing;
  if (!ssk) throw notFound('No self-signing key found');
  const device = await getDeviceKeys(ctx, userId, keyId);
  if (!device) throw notFound('Unknown device');
  if (!sameSignedContent(device, obj)) {
    throw new Rejected('M_INVALID_PARAM', 'The signed object does not match the device keys');
  }
  if (!hasValidSignature(obj, userId, ssk.keyId, ssk.publicKey)) {
    throw invalidSignature('No valid signature by the self-signing key');
  }
  const signature = signatureOf(obj, userId, ssk.keyId)!;
  return [{ row: sigRow(userId, ssk.keyId, userId, keyId, signature), via: ssk }];
}

/** The user's own devices signing their master key (spec: to carry over device verifications). */
async function checkMasterSignedByDevices(
  ctx: Ctx,
  userId: string,
  master: StoredKey,
  obj: Record<string, unknown>,
): Promise<Accepted[]> {
  if (!sameSignedContent(master.json, obj)) {
    throw new Rejected('M_INVALID_PARAM', 'The signed object does not match the master key');
  }
  const out: Accepted[] = [];
  const sigs = (obj.signatures as Record<string, Record<string, string>>)[userId]!;
  // Clients may send back the signatures the key already carries beside the new one.
  const known = new Set(
    (await store.getSignaturesOn(ctx.db, userId, [master.publicKey])).map(
      (s) => `${s.signer_user_id}|${s.signer_key_id}|${s.signature}`,
    ),
  );
  let resent = 0;
  for (const [sigKeyId, signature] of Object.entries(sigs)) {
    if (sigKeyId === master.keyId) continue; // the key's own signature, part of the key
    if (known.has(`${userId}|${sigKeyId}|${signature}`)) {
      resent++;
      continue;
    }
    const deviceId = sigKeyId.startsWith('ed25519:') ? sigKeyId.slice('ed25519:'.length) : '';
    const device = deviceId ? await getDeviceKeys(ctx, userId, deviceId) : null;
    const publicKey = device ? publicKeyIn(device, sigKeyId) : undefined;
    if (!publicKey) throw invalidSignature(`${sigKeyId} is not a key of a device of this user`);
    if (!hasValidSignature(obj, userId, sigKeyId, publicKey)) {
      throw invalidSignature(`Invalid signature by ${sigKeyId}`);
    }
    out.push({ row: sigRow(userId, sigKeyId, userId, master.publicKey, signature), via: master });
  }
  if (!out.length && !resent) throw invalidSignature('No signature by a device of this user');
  return out;
}

/** The signer's user-signing key on another user's master key. */
async function checkOtherUserSignature(
  ctx: Ctx,
  signer: string,
  usk: StoredKey | undefined,
  userId: string,
  keyId: string,
  obj: Record<string, unknown>,
): Promise<Accepted[]> {
  if (!parseUserId(userId)) throw new Rejected('M_INVALID_PARAM', 'Not a valid user id');
  checkSignedShape(obj, signer);
  if (!usk) throw notFound('No user-signing key found');
  const master = await masterKeyOf(ctx, userId);
  if (!master) throw notFound('The user has no master key');
  if (keyId !== master.publicKey) {
    throw notFound("Only the user's master key can be signed by a user-signing key");
  }
  if (!sameSignedContent(master.json, obj)) {
    throw new Rejected('M_INVALID_PARAM', 'The signed object does not match the master key');
  }
  if (!hasValidSignature(obj, signer, usk.keyId, usk.publicKey)) {
    throw invalidSignature('No valid signature by the user-signing key');
  }
  const signature = signatureOf(obj, signer, usk.keyId)!;
  return [{ row: sigRow(signer, usk.keyId, userId, keyId, signature), via: usk }];
}

/** A local user's stored master key, or a remote user's as their server announced it. */
async function masterKeyOf(ctx: Ctx, userId: string): Promise<StoredKey | undefined> {
  if (isUserOf(userId, ctx.config.serverName)) return (await readStoredKeys(ctx.db, userId)).master;
  return (await remoteStoredKeys(ctx, userId)).master;
}

/** The object must carry signatures, some by the signer. */
function checkSignedShape(obj: Record<string, unknown>, signer: string): void {
  if (!isSignatures(obj.signatures) || !obj.signatures[signer]) {
    throw invalidSignature(`No signatures by ${signer}`);
  }
}

function sigRow(
  signerUserId: string,
  signerKeyId: string,
  targetUserId: string,
  targetKeyId: string,
  signature: string,
): SignatureRow {
  return {
    signer_user_id: signerUserId,
    signer_key_id: signerKeyId,
    target_user_id: targetUserId,
    target_key_id: targetKeyId,
    signature,
  };
}
