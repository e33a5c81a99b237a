import { hash } from 'node:crypto';
import { encodeBase64, encodeBase64Url } from '../core/base64.js';
import { canonicalJsonWithout } from '../core/canonical-json.js';
import { NOT_SIGNED } from '../core/signing.js';
import { randomString, type Random } from '../core/clock.js';
import { errors } from '../core/errors.js';
import type { EventJson } from './event-format.js';
import { redactEvent } from './redaction.js';
import { roomVersion, type RoomVersion } from './room-versions.js';

/**
 * Event hashes and the ids made from them (spec server-server "Calculating the content hash
 * for an event", "Calculating the reference hash for an event"; rooms/v1, v3, v4 "Event
 * IDs"; appendices "Room IDs" for v12).
 */

/** One-shot crypto.hash: no Hash object per call (about 0.6 µs less for an event's JSON). */
function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}

/** The keys the content hash does not cover. */
const NOT_IN_CONTENT_HASH: ReadonlySet<string> = new Set(['unsigned', 'signatures', 'hashes']);

/**
 * The content hash of `event` as unpadded base64: sha256 of its canonical JSON without
 * `unsigned`, `signatures` and `hashes` (server-server "Calculating the content hash").
 * It covers the unredacted content. Throws CanonicalJsonError when the event holds values
 * canonical JSON cannot encode (floats, integers beyond 2^53 - 1).
 */
export function computeContentHash(event: EventJson): string {
  return encodeBase64(sha256(canonicalJsonWithout(event, NOT_IN_CONTENT_HASH)));
}

/**
 * The reference hash of `event` (32 raw bytes): sha256 of the canonical JSON of the
 * redacted event without `signatures` and `unsigned` (server-server "Calculating the
 * reference hash for an event"; redaction drops `age_ts` and every other unlisted key).
 * Pass the federation form: a v3+ event carries no `event_id`. Throws CanonicalJsonError
 * like computeContentHash.
 */
export function computeReferenceHash(event: EventJson, version: RoomVersion): Buffer {
  return sha256(canonicalJsonWithout(redactEvent(event, version), NOT_SIGNED));
}

/**
 * The id of `event` in a room of `version`: `$` + the reference hash in unpadded base64
 * (v3, rooms/v3 "Event IDs") or URL-safe unpadded base64 (v4+, v4-event-ids). In v1 and v2
 * ids are assigned by the sending server and travel in `event_id` (v1-event-ids), which is
 * returned; throws MatrixError M_BAD_JSON when such an event has none.
 */
export function computeEventId(event: EventJson, version: RoomVersion): string {
  return eventIdFromReference(
    event,
    version.eventIdFormat === 'server' ? null : computeReferenceHash(event, version),
    version,
  );
}

/** computeEventId, given the event's reference hash (unused, and may be null, in v1/v2). */
export function eventIdFromReference(
  event: EventJson,
  referenceHash: Buffer | null,
  version: RoomVersion,
): string {
  switch (version.eventIdFormat) {
    case 'server':
      if (typeof event.event_id !== 'string') {
        throw errors.badJson(`Events of room version ${version.id} must have an event_id`);
      }
      return event.event_id;
    case 'hash':
      return `$${encodeBase64(referenceHash!)}`;
    case 'url-safe-hash':
      return `$${encodeBase64Url(referenceHash!)}`;
  }
}

/**
 * A new event id for room versions 1 and 2: `$opaque_id:domain` with a random locally
 * unique opaque id (rooms/v1 "Event IDs", v1-event-ids).
 */
export function newServerEventId(random: Random, serverName: string): string {
  return `$${randomString(random, 18)}:${serverName}`;
}

const V12 = roomVersion('12')!;

/**
 * The room id a v12 m.room.create event makes: `!` + the URL-safe unpadded base64
 * reference hash of the create event, i.e. its event id with `!` for `$` (rooms/v12
 * "Event format", appendices "Room IDs").
 */
export function computeRoomIdV12(createEvent: EventJson): string {
  return `!${encodeBase64Url(computeReferenceHash(createEvent, V12))}`;
}
