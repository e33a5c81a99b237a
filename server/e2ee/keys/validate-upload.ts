import { CanonicalJsonError, canonicalJson } from '../../core/canonical-json.js';
import { errors, type MatrixError } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { verifyJsonSignature } from '../../core/signing.js';

/**
 * The checks of a POST /keys/upload body (client-server API, "End-to-End Encryption",
 * keys.yaml and definitions/device_keys.yaml, one_time_keys.yaml), all made before anything
 * is stored: a body that fails any of them changes nothing.
 * - wrong shapes (a non-object, a non-string key, an `alg:id` name without its parts) are
 *   400 M_BAD_JSON;
 * - device keys of another user or device, a key named for another device, or a self-
 *   signature that does not verify are 400 M_INVALID_PARAM (the spec: user_id and
 *   device_id "must match" the login; Synapse checks neither the ids nor the signature).
 */

/** One `<algorithm>:<key_id>` entry of one_time_keys or fallback_keys. */
export interface UploadedKey {
  algorithm: string;
  keyId: string;
  /** The key as uploaded (a string, or a signed KeyObject), as canonical JSON. */
  keyJson: string;
}

export interface ValidUpload {
  /** The signed DeviceKeys as canonical JSON (without `unsigned`), or null if absent. */
  deviceKeysJson: string | null;
  oneTimeKeys: UploadedKey[];
  fallbackKeys: UploadedKey[];
}

/** Longest algorithm name or key id taken; real ones are a few dozen characters. */
const MAX_NAME_LENGTH = 255;

/**
 * Checks an upload for the device `deviceId` of `userId` and returns what to store.
 * @throws MatrixError 400 M_BAD_JSON / M_INVALID_PARAM as described above.
 */
export function validateUpload(
  userId: string,
  deviceId: string,
  body: { device_keys?: unknown; one_time_keys?: unknown; fallback_keys?: unknown },
): ValidUpload {
  const deviceKeysJson =
    body.device_keys === undefined || body.device_keys === null
      ? null
      : checkDeviceKeys(userId, deviceId, body.device_keys);
  const oneTimeKeys = checkKeyMap('one_time_keys', body.one_time_keys);
  const fallbackKeys = checkKeyMap('fallback_keys', body.fallback_keys);
  const algorithms = new Set<string>();
  for (const k of fallbackKeys) {
    // The spec: "There can only be at most one key per algorithm uploaded".
    if (algorithms.has(k.algorithm)) {
      throw errors.invalidParam(`fallback_keys: more than one ${k.algorithm} key`);
    }
    algorithms.add(k.algorithm);
  }
  return { deviceKeysJson, oneTimeKeys, fallbackKeys };
}

