import { isObject } from '../../core/is-object.js';
import { verifyJsonSignature } from '../../core/signing.js';

/**
 * Checks on the keys other servers hand over for their users (federation /user/keys/query,
 * /user/keys/claim, and what device-list updates left in the cache): a server may only speak
 * for its own users' devices, and a device's keys must carry the device's own signature
 * (spec client-server "Device keys": clients check it too; a server that relays a forged or
 * damaged object would only make them fail later, and for everyone).
 */

/**
 * The DeviceKeys of device `deviceId` of `userId`, when `keys` is one for exactly that user
 * and device and is signed by the device's own ed25519 key; null otherwise. The result is
 * the signed object; of `unsigned`, only a string `device_display_name` is kept, from
 * `displayName` when given (the cache keeps the name beside the keys).
 */
export function checkedDeviceKeys(
  keys: unknown,
  userId: string,
  deviceId: string,
  displayName?: string | null,
): Record<string, unknown> | null {
  if (!isObject(keys) || keys.user_id !== userId || keys.device_id !== deviceId) return null;
  const keyId = `ed25519:${deviceId}`;
  const publicKey = isObject(keys.keys) ? keys.keys[keyId] : undefined;
  const bySigner = isObject(keys.signatures) ? keys.signatures[userId] : undefined;
  const signature = isObject(bySigner) ? bySigner[keyId] : undefined;
  if (typeof publicKey !== 'string' || typeof signature !== 'string') return null;
  if (!verifies(keys, signature, publicKey)) return null;
  const { unsigned, ...signed } = keys;
  const name =
    displayName !== undefined
      ? displayName
      : isObject(unsigned) && typeof unsigned.device_display_name === 'string'
        ? unsigned.device_display_name
        : null;
  return name !== null ? { ...signed, unsigned: { device_display_name: name } } : signed;
}

/**
 * A user's master or self-signing key as the user's server hands it over, when it is one
 * (the user's, with that usage and at least one public key); null otherwise. Its signatures
 * are the clients' to check against each other.
 */
export function checkedCrossSigningKey(
  key: unknown,
  userId: string,
  usage: 'master' | 'self_signing',
): Record<string, unknown> | null {
  if (!isObject(key) || key.user_id !== userId) return null;
  if (!Array.isArray(key.usage) || !key.usage.includes(usage)) return null;
  if (!isObject(key.keys)) return null;
  const publicKeys = Object.values(key.keys);
  if (!publicKeys.length || !publicKeys.every((k) => typeof k === 'string')) return null;
  return key;
}

/** A claimed one-time or fallback key of `algorithm`: `<algorithm>:<key id>` -> a key. */
export function checkedClaimedKey(
  keys: unknown,
  algorithm: string,
): Record<string, unknown> | null {
  if (!isObject(keys)) return null;
  for (const [keyId, key] of Object.entries(keys)) {
    if (!keyId.startsWith(`${algorithm}:`)) continue;
    if (typeof key === 'string' || (isObject(key) && typeof key.key === 'string')) {
      return { [keyId]: key };
    }
  }
  return null;
}

/** Whether `signature` over `obj` verifies with `publicKey`; false for JSON it cannot sign. */
function verifies(obj: Record<string, unknown>, signature: string, publicKey: string): boolean {
  try {
    return verifyJsonSignature(obj, signature, publicKey);
  } catch {
    return false; // not canonical JSON (floats, huge integers), or undecodable base64
  }
}
