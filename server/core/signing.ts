import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as SodiumNative from 'sodium-native';
import { canonicalJsonWithout } from './canonical-json.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import type { Random } from './clock.js';

/**
 * ed25519 signing keys and signed JSON (spec appendices, "Signing JSON").
 * Key files use Synapse's format, one key a line: `ed25519 <version> <unpadded base64 seed>`.
 */

export interface SigningKey {
  /** `ed25519:<version>` */
  keyId: string;
  privateKey: KeyObject;
  /** libsodium's form of the private key: the seed, then the public key (64 bytes). */
  secretKey: Buffer;
  /** Unpadded base64 of the 32-byte public key. */
  publicKeyBase64: string;
}

// PKCS#8 DER wrapping of a raw 32-byte ed25519 seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
// SPKI DER wrapping of a raw 32-byte ed25519 public key.
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function signingKeyFromSeed(version: string, seed: Uint8Array): SigningKey {
  if (seed.length !== 32) throw new Error(`ed25519 seed must be 32 bytes, got ${seed.length}`);
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = spki.subarray(SPKI_ED25519_PREFIX.length);
  return {
    keyId: `ed25519:${version}`,
    privateKey,
    secretKey: Buffer.concat([seed, publicKey]),
    publicKeyBase64: encodeBase64(publicKey),
  };
}

/** A new key with a random `a_XXXX` version, as Synapse's generate_signing_key does. */
export function generateSigningKey(random: Random): { version: string; seed: Buffer } {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const v = [...random.bytes(4)].map((b) => letters[b % letters.length]).join('');
  return { version: `a_${v}`, seed: random.bytes(32) };
}

/** One line of a key file. */
export function formatSigningKeyLine(version: string, seed: Uint8Array): string {
  return `ed25519 ${version} ${encodeBase64(seed)}\n`;
}

/** Parses a key file; throws with the line number when a line is malformed. */
export function parseSigningKeyFile(text: string): SigningKey[] {
  const keys: SigningKey[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const [alg, version, seed, ...rest] = line.split(/\s+/);
    if (alg !== 'ed25519' || !version || !seed || rest.length) {
      throw new Error(`signing key file line ${i + 1}: expected "ed25519 <version> <seed>"`);
    }
    if (!/^[a-zA-Z0-9_]+$/.test(version)) {
      throw new Error(`signing key file line ${i + 1}: bad key version "${version}"`);
    }
    const bytes = decodeBase64(seed);
    if (bytes.length !== 32) {
      throw new Error(
        `signing key file line ${i + 1}: the seed must be 32 bytes, got ${bytes.length}`,
      );
    }
    keys.push(signingKeyFromSeed(version, bytes));
  });
  if (!keys.length) throw new Error('signing key file holds no key');
  return keys;
}

type Signed = Record<string, unknown> & {
  signatures?: Record<string, Record<string, string>>;
};

/** The keys a signature does not cover (appendices, "Signing JSON"). */
export const NOT_SIGNED: ReadonlySet<string> = new Set(['signatures', 'unsigned']);

/** The bytes that a signature covers: canonical JSON without `signatures` and `unsigned`. */
export function signingPayload(obj: Record<string, unknown>): string {
  return canonicalJsonWithout(obj, NOT_SIGNED);
}

/** Returns a copy of `obj` with this server's signature added under `signatures`. */
export function signJson<T extends Record<string, unknown>>(
  obj: T,
  serverName: string,
  key: SigningKey,
): T & { signatures: Record<string, Record<string, string>> } {
  return addSignature(obj, serverName, key, signPayload(signingPayload(obj), key));
}

type Sodium = typeof SodiumNative;
let sodium: Sodium | null | undefined;

/**
 * libsodium (sodium-native), loaded on the first signature; null where it cannot load.
 * Every local event and every federation request is signed, and libsodium's ed25519
 * signs in about half the time of node:crypto's (38 against 70 µs here, most of that
 * node:crypto's own overhead per call), which is 4% of a message send. Signatures are the
 * same bytes either way (ed25519 is deterministic: test/unit/signing-sodium.test.ts).
 */
export function sodiumOrNull(): Sodium | null {
  if (sodium === undefined) {
    try {
      sodium = createRequire(import.meta.url)('sodium-native') as Sodium;
    } catch {
      sodium = null;
    }
  }
  return sodium;
}

/** The unpadded-base64 ed25519 signature of a signing payload (see signingPayload). */
export function signPayload(payload: string | Buffer, key: SigningKey): string {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const lib = sodiumOrNull();
  if (!lib) return encodeBase64(sign(null, data, key.privateKey));
  const sig = Buffer.allocUnsafe(64);
  lib.crypto_sign_detached(sig, data, key.secretKey);
  return encodeBase64(sig);
}

/** Returns a copy of `obj` with `sig`, made by `key`, added under `signatures`. */
export function addSignature<T extends Record<string, unknown>>(
  obj: T,
  serverName: string,
  key: SigningKey,
  sig: string,
): T & { signatures: Record<string, Record<string, string>> } {
  const existing = (obj as Signed).signatures ?? {};
  return {
    ...obj,
    signatures: { ...existing, [serverName]: { ...existing[serverName], [key.keyId]: sig } },
  };
}

/** Checks one ed25519 signature over `obj` with an unpadded-base64 public key. */
export function verifyJsonSignature(
  obj: Record<string, unknown>,
  signatureBase64: string,
  publicKeyBase64: string,
): boolean {
  return verifyPayload(signingPayload(obj), signatureBase64, publicKeyBase64);
}

/** Checks one ed25519 signature over a signing payload (see signingPayload). */
export function verifyPayload(
  payload: string,
  signatureBase64: string,
  publicKeyBase64: string,
): boolean {
  const publicKey = publicKeyObject(publicKeyBase64);
  if (!publicKey) return false;
  const sig = decodeBase64(signatureBase64);
  if (sig.length !== 64) return false;
  return verify(null, Buffer.from(payload), publicKey, sig);
}

/**
 * Public keys as node:crypto KeyObjects, by their base64: making one costs about as much
 * as a verification, and the same few servers' keys check every PDU and request.
 */
const publicKeys = new Map<string, KeyObject | null>();
const MAX_PUBLIC_KEYS = 1024;

function publicKeyObject(publicKeyBase64: string): KeyObject | null {
  let key = publicKeys.get(publicKeyBase64);
  if (key === undefined) {
    const raw = decodeBase64(publicKeyBase64);
    key =
      raw.length === 32
        ? createPublicKey({
            key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
            format: 'der',
            type: 'spki',
          })
        : null;
    // Bounded the simple way: the keys in use come back at once.
    if (publicKeys.size >= MAX_PUBLIC_KEYS) publicKeys.clear();
    publicKeys.set(publicKeyBase64, key);
  }
  return key;
}
