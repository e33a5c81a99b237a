import { CanonicalJsonError } from '../core/canonical-json.js';
import { errors, MatrixError } from '../core/errors.js';
import type { Ctx } from '../context.js';
import {
  MAX_PDU_BYTES,
  validatePduShape,
  type EventHashes,
  type EventJson,
  type Pdu,
} from './event-format.js';
import { eventIdFromReference, newServerEventId } from './hashes.js';
import { encodeBase64Url } from '../core/base64.js';
import type { RoomVersion } from './room-versions.js';
import type { Random } from '../core/clock.js';
import type { SigningKey } from '../core/signing.js';
import { signEventWithReference } from './sign-event.js';

/** An event this server references: its id, and its content hash for v1/v2 references. */
export interface EventRef {
  eventId: string;
  sha256: string;
}

/** What a local event is made from; the rest (ids, hashes, signature, time) is added here. */
export interface EventDraft {
  type: string;
  stateKey?: string | undefined;
  sender: string;
  content: Record<string, unknown>;
  /** null only for the m.room.create event of a v12 room, whose id is made from it. */
  roomId: string | null;
  prevEvents: EventRef[];
  authEvents: EventRef[];
  depth: number;
  /** The event an m.room.redaction redacts. */
  redacts?: string | undefined;
  /** When the event was made; now by default. */
  originServerTs?: number | undefined;
}

export interface BuiltEvent {
  eventId: string;
  roomId: string;
  pdu: Pdu;
  /** `JSON.stringify(pdu)`, as stored (events/store.ts insertPdu): made once here. */
  json: string;
}

/**
 * Builds a local event in `version`'s format, with its content hash and this server's
 * signature, and works out its id (and, for a v12 create event, the room id). Throws
 * M_TOO_LARGE over 65536 bytes and M_BAD_JSON for content canonical JSON cannot hold
 * (floats, huge integers) or ids over their size limits.
 */
export function buildLocalEvent(ctx: Ctx, version: RoomVersion, draft: EventDraft): BuiltEvent {
  const key = ctx.config.signingKeys[0];
  if (!key) throw new Error('no signing key loaded');
  return buildEvent(
    { serverName: ctx.config.serverName, key, now: () => ctx.clock.now(), random: ctx.random },
    version,
    draft,
  );
}

/** Who makes and signs an event: this server (buildLocalEvent), or another in tests. */
export interface EventOrigin {
  serverName: string;
  key: SigningKey;
  now(): number;
  random: Random;
}

/** buildLocalEvent for any origin: the event as `origin` would make and sign it. */
export function buildEvent(
  origin: EventOrigin,
  version: RoomVersion,
  draft: EventDraft,
): BuiltEvent {
  const { serverName, key } = origin;
  const refs = (rs: EventRef[]) =>
    version.eventIdFormat === 'server'
      ? rs.map((r): [string, Partial<EventHashes>] => [r.eventId, { sha256: r.sha256 }])
      : rs.map((r) => r.eventId);
  const content =
    draft.redacts !== undefined && version.updatedRedactionRules
      ? { ...draft.content, redacts: draft.redacts }
      : draft.content;
  const unsigned: Record<string, unknown> = {
    type: draft.type,
    sender: draft.sender,
    content,
    depth: draft.depth,
    origin_server_ts: draft.originServerTs ?? origin.now(),
    prev_events: refs(draft.prevEvents),
    auth_events: refs(draft.authEvents),
    ...(draft.roomId !== null ? { room_id: draft.roomId } : {}),
    ...(draft.stateKey !== undefined ? { state_key: draft.stateKey } : {}),
    ...(draft.redacts !== undefined && !version.updatedRedactionRules
      ? { redacts: draft.redacts }
      : {}),
    ...(version.eventIdFormat === 'server'
      ? { event_id: newServerEventId(origin.random, serverName) }
      : {}),
  };
  let pdu: Pdu;
  let referenceHash: Buffer;
  try {
    const signed = signEventWithReference(unsigned, serverName, key, version);
    pdu = signed.event as unknown as Pdu;
    referenceHash = signed.referenceHash;
  } catch (err) {
    if (err instanceof CanonicalJsonError) throw errors.badJson(`Invalid content: ${err.message}`);
    throw err;
  }
  // The stored form has the canonical form's length: the same values, escaped the same
  // way and without whitespace (canonicalJson encodes strings with JSON.stringify, and the
  // hashes above refused every value it cannot encode); only the key order differs.
  const json = JSON.stringify(pdu);
  if (Buffer.byteLength(json) > MAX_PDU_BYTES) {
    throw new MatrixError('M_TOO_LARGE', `Events are ${MAX_PDU_BYTES} bytes at most`, 413);
  }
  // Measured just above, on the canonical JSON every room version accepts.
  const problems = validatePduShape(pdu, version, { sizeChecked: true });
  if (problems.length) throw errors.invalidParam(`Invalid event: ${problems.join('; ')}`);
  const eventId = eventIdFromReference(pdu as unknown as EventJson, referenceHash, version);
  const roomId = draft.roomId ?? `!${encodeBase64Url(referenceHash)}`;
  return { eventId, roomId, pdu, json };
}
