import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import { userServerOf } from '../../core/ids.js';
import { validatePduShape, type EventJson, type Pdu } from '../../events/event-format.js';
import { computeEventId } from '../../events/hashes.js';
import { roomVersion, type RoomVersion } from '../../events/room-versions.js';
import { checkPduSignaturesAndHashes } from '../event-signatures.js';

/**
 * The checks every member event another server hands over (invite, send_leave,
 * send_knock) passes before anything is signed or stored: the spec's lists under each of
 * those endpoints ("servers SHOULD return M_INVALID_PARAM if ...").
 */

/**
 * The room version by id, or 400 M_INCOMPATIBLE_ROOM_VERSION (with `room_version`, as the
 * spec's error body has it) when this server does not implement it.
 */
export function supportedRoomVersion(id: string): RoomVersion {
  const v = roomVersion(id);
  if (!v) {
    throw new MatrixError(
      'M_INCOMPATIBLE_ROOM_VERSION',
      `This server does not support room version ${id}`,
      400,
      { room_version: id },
    );
  }
  return v;
}

/** An event `origin` hands over for `roomId` (of `version`), claimed to have id `eventId`. */
export interface IncomingEvent {
  origin: string;
  roomId: string;
  eventId: string;
  version: RoomVersion;
  event: unknown;
}

/**
 * Checks `event` as an m.room.member event of `membership` in `roomId` with id `eventId`,
 * sent by a user of `origin`, signed by the servers that must sign it, with its content
 * hash intact (an event that would be redacted is refused: it is not what was signed).
 * For invites the target must be a user of this server; for leaves and knocks it must be
 * the sender. Returns the event as a Pdu.
 * @throws MatrixError 400 M_BAD_JSON (shape), M_INVALID_PARAM (everything else).
 */
export async function checkIncomingMemberEvent(
  ctx: Ctx,
  a: IncomingEvent & { membership: 'invite' | 'leave' | 'knock' | 'join' },
): Promise<Pdu> {
  const { version } = a;
  const problems = validatePduShape(a.event, version);
  if (problems.length) throw errors.badJson(`Invalid event: ${problems.join('; ')}`);
  const pdu = a.event as Pdu;
  if (pdu.type !== 'm.room.member') throw errors.invalidParam('The event is not m.room.member');
  if (pdu.content.membership !== a.membership) {
    throw errors.invalidParam(`The event's membership is not ${a.membership}`);
  }
  if (pdu.state_key === undefined) throw errors.invalidParam('The event has no state_key');
  if (userServerOf(pdu.sender) !== a.origin) {
    throw errors.invalidParam(`The sender ${pdu.sender} is not a user of ${a.origin}`);
  }
  if (a.membership === 'invite') {
    if (userServerOf(pdu.state_key) !== ctx.config.serverName) {
      throw errors.invalidParam(`${pdu.state_key} is not a user of this server`);
    }
  } else if (pdu.state_key !== pdu.sender) {
    throw errors.invalidParam('The state_key is not the sender');
  }
  if (pdu.room_id !== a.roomId) throw errors.invalidParam('The event is not of this room');
  let id: string;
  try {
    id = computeEventId(pdu as unknown as EventJson, version);
  } catch {
    throw errors.invalidParam('The event has no event id');
  }
  if (id !== a.eventId) {
    throw errors.invalidParam(`The event's id is ${id}, not ${a.eventId}`);
  }
  const checked = await checkPduSignaturesAndHashes(ctx, version, pdu as unknown as EventJson);
  if (!checked.ok) throw errors.invalidParam(`Bad signature: ${checked.reason}`);
  if (checked.redacted) throw errors.invalidParam('The event does not match its content hash');
  return pdu;
}
