import type { Ctx } from '../context.js';
import { userServerOf } from '../core/ids.js';
import type { EventJson } from '../events/event-format.js';
import { redactEvent } from '../events/redaction.js';
import type { RoomVersion } from '../events/room-versions.js';
import { checkContentHash, eventSigningPayload } from '../events/sign-event.js';
import { verifyPayloads, type VerifyJob } from '../core/parallel-verify.js';
import { getServerVerifyKey, ServerKeyError, type ServerVerifyKey } from './keys/fetch.js';
import { isEd25519KeyId } from './keys/response.js';
import { isObject } from '../core/is-object.js';

/**
 * Steps 2 and 3 of server-server "Checks performed on receipt of a PDU": signatures
 * (dropped on failure) and the content hash (redacted on mismatch), as "Validating hashes
 * and signatures on received events" describes them, per room version.
 */

export type PduCheckResult =
  | {
      ok: true;
      /** The event to process further: the one received, or its redacted copy. */
      event: EventJson;
      /** True when the content hash did not match and `event` is the redacted copy. */
      redacted: boolean;
    }
  | { ok: false; reason: string };

/** The server part of a v1/v2 event id (`$opaque:server`). */
function serverOfEventId(eventId: unknown): string | null {
  if (typeof eventId !== 'string') return null;
  const colon = eventId.indexOf(':');
  return colon > 1 ? eventId.slice(colon + 1) : null;
}

/**
 * The servers whose signatures `pdu` must carry:
 * - the sender's server, except on an invite made from a third-party invite (its sender
 *   must match the third-party invite and any server may send it; as Synapse);
 * - rooms v1 and v2: the server of the event id, when it differs;
 * - rooms with restricted joins (v8+): the server of a join's
 *   `join_authorised_via_users_server` (server-server "Restricted rooms").
 * Returns a string when the event is too malformed to say.
 */
export function requiredSigners(version: RoomVersion, pdu: EventJson): Set<string> | string {
  const out = new Set<string>();
  const content = isObject(pdu.content) ? pdu.content : {};
  const sender = userServerOf(pdu.sender) ?? null;
  if (!sender) return 'sender is not a user id';
  const isThirdPartyInvite =
    pdu.type === 'm.room.member' &&
    content.membership === 'invite' &&
    content.third_party_invite !== undefined;
  if (!isThirdPartyInvite) out.add(sender);
  if (version.eventIdFormat === 'server') {
    const idServer = serverOfEventId(pdu.event_id);
    if (!idServer) return 'event_id is missing or has no server name';
    out.add(idServer);
  }
  if (
    version.restrictedJoinRule &&
    pdu.type === 'm.room.member' &&
    content.membership === 'join' &&
    content.join_authorised_via_users_server !== undefined
  ) {
    const authoriser = userServerOf(content.join_authorised_via_users_server) ?? null;
    if (!authoriser) return 'join_authorised_via_users_server is not a user id';
    out.add(authoriser);
  }
  return out;
}

/**
 * Checks the signatures and the content hash of a received PDU of room `version`.
 * - Each required server (requiredSigners) must have signed it with at least one key
 *   that can be found and that is valid at the event's origin_server_ts (in room
 *   versions that enforce key validity, v5+; before, any key the server ever listed).
 *   Signatures with unknown or expired keys are skipped; one that fails to verify with a
 *   known key fails the event. Signatures are checked on the redacted event, so a
 *   redacted copy passes too.
 * - Then the content hash: on mismatch the redacted copy is returned (the spec says the
 *   event is then assumed to have been received redacted), not a failure.
 * Resolves `{ ok: false, reason }` when the event must be dropped.
 */
export async function checkPduSignaturesAndHashes(
  ctx: Ctx,
  version: RoomVersion,
  pdu: EventJson,
): Promise<PduCheckResult> {
  return (await checkPdusSignaturesAndHashes(ctx, version, [pdu]))[0]!;
}

