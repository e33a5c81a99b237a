import { decodeBase64 } from '../../core/base64.js';
import { CanonicalJsonError } from '../../core/canonical-json.js';
import { verifyJsonSignature } from '../../core/signing.js';
import { isObject } from '../../core/is-object.js';

/**
 * Checks of a server's answer to GET /_matrix/key/v2/server, whoever relayed it
 * (keys_server.yaml, definitions/keys.yaml): the right server, well-formed keys, and a
 * valid self-signature by every current key it lists.
 */

/** The keys_server.yaml cap: "the lesser of this field and 7 days into the future". */
export const MAX_KEY_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;

/** Key ids are `ed25519:<version>`, version of `[a-zA-Z0-9_]` (definitions/keys.yaml). */
const ED25519_KEY_ID = /^ed25519:[a-zA-Z0-9_]+$/;

export interface ParsedKeyResponse {
  serverName: string;
  validUntilTs: number;
  /** Current ed25519 keys: key id -> unpadded base64 public key. */
  verifyKeys: Record<string, string>;
  /** Former ed25519 keys: key id -> public key and when it stopped being used. */
  oldVerifyKeys: Record<string, { key: string; expiredTs: number }>;
  /** The answer as received, signatures included. */
  json: Record<string, unknown>;
}

/** An answer that cannot be trusted or used; the message says why. */
export class KeyResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyResponseError';
  }
}

export function isEd25519KeyId(keyId: string): boolean {
  return ED25519_KEY_ID.test(keyId);
}

function isPublicKey(v: unknown): v is string {
  return typeof v === 'string' && decodeBase64(v).length === 32;
}

/**
 * Parses and checks a key answer that should describe `serverName`. Keys of algorithms
 * other than ed25519 are ignored (appendices "Checking for a signature", step 2). Throws
 * KeyResponseError when the answer is malformed, names another server, lists no usable
 * key, or is not signed by each of its current keys.
 */
export function parseKeyResponse(body: unknown, serverName: string): ParsedKeyResponse {
  if (!isObject(body)) throw new KeyResponseError('the answer is not a JSON object');
  if (body.server_name !== serverName) {
    throw new KeyResponseError(
      `the answer is for ${JSON.stringify(body.server_name)}, not ${serverName}`,
    );
  }
  const validUntilTs = body.valid_until_ts;
  if (typeof validUntilTs !== 'number' || !Number.isSafeInteger(validUntilTs)) {
    throw new KeyResponseError('valid_until_ts is missing or not an integer');
  }
  if (!isObject(body.verify_keys)) throw new KeyResponseError('verify_keys is missing');
  const verifyKeys: Record<string, string> = {};
  for (const [keyId, v] of Object.entries(body.verify_keys)) {
    if (!isEd25519KeyId(keyId)) continue;
    if (!isObject(v) || !isPublicKey(v.key)) {
      throw new KeyResponseError(`verify_keys.${keyId} is not an ed25519 public key`);
    }
    verifyKeys[keyId] = v.key;
  }
  const oldVerifyKeys: ParsedKeyResponse['oldVerifyKeys'] = {};
  if (body.old_verify_keys !== undefined) {
    if (!isObject(body.old_verify_keys)) throw new KeyResponseError('old_verify_keys is malformed');
    for (const [keyId, v] of Object.entries(body.old_verify_keys)) {
      if (!isEd25519KeyId(keyId)) continue;
      if (!isObject(v) || !isPublicKey(v.key) || !Number.isSafeInteger(v.expired_ts)) {
        throw new KeyResponseError(`old_verify_keys.${keyId} is malformed`);
      }
      oldVerifyKeys[keyId] = { key: v.key, expiredTs: v.expired_ts as number };
    }
  }
  if (!Object.keys(verifyKeys).length)
    throw new KeyResponseError('verify_keys lists no ed25519 key');
  const ownSignatures = isObject(body.signatures) ? body.signatures[serverName] : undefined;
  const sigs = isObject(ownSignatures) ? ownSignatures : {};
  for (const keyId of Object.keys(verifyKeys)) {
    if (typeof sigs[keyId] !== 'string') {
      throw new KeyResponseError(`the answer is not signed by its own key ${keyId}`);
    }
  }
  for (const [keyId, key] of Object.entries(verifyKeys)) {
    if (!verifiesSafely(body, sigs[keyId] as string, key)) {
      throw new KeyResponseError(`the signature of ${keyId} on the answer is not valid`);
    }
  }
  return { serverName, validUntilTs, verifyKeys, oldVerifyKeys, json: body };
}

/** verifyJsonSignature, false (rather than a throw) for JSON canonical encoding refuses. */
export function verifiesSafely(
  obj: Record<string, unknown>,
  signature: string,
  publicKey: string,
): boolean {
  try {
    return verifyJsonSignature(obj, signature, publicKey);
  } catch (err) {
    if (err instanceof CanonicalJsonError) return false;
    throw err;
  }
}
