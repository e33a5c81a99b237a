import { canonicalJson } from '../../core/canonical-json.js';
import { errors } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { signingPayload, verifyJsonSignature } from '../../core/signing.js';
import type { KeyType } from './store.js';

/**
 * The shape of a CrossSigningKey (client-server API, definitions/cross_signing_key.yaml) and
 * signature checks on signed key objects (appendices, "Signing JSON").
 */

export type Signatures = Record<string, Record<string, string>>;

export interface CrossSigningKey {
  /** `ed25519:<public key>` */
  keyId: string;
  /** Unpadded base64 of the 32-byte ed25519 public key. */
  publicKey: string;
  /** The object as the client sent it. */
  json: Record<string, unknown>;
}

/** 32 bytes in unpadded standard base64. */
const ED25519_PUBLIC_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$/;

/**
 * Checks an uploaded cross-signing key of `userId` meant for `usage`. Throws M_INVALID_PARAM
 * for a wrong owner, usage or key, M_BAD_JSON for a shape that is not a CrossSigningKey.
 */
export function parseCrossSigningKey(
  value: unknown,
  userId: string,
  usage: KeyType,
  field: string,
): CrossSigningKey {
  if (!isObject(value)) throw errors.badJson(`${field} must be an object`);
  if (value.user_id !== userId) {
    throw errors.invalidParam(`${field}.user_id must be the user uploading it (${userId})`);
  }
  const usages = value.usage;
  if (!Array.isArray(usages) || !usages.every((u) => typeof u === 'string')) {
    throw errors.badJson(`${field}.usage must be an array of strings`);
  }
  if (!usages.includes(usage)) throw errors.invalidParam(`${field}.usage must include "${usage}"`);
  const keys = value.keys;
  if (!isObject(keys)) throw errors.badJson(`${field}.keys must be an object`);
  const entries = Object.entries(keys);
  if (entries.length !== 1) throw errors.invalidParam(`${field}.keys must hold exactly one key`);
  const [keyId, publicKey] = entries[0]!;
  if (typeof publicKey !== 'string' || !ED25519_PUBLIC_KEY.test(publicKey)) {
    throw errors.invalidParam(`${field}: the key must be an unpadded base64 ed25519 public key`);
  }
  if (keyId !== `ed25519:${publicKey}`) {
    throw errors.invalidParam(`${field}: the key id must be "ed25519:" and the public key`);
  }
  if (value.signatures !== undefined && !isSignatures(value.signatures)) {
    throw errors.badJson(`${field}.signatures must map user ids to key ids to signatures`);
  }
  if (!isCanonicalizable(value)) {
    throw errors.badJson(`${field} holds values canonical JSON cannot encode (e.g. fractions)`);
  }
  return { keyId, publicKey, json: value };
}

/** Whether `v` is a Signatures object: user id -> key id -> signature string. */
export function isSignatures(v: unknown): v is Signatures {
  return (
    isObject(v) &&
    Object.values(v).every(
      (byKey) => isObject(byKey) && Object.values(byKey).every((s) => typeof s === 'string'),
    )
  );
}

function isCanonicalizable(v: unknown): boolean {
  try {
    canonicalJson(v);
    return true;
  } catch {
    return false;
  }
}

/** The signature `signerUserId`'s key `keyId` made on `obj`, as sent, or undefined. */
export function signatureOf(
  obj: Record<string, unknown>,
  signerUserId: string,
  keyId: string,
): string | undefined {
  const sigs = obj.signatures;
  if (!isObject(sigs)) return undefined;
  const byKey = sigs[signerUserId];
  if (!isObject(byKey)) return undefined;
  const sig = byKey[keyId];
  return typeof sig === 'string' ? sig : undefined;
}

/** Whether `obj` carries a valid signature of `signerUserId`'s ed25519 key `keyId`. */
export function hasValidSignature(
  obj: Record<string, unknown>,
  signerUserId: string,
  keyId: string,
  publicKey: string,
): boolean {
  const sig = signatureOf(obj, signerUserId, keyId);
  if (sig === undefined) return false;
  try {
    return verifyJsonSignature(obj, sig, publicKey);
  } catch {
    // Not encodable as canonical JSON: nothing can have signed it.
    return false;
  }
}

/** Whether two key objects are the same key, apart from `signatures` and `unsigned`. */
export function sameSignedContent(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  try {
    return signingPayload(a) === signingPayload(b);
  } catch {
    return false;
  }
}

/** Whether two key objects are identical, signatures included (an idempotent re-upload). */
export function sameKeyObject(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

/** The ed25519 public key of a signed object's key id, e.g. a device's `ed25519:DEVICE`. */
export function publicKeyIn(obj: Record<string, unknown>, keyId: string): string | undefined {
  const keys = obj.keys;
  if (!isObject(keys)) return undefined;
  const k = keys[keyId];
  return typeof k === 'string' ? k : undefined;
}

/** The public key of a key object holding exactly one `ed25519:` key. */
export function singleEd25519Key(json: Record<string, unknown>): string | undefined {
  const keys = json.keys;
  if (!isObject(keys)) return undefined;
  const entries = Object.entries(keys);
  if (entries.length !== 1) return undefined;
  const [keyId, publicKey] = entries[0]!;
  return keyId.startsWith('ed25519:') && typeof publicKey === 'string' ? publicKey : undefined;
}
