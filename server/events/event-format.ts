import { canonicalJson, CanonicalJsonError } from '../core/canonical-json.js';
import { errors } from '../core/errors.js';
import { parseUserId } from '../core/ids.js';
import type { RoomVersion } from './room-versions.js';
import { isObject } from '../core/is-object.js';

/**
 * The federation format of events (PDUs) per room version (spec rooms/v1..v12 "Event
 * format", data/api/server-server/definitions/pdu_v*.yaml) and its shape checks.
 */

/** An event as JSON, before its shape is known (received events, redacted copies). */
export type EventJson = Record<string, unknown>;

/** `hashes` of a PDU (spec "event_hash"): the content hash under `sha256`. */
export interface EventHashes {
  sha256: string;
  [algorithm: string]: string;
}

/** `signatures` of a PDU: server name -> key id (`ed25519:abc`) -> unpadded base64. */
export type EventSignatures = Record<string, Record<string, string>>;

/**
 * `prev_events` / `auth_events`: plain event ids (v3+), or `[event_id, hashes]` pairs
 * (v1, v2; pdu_v1.yaml).
 */
export type EventReferences = string[] | [string, Partial<EventHashes>][];

/** A PDU of any room version; which optional keys appear depends on the version. */
export interface Pdu {
  auth_events: EventReferences;
  prev_events: EventReferences;
  content: Record<string, unknown>;
  depth: number;
  hashes: EventHashes;
  origin_server_ts: number;
  /** Absent only on the m.room.create event of v12 rooms (pdu_v12.yaml). */
  room_id?: string;
  sender: string;
  /** Present on state events, absent on the others. */
  state_key?: string;
  type: string;
  unsigned?: Record<string, unknown>;
  signatures: EventSignatures;
  /** The redacted event of m.room.redaction before v11 (v11 moved it into content). */
  redacts?: string;
  /** v1, v2 only: v3+ event ids are computed from the event (rooms/v3 "Event format"). */
  event_id?: string;
  /** Historical top-level keys that the v1-v10 redaction algorithm keeps. */
  origin?: string;
  membership?: string;
  prev_state?: unknown;
}

/** Client-server "Size limits": the whole event, as canonical federation JSON. */
export const MAX_PDU_BYTES = 65536;
/** Client-server "Size limits" and appendices "Identifier Grammar": sender, room_id, ... */
export const MAX_ID_BYTES = 255;
/** pdu_v*.yaml: "Must contain less than or equal to 20 events" / "... 10 events". */
export const MAX_PREV_EVENTS = 20;
export const MAX_AUTH_EVENTS = 10;

/** The ids an event references, whichever of the two formats it uses. */
export function referencedEventIds(refs: EventReferences): string[] {
  return refs.map((r) => (typeof r === 'string' ? r : r[0]));
}

function bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function isEventId(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith('$') && v.length > 1 && bytes(v) <= MAX_ID_BYTES;
}

function checkReferences(
  key: 'prev_events' | 'auth_events',
  value: unknown,
  max: number,
  version: RoomVersion,
  problems: string[],
): void {
  if (!Array.isArray(value)) {
    problems.push(`${key}: must be an array`);
    return;
  }
  if (value.length > max) problems.push(`${key}: must hold at most ${max} events`);
  const pairs = version.eventIdFormat === 'server';
  value.forEach((item: unknown, i) => {
    if (pairs) {
      const ok =
        Array.isArray(item) && item.length === 2 && isEventId(item[0]) && isObject(item[1]);
      if (!ok) problems.push(`${key}[${i}]: must be an [event_id, hashes] pair`);
    } else if (!isEventId(item)) {
      problems.push(`${key}[${i}]: must be an event id`);
    }
  });
}

function checkString(
  pdu: Record<string, unknown>,
  key: string,
  required: boolean,
  problems: string[],
  maxBytes?: number,
): void {
  const v = pdu[key];
  if (v === undefined) {
    if (required) problems.push(`${key}: required`);
    return;
  }
  if (typeof v !== 'string') problems.push(`${key}: must be a string`);
  else if (maxBytes !== undefined && bytes(v) > maxBytes) {
    problems.push(`${key}: must not exceed ${maxBytes} bytes`);
  }
}

function checkInteger(pdu: Record<string, unknown>, key: string, problems: string[]): void {
  const v = pdu[key];
  if (v === undefined) problems.push(`${key}: required`);
  else if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    // depth (pdu_v6 depth_v6.yaml) and timestamps are non-negative; a JavaScript number
    // holds integers exactly only up to 2^53 - 1, the v6+ canonical JSON limit.
    problems.push(`${key}: must be a non-negative integer below 2^53`);
  }
}

