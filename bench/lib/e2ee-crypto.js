// What the end-to-end encryption benchmarks need of a client's crypto, done with node:crypto:
// an ed25519 device key, signed device keys and signed one-time keys in the shapes
// POST /keys/upload takes (client-server API, "End-to-End Encryption"). The keys are real
// (the server checks the device keys' self-signature); the curve25519 keys are random bytes,
// which is all a server ever sees of them.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/** Unpadded standard base64, as Matrix writes keys and signatures. */
export function unpaddedBase64(buf) {
  return Buffer.from(buf).toString('base64').replace(/=+$/, '');
}

/**
 * Canonical JSON (appendices, "Canonical JSON"): keys sorted, no insignificant whitespace.
 * Enough for the ASCII-keyed objects signed here (sorting by UTF-16 code unit equals sorting
 * by code point for them).
 */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A device's ed25519 signing key: { publicKey (unpadded base64), sign(object) -> signature }. */
export function deviceSigningKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  return {
    publicKey: unpaddedBase64(raw),
    sign(object) {
      const { signatures: _s, unsigned: _u, ...signed } = object;
      return unpaddedBase64(sign(null, Buffer.from(canonicalJson(signed)), privateKey));
    },
  };
}

/** Adds the device's signature to `object` (in place) and returns it. */
function signAs(object, userId, deviceId, key) {
  object.signatures = { [userId]: { [`ed25519:${deviceId}`]: key.sign(object) } };
  return object;
}

/** The device's signed DeviceKeys object (Olm and Megolm, as matrix-js-sdk's Rust crypto uploads). */
export function signedDeviceKeys(userId, deviceId, key) {
  return signAs(
    {
      user_id: userId,
      device_id: deviceId,
      algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
      keys: {
        [`curve25519:${deviceId}`]: unpaddedBase64(randomBytes(32)),
        [`ed25519:${deviceId}`]: key.publicKey,
      },
    },
    userId,
    deviceId,
    key,
  );
}

/**
 * `count` signed curve25519 one-time keys, `signed_curve25519:<id>` -> { key, signatures },
 * ids made from `prefix` and a counter (unique per device across uploads, as Olm's are).
 */
export function signedOneTimeKeys(userId, deviceId, key, prefix, count) {
  const keys = {};
  for (let i = 0; i < count; i++) {
    const id = `${prefix}${String(i).padStart(5, '0')}`;
    keys[`signed_curve25519:${id}`] = signAs(
      { key: unpaddedBase64(randomBytes(32)) },
      userId,
      deviceId,
      key,
    );
  }
  return keys;
}