function checkDeviceKeys(userId: string, deviceId: string, dk: unknown): string {
  if (!isObject(dk)) throw errors.badJson('device_keys must be an object');
  if (typeof dk.user_id !== 'string') throw errors.badJson('device_keys.user_id must be a string');
  if (typeof dk.device_id !== 'string') {
    throw errors.badJson('device_keys.device_id must be a string');
  }
  if (dk.user_id !== userId) {
    throw errors.invalidParam(`device_keys.user_id must be the uploader's (${userId})`);
  }
  if (dk.device_id !== deviceId) {
    throw errors.invalidParam(`device_keys.device_id must be the uploading device's (${deviceId})`);
  }
  if (
    !Array.isArray(dk.algorithms) ||
    !dk.algorithms.every((a) => typeof a === 'string' && a.length > 0)
  ) {
    throw errors.badJson('device_keys.algorithms must be a list of algorithm names');
  }
  if (!isObject(dk.keys)) throw errors.badJson('device_keys.keys must be an object');
  for (const [name, key] of Object.entries(dk.keys)) {
    if (typeof key !== 'string' || !key) {
      throw errors.badJson(`device_keys.keys.${name} must be a non-empty string`);
    }
    const colon = name.indexOf(':');
    if (colon <= 0)
      throw errors.badJson(`device_keys.keys: "${name}" is not <algorithm>:<device_id>`);
    if (name.slice(colon + 1) !== deviceId) {
      throw errors.invalidParam(`device_keys.keys: "${name}" names another device`);
    }
  }
  if (!isSignatures(dk.signatures)) {
    throw errors.badJson('device_keys.signatures must map user ids to key ids to signatures');
  }
  const ed25519 = dk.keys[`ed25519:${deviceId}`];
  if (typeof ed25519 !== 'string') {
    throw errors.invalidParam(`device_keys.keys must hold the device's ed25519:${deviceId} key`);
  }
  const { unsigned: _unsigned, ...stored } = dk;
  let json: string;
  try {
    json = canonicalJson(stored);
  } catch (e) {
    if (e instanceof CanonicalJsonError) throw errors.badJson(`device_keys: ${e.message}`);
    throw e;
  }
  // Signed by the device's own key: a client never uploads keys it cannot sign, so a bad
  // signature is a broken client or someone else's keys, and other users must not get them.
  const sig = dk.signatures[userId]?.[`ed25519:${deviceId}`];
  if (sig === undefined || !verifyJsonSignature(stored, sig, ed25519)) {
    throw errors.invalidParam(
      `device_keys must be signed by the device's key ed25519:${deviceId}: the signature is ${
        sig === undefined ? 'missing' : 'not valid'
      }`,
    );
  }
  return json;
}

function checkKeyMap(field: string, map: unknown): UploadedKey[] {
  if (map === undefined || map === null) return [];
  if (!isObject(map)) throw errors.badJson(`${field} must be an object`);
  const out: UploadedKey[] = [];
  for (const [name, key] of Object.entries(map)) {
    const colon = name.indexOf(':');
    if (colon <= 0 || colon === name.length - 1) {
      throw errors.badJson(`${field}: "${name}" is not <algorithm>:<key_id>`);
    }
    const algorithm = name.slice(0, colon);
    const keyId = name.slice(colon + 1);
    if (algorithm.length > MAX_NAME_LENGTH || keyId.length > MAX_NAME_LENGTH) {
      throw errors.invalidParam(`${field}: "${name.slice(0, 40)}…" is too long`);
    }
    out.push({ algorithm, keyId, keyJson: keyJsonOf(field, name, key) });
  }
  return out;
}

/** A key is a non-empty string or a KeyObject: `key` (string) and `signatures`. */
function keyJsonOf(field: string, name: string, key: unknown): string {
  const bad = (why: string): MatrixError => errors.badJson(`${field}.${name}: ${why}`);
  if (typeof key === 'string') {
    if (!key) throw bad('the key is empty');
    return JSON.stringify(key);
  }
  if (!isObject(key)) throw bad('must be a string or a key object');
  if (typeof key.key !== 'string' || !key.key) throw bad('key must be a non-empty string');
  if (!isSignatures(key.signatures)) throw bad('signatures must map user ids to signatures');
  try {
    return canonicalJson(key);
  } catch (e) {
    if (e instanceof CanonicalJsonError) throw bad(e.message);
    throw e;
  }
}

function isSignatures(v: unknown): v is Record<string, Record<string, string>> {
  return (
    isObject(v) &&
    Object.values(v).every(
      (m) => isObject(m) && Object.values(m).every((s) => typeof s === 'string'),
    )
  );
}

/**
 * Whether a re-uploaded one-time key is the one stored under its id. As Synapse: the key
 * must be the same, its signatures may differ (a client that kept its keys but not their
 * signatures retries an upload whose answer it lost).
 */
export function sameOneTimeKey(storedJson: string, newJson: string): boolean {
  if (storedJson === newJson) return true;
  const a: unknown = JSON.parse(storedJson);
  const b: unknown = JSON.parse(newJson);
  if (!isObject(a) || !isObject(b)) return false;
  const { signatures: _sa, ...restA } = a;
  const { signatures: _sb, ...restB } = b;
  return canonicalJson(restA) === canonicalJson(restB);
}
