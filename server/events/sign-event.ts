import { decodeBase64 } from '../core/base64.js';
import { CanonicalJsonError } from '../core/canonical-json.js';
import { hash } from 'node:crypto';
import {
  addSignature,
  signingPayload,
  signPayload,
  verifyPayload,
  type SigningKey,
} from '../core/signing.js';
import type { EventHashes, EventJson, EventSignatures } from './event-format.js';
import { computeContentHash } from './hashes.js';
import { redactEvent } from './redaction.js';
import type { RoomVersion } from './room-versions.js';
import { isObject } from '../core/is-object.js';

/**
 * Hashes and signatures of events (spec server-server "Signing Events": "Adding hashes and
 * signatures to outgoing events", "Validating hashes and signatures on received events";
 * appendices "Signing JSON", "Checking for a Signature").
 */

/**
 * Returns a copy of `event` with its content hash in `hashes.sha256` and this server's
 * signature added to `signatures`. The signature covers the event as redacted under
 * `version`'s rules (so it survives redaction), and is copied back onto the full event.
 * Throws CanonicalJsonError when the event holds values canonical JSON cannot encode.
 */
export function signEvent<T extends EventJson>(
  event: T,
  serverName: string,
  key: SigningKey,
  version: RoomVersion,
): T & { hashes: EventHashes; signatures: EventSignatures } {
  return signEventWithReference(event, serverName, key, version).event;
}

/**
 * signEvent, and the event's reference hash (server-server "Calculating the reference hash
 * for an event") from the same canonical encoding: the signature and the reference hash
 * cover the same bytes (the redacted event without `signatures` and `unsigned`), so an
 * event built here is encoded once for both. Pass the federation form (no `event_id` in
 * v3+), as for computeReferenceHash.
 */
export function signEventWithReference<T extends EventJson>(
  event: T,
  serverName: string,
  key: SigningKey,
  version: RoomVersion,
): SignedWithReference<T> {
  const prepared = prepareSigning(event, version);
  // Encoded to UTF-8 once, for the signature and the reference hash alike.
  const bytes = Buffer.from(prepared.payload);
  return finishSigning(prepared, bytes, serverName, key, signPayload(bytes, key));
}

type SignedWithReference<T> = {
  event: T & { hashes: EventHashes; signatures: EventSignatures };
  referenceHash: Buffer;
};

/** The event with its content hash, its redacted form, and the bytes to sign. */
function prepareSigning<T extends EventJson>(event: T, version: RoomVersion) {
  const oldHashes = isObject(event.hashes) ? (event.hashes as Record<string, string>) : {};
  const hashes: EventHashes = { ...oldHashes, sha256: computeContentHash(event) };
  const hashed = { ...event, hashes };
  const redacted = redactEvent(hashed, version);
  return { hashed, redacted, payload: signingPayload(redacted) };
}

function finishSigning<T extends EventJson>(
  p: ReturnType<typeof prepareSigning<T>>,
  payloadBytes: Buffer,
  serverName: string,
  key: SigningKey,
  sig: string,
): SignedWithReference<T> {
  const signed = addSignature(p.redacted, serverName, key, sig);
  return {
    event: { ...p.hashed, signatures: signed.signatures },
    referenceHash: hash('sha256', payloadBytes, 'buffer'),
  };
}

/**
 * True when `event` carries a valid signature of `serverName` with `keyId`, checked on the
 * event redacted under `version`'s rules, so a full or a redacted copy both pass. False
 * when the signature is missing, malformed or wrong, or when the event holds values
 * canonical JSON cannot encode. Which servers must sign, and key validity, are the
 * caller's (server-server "Validating hashes and signatures on received events").
 */
export function verifyEventSignature(
  event: EventJson,
  serverName: string,
  keyId: string,
  publicKeyBase64: string,
  version: RoomVersion,
): boolean {
  const signatures = event.signatures;
  if (!isObject(signatures)) return false;
  const byServer = signatures[serverName];
  const signature = isObject(byServer) ? byServer[keyId] : undefined;
  if (typeof signature !== 'string') return false;
  const payload = eventSigningPayload(event, version);
  return payload !== null && verifyPayload(payload, signature, publicKeyBase64);
}

/**
 * What a server's signature on `event` covers: the signing payload of its redacted copy.
 * Null when canonical JSON cannot encode it (no signature can then be valid).
 */
export function eventSigningPayload(event: EventJson, version: RoomVersion): string | null {
  try {
    return signingPayload(redactEvent(event, version));
  } catch (err) {
    if (err instanceof CanonicalJsonError) return null;
    throw err;
  }
}

/**
 * True when `hashes.sha256` of `event` matches its content hash (server-server
 * "Validating hashes and signatures on received events"). On false the event must be
 * replaced by its redacted copy before it is processed further: it is assumed that only a
 * redacted version was received. A missing hash, or content canonical JSON cannot encode,
 * is a mismatch too.
 */
export function checkContentHash(event: EventJson): boolean {
  const hashes = event.hashes;
  if (!isObject(hashes) || typeof hashes.sha256 !== 'string') return false;
  let expected: string;
  try {
    expected = computeContentHash(event);
  } catch (err) {
    if (err instanceof CanonicalJsonError) return false;
    throw err;
  }
  return decodeBase64(hashes.sha256).equals(decodeBase64(expected));
}