function checkSignatures(v: unknown, problems: string[]): void {
  const ok =
    isObject(v) &&
    Object.values(v).every((keys) => isObject(keys) && Object.values(keys).every(isString));
  if (!ok) problems.push('signatures: must map server names to objects of key id -> signature');
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

function checkRoomId(pdu: Record<string, unknown>, version: RoomVersion, problems: string[]) {
  const isCreate = pdu.type === 'm.room.create';
  if (version.roomIdFromCreateEvent && isCreate) {
    if (pdu.room_id !== undefined) problems.push('room_id: must be absent on m.room.create');
    return;
  }
  checkString(pdu, 'room_id', true, problems, MAX_ID_BYTES);
  if (typeof pdu.room_id === 'string' && !pdu.room_id.startsWith('!')) {
    problems.push('room_id: must start with !');
  }
}

function checkSize(pdu: Record<string, unknown>, version: RoomVersion, problems: string[]) {
  let json: string;
  try {
    json = canonicalJson(pdu);
  } catch (err) {
    if (!(err instanceof CanonicalJsonError)) throw err;
    // v6-canonical-json: "Servers MUST strictly enforce the JSON format"; earlier versions
    // MUST NOT, so their size is measured on plain JSON.
    if (version.strictCanonicalJson) {
      problems.push(`not canonical JSON: ${err.message}`);
      return;
    }
    json = JSON.stringify(pdu);
  }
  if (bytes(json) > MAX_PDU_BYTES) problems.push(`event: exceeds ${MAX_PDU_BYTES} bytes`);
}

/**
 * Checks that `pdu` has the shape of an event in a room of `version` (rooms/vN "Event
 * format" with pdu_v1/v3/v4/v6/v11/v12.yaml; client-server "Size limits";
 * rooms/v6 "Canonical JSON") and returns what is wrong with it, or [] when nothing is.
 * It checks keys, types and sizes, not authorisation, hashes or signatures. `sizeChecked`:
 * the caller has measured the event's canonical JSON already (buildEvent), so it is not
 * encoded again.
 */
export function validatePduShape(
  pdu: unknown,
  version: RoomVersion,
  opts: { sizeChecked?: boolean } = {},
): string[] {
  if (!isObject(pdu)) return ['event: must be a JSON object'];
  const problems: string[] = [];
  checkString(pdu, 'type', true, problems, MAX_ID_BYTES);
  checkString(pdu, 'sender', true, problems, MAX_ID_BYTES);
  if (typeof pdu.sender === 'string' && bytes(pdu.sender) <= MAX_ID_BYTES) {
    if (!parseUserId(pdu.sender)) problems.push('sender: must be a user id');
  }
  checkRoomId(pdu, version, problems);
  checkString(pdu, 'state_key', false, problems, MAX_ID_BYTES);
  if (version.eventIdFormat === 'server') {
    checkString(pdu, 'event_id', true, problems, MAX_ID_BYTES);
    if (typeof pdu.event_id === 'string' && !isEventId(pdu.event_id)) {
      problems.push('event_id: must start with $');
    }
  }
  if (!version.updatedRedactionRules) checkString(pdu, 'redacts', false, problems);
  if (!isObject(pdu.content)) problems.push('content: must be an object');
  checkInteger(pdu, 'depth', problems);
  checkInteger(pdu, 'origin_server_ts', problems);
  if (!isObject(pdu.hashes) || typeof pdu.hashes.sha256 !== 'string') {
    problems.push('hashes: must be an object with a sha256 string');
  }
  checkSignatures(pdu.signatures, problems);
  if (pdu.unsigned !== undefined && !isObject(pdu.unsigned)) {
    problems.push('unsigned: must be an object');
  }
  checkReferences('prev_events', pdu.prev_events, MAX_PREV_EVENTS, version, problems);
  checkReferences('auth_events', pdu.auth_events, MAX_AUTH_EVENTS, version, problems);
  if (!opts.sizeChecked) checkSize(pdu, version, problems);
  return problems;
}

/**
 * Returns `json` as a Pdu of `version`, or throws MatrixError 400 M_BAD_JSON naming every
 * problem validatePduShape found (the federation /send path drops such events instead).
 */
export function parsePdu(json: unknown, version: RoomVersion): Pdu {
  const problems = validatePduShape(json, version);
  if (problems.length) throw errors.badJson(`Invalid event: ${problems.join('; ')}`);
  return json as Pdu;
}
