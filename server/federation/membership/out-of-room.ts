import type { Ctx } from '../../context.js';
import { parseUserId } from '../../core/ids.js';
import { validatePduShape, type EventJson, type Pdu } from '../../events/event-format.js';
import { computeEventId } from '../../events/hashes.js';
import { roomVersion } from '../../events/room-versions.js';
import { checkPduSignaturesAndHashes } from '../event-signatures.js';
import { currentRemoteMembership, recordRemoteMembership } from './remote-memberships.js';
import { isObject } from '../../core/is-object.js';

/**
 * A PDU, arriving by /send, of a room this server is not in, that ends a local user's
 * remote invite or knock: the inviting server rescinding its invite, or the room refusing
 * a knock (a leave or ban of the user; the sender queues those for the target's server,
 * as Hearth's and Synapse's do). With no state of the room here its auth rules cannot be
 * checked, so only the server the invite or knock went through may end it, with an event
 * of one of its users that it signed; it is recorded as the user's remote leave.
 */

/** What the transaction answer says of the PDU; null when it is not such an event. */
export type OutOfRoomResult = Record<string, never> | { error: string } | null;

/**
 * Handles `json` (sent by `origin`) when it ends a pending remote invite or knock of a
 * local user; resolves null when it does not concern one (the caller answers as for any
 * event of an unknown room).
 */
export async function receiveOutOfRoomMembership(
  ctx: Ctx,
  origin: string,
  json: EventJson,
): Promise<OutOfRoomResult> {
  const { type, state_key: target, room_id: roomId, content } = json;
  if (type !== 'm.room.member' || typeof target !== 'string' || typeof roomId !== 'string') {
    return null;
  }
  const membership = isObject(content) ? content.membership : undefined;
  if (membership !== 'leave' && membership !== 'ban') return null;
  if (parseUserId(target)?.serverName !== ctx.config.serverName) return null;
  const pending = await currentRemoteMembership(ctx, target, roomId);
  if (!pending || pending.membership === 'leave') return null;
  const version = roomVersion(pending.roomVersion);
  if (!version) return null;

  const inviter = parseUserId(pending.pdu.sender)?.serverName;
  if (!pending.viaServers.includes(origin) && inviter !== origin) {
    return { error: `${origin} did not send the ${pending.membership} it would end` };
  }
  if (typeof json.sender !== 'string' || parseUserId(json.sender)?.serverName !== origin) {
    return { error: `The sender is not a user of ${origin}` };
  }
  const problems = validatePduShape(json, version);
  if (problems.length) return { error: `Invalid event: ${problems.join('; ')}` };
  let eventId: string;
  try {
    eventId = computeEventId(json, version);
  } catch {
    return { error: 'The event id cannot be worked out' };
  }
  const checked = await checkPduSignaturesAndHashes(ctx, version, json);
  if (!checked.ok) return { error: `Signature check failed: ${checked.reason}` };
  const { unsigned: _u, ...pdu } = checked.event;
  await recordRemoteMembership(ctx, {
    userId: target,
    roomId,
    eventId,
    pdu: pdu as unknown as Pdu,
    membership: 'leave',
    roomVersion: version.id,
    viaServers: pending.viaServers,
    strippedState: [],
  });
  return {};
}
