import type { Ctx } from '../../context.js';
import { CanonicalJsonError } from '../../core/canonical-json.js';
import { MatrixError } from '../../core/errors.js';
import { validatePduShape, type EventJson, type Pdu } from '../../events/event-format.js';
import { computeEventId } from '../../events/hashes.js';
import type { RoomVersion } from '../../events/room-versions.js';
import { checkPdusSignaturesAndHashes } from '../event-signatures.js';

/**
 * One PDU received from another server, through the first of the spec's checks on receipt
 * (server-server "Checks performed on receipt of a PDU"): 1. its format for the room's
 * version (dropped when invalid), 2. signatures (dropped), 3. hashes (redacted). Steps 4-6
 * follow in ./persist-received.ts.
 */

/** What the answer to a transaction says of one PDU: `{}` handled, or why not. */
export type PduResult = Record<string, never> | { error: string };

/** A room this server is in, as the PDUs of a transaction meet it. */
export interface ReceivingRoom {
  roomId: string;
  version: RoomVersion;
}

/** A PDU that passed steps 1-3: its id and the event to persist. */
export interface CheckedPdu {
  eventId: string;
  pdu: Pdu;
}

/**
 * The id of a received PDU in a room of `version`, or null when it cannot be worked out
 * (no `event_id` in v1/v2, or JSON that canonical JSON cannot hold).
 */
export function pduEventId(json: EventJson, version: RoomVersion): string | null {
  try {
    return computeEventId(json, version);
  } catch (err) {
    if (err instanceof CanonicalJsonError || err instanceof MatrixError) return null;
    throw err;
  }
}

/**
 * Steps 1-3 for a PDU of `room`: the checked event (redacted when its content hash was
 * wrong, `unsigned` dropped: it is the sender's to fill, not signed, and nothing of it is
 * kept), or why it is dropped.
 */
export async function checkReceivedPdu(
  ctx: Ctx,
  room: ReceivingRoom,
  json: EventJson,
  eventId: string,
): Promise<CheckedPdu | { error: string }> {
  return (await checkReceivedPdus(ctx, room, [{ json, eventId }]))[0]!;
}

/** checkReceivedPdu for many PDUs of a room, their signatures checked together. */
export async function checkReceivedPdus(
  ctx: Ctx,
  room: ReceivingRoom,
  list: readonly { json: EventJson; eventId: string }[],
): Promise<(CheckedPdu | { error: string })[]> {
  const out: (CheckedPdu | { error: string } | null)[] = list.map(({ json }) => {
    const problems = validatePduShape(json, room.version);
    if (problems.length) return { error: `Invalid event: ${problems.join('; ')}` };
    if (json.room_id !== room.roomId) return { error: `The event is not in room ${room.roomId}` };
    return null;
  });
  const toCheck = list.filter((_, i) => out[i] === null);
  const checks = await checkPdusSignaturesAndHashes(
    ctx,
    room.version,
    toCheck.map((p) => p.json),
  );
  let k = 0;
  return out.map((early, i) => {
    if (early) return early;
    const checked = checks[k++]!;
    if (!checked.ok) return { error: `Signature check failed: ${checked.reason}` };
    const { unsigned: _unsigned, ...event } = checked.event;
    return { eventId: list[i]!.eventId, pdu: event as unknown as Pdu };
  });
}
