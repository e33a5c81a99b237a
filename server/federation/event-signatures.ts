import type { Ctx } from '../context.js';
import { userServerOf } from '../core/ids.js';
import type { EventJson } from '../events/event-format.js';
import { redactEvent } from '../events/redaction.js';
import type { RoomVersion } from '../events/room-versions.js';
import { checkContentHash, verifyEventSignature } from '../events/sign-event.js';
import { getServerVerifyKey, ServerKeyError } from './keys/fetch.js';
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
  if (!isObject(pdu.signatures)) return { ok: false, reason: 'the event has no signatures' };
  const ts = pdu.origin_server_ts;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) {
    return { ok: false, reason: 'origin_server_ts is not an integer' };
  }
  const signers = requiredSigners(version, pdu);
  if (typeof signers === 'string') return { ok: false, reason: signers };
  const minimumValidUntilTs = version.enforceKeyValidity ? ts : 0;
  for (const server of signers) {
    const failure = await checkServerSignature(ctx, version, pdu, server, minimumValidUntilTs);
    if (failure) return { ok: false, reason: failure };
  }
  if (checkContentHash(pdu)) return { ok: true, event: pdu, redacted: false };
  ctx.log.info(
    { event_id: pdu.event_id, sender: pdu.sender },
    'content hash mismatch: processing the redacted event',
  );
  return { ok: true, event: redactEvent(pdu, version), redacted: true };
}

/**
 * Null when `server` signed `pdu` with at least one usable key and every signature with
 * a usable key verifies (appendices "Checking for a signature"); else why not.
 */
async function checkServerSignature(
  ctx: Ctx,
  version: RoomVersion,
  pdu: EventJson,
  server: string,
  minimumValidUntilTs: number,
): Promise<string | null> {
  const sigs = (pdu.signatures as Record<string, unknown>)[server];
  const keyIds = isObject(sigs) ? Object.keys(sigs).filter(isEd25519KeyId) : [];
  if (!keyIds.length) return `the event is not signed by ${server}`;
  const skipped: string[] = [];
  let verified = false;
  for (const keyId of keyIds) {
    let key;
    try {
      key = await getServerVerifyKey(ctx, server, keyId, { minimumValidUntilTs });
    } catch (err) {
      if (!(err instanceof ServerKeyError)) throw err;
      skipped.push(err.message);
      continue;
    }
    if (!verifyEventSignature(pdu, server, keyId, key.key, version)) {
      return `the signature of ${server} with ${keyId} is not valid`;
    }
    verified = true;
  }
  if (verified) return null;
  return `no usable key of ${server} signed the event (${skipped.join('; ')})`;
}