/** One signature to verify, and whose it is. */
interface Pending {
  index: number;
  server: string;
  keyId: string;
}

/**
 * checkPduSignaturesAndHashes for many PDUs of one room version at once (the state of a
 * join, a page of history): the keys are looked up once each, and the signatures are
 * verified together, on two cores when there are many (core/parallel-verify.ts).
 */
export async function checkPdusSignaturesAndHashes(
  ctx: Ctx,
  version: RoomVersion,
  pdus: readonly EventJson[],
): Promise<PduCheckResult[]> {
  const failures: (string | null)[] = pdus.map(() => null);
  const jobs: VerifyJob[] = [];
  const pending: Pending[] = [];
  const keys = keyLookup(ctx);
  for (const [index, pdu] of pdus.entries()) {
    const sigs = pdu.signatures;
    if (!isObject(sigs)) {
      failures[index] = 'the event has no signatures';
      continue;
    }
    const ts = pdu.origin_server_ts;
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) {
      failures[index] = 'origin_server_ts is not an integer';
      continue;
    }
    const signers = requiredSigners(version, pdu);
    if (typeof signers === 'string') {
      failures[index] = signers;
      continue;
    }
    const minimumValidUntilTs = version.enforceKeyValidity ? ts : 0;
    let payload: string | null | undefined;
    for (const server of signers) {
      const byServer = sigs[server];
      const keyIds = isObject(byServer) ? Object.keys(byServer).filter(isEd25519KeyId) : [];
      if (!keyIds.length) {
        failures[index] = `the event is not signed by ${server}`;
        break;
      }
      const skipped: string[] = [];
      let usable = 0;
      for (const keyId of keyIds) {
        const key = await keys(server, keyId, minimumValidUntilTs);
        if (typeof key === 'string') {
          skipped.push(key);
          continue;
        }
        usable++;
        const signature = (byServer as Record<string, unknown>)[keyId];
        payload ??= eventSigningPayload(pdu, version);
        if (typeof signature !== 'string' || payload === null) {
          failures[index] = `the signature of ${server} with ${keyId} is not valid`;
          break;
        }
        jobs.push({ payload, signatureBase64: signature, publicKeyBase64: key.key });
        pending.push({ index, server, keyId });
      }
      if (failures[index] !== null) break;
      if (!usable) {
        failures[index] = `no usable key of ${server} signed the event (${skipped.join('; ')})`;
        break;
      }
    }
  }
  const verified = await verifyPayloads(jobs);
  verified.forEach((ok, i) => {
    const p = pending[i]!;
    if (!ok && failures[p.index] === null) {
      failures[p.index] = `the signature of ${p.server} with ${p.keyId} is not valid`;
    }
  });
  return pdus.map((pdu, index): PduCheckResult => {
    const failure = failures[index];
    if (failure !== null && failure !== undefined) return { ok: false, reason: failure };
    if (checkContentHash(pdu)) return { ok: true, event: pdu, redacted: false };
    ctx.log.info(
      { event_id: pdu.event_id, sender: pdu.sender },
      'content hash mismatch: processing the redacted event',
    );
    return { ok: true, event: redactEvent(pdu, version), redacted: true };
  });
}

/**
 * Server keys by (server, key id) for one batch: the same few keys sign every event, and a
 * key found valid until a time serves every event from before it.
 */
function keyLookup(ctx: Ctx) {
  const found = new Map<string, ServerVerifyKey>();
  return async (
    server: string,
    keyId: string,
    minimumValidUntilTs: number,
  ): Promise<ServerVerifyKey | string> => {
    const id = `${server}\0${keyId}`;
    const known = found.get(id);
    if (known !== undefined && known.validUntilTs >= minimumValidUntilTs) return known;
    try {
      const key = await getServerVerifyKey(ctx, server, keyId, { minimumValidUntilTs });
      found.set(id, key);
      return key;
    } catch (err) {
      if (!(err instanceof ServerKeyError)) throw err;
      return err.message;
    }
  };
}
