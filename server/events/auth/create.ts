import { parseUserId } from '../../core/ids.js';
import { roomVersion, type RoomVersion } from '../room-versions.js';
import { ruleNumbers } from './rule-numbers.js';
import { ALLOW, deny, domainOf, type AuthEvent, type AuthResult } from './types.js';

/**
 * Rule 1 of every room version: an m.room.create event (spec rooms/vN "Authorization
 * rules"): no prev_events; the room id's domain is the sender's (v1-v11) or there is no
 * room id (v12); a known `room_version`; a `creator` (v1-v10); valid `additional_creators`
 * (v12).
 */
export function checkCreate(event: AuthEvent, v: RoomVersion): AuthResult {
  const n = ruleNumbers(v);
  if (Array.isArray(event.prev_events) && event.prev_events.length > 0) {
    return deny(v.id, '1.1', 'The create event must be the first event of the room');
  }
  if (v.roomIdFromCreateEvent) {
    if (event.room_id !== undefined) {
      return deny(v.id, n.createHasRoomId, 'The create event must not have a room id');
    }
  } else if (domainOf(event.room_id ?? '') !== domainOf(event.sender)) {
    return deny(v.id, n.createHasRoomId, "The room id's server is not the creator's server");
  }
  const requested = event.content.room_version;
  if (requested !== undefined && (typeof requested !== 'string' || !roomVersion(requested))) {
    return deny(v.id, n.createRoomVersion, 'The room version is not one this server knows');
  }
  if (n.createContent && !v.implicitRoomCreator && !('creator' in event.content)) {
    return deny(v.id, n.createContent, 'The create event has no creator');
  }
  if (n.createContent && v.privilegedCreators && 'additional_creators' in event.content) {
    const extra = event.content.additional_creators;
    const valid =
      Array.isArray(extra) && extra.every((id) => typeof id === 'string' && parseUserId(id));
    if (!valid) {
      return deny(v.id, n.createContent, 'additional_creators must be a list of user ids');
    }
  }
  return ALLOW;
}

/**
 * v12 rule 2: the room id is the create event's id with `!` for `$` (spec rooms/v12). The
 * caller finds the create event by the room id; when it knows the event's id it must match.
 */
export function checkRoomIdNamesCreate(
  event: AuthEvent,
  create: AuthEvent | undefined,
  v: RoomVersion,
): AuthResult {
  const n = ruleNumbers(v);
  if (!n.roomIdIsCreate) return ALLOW;
  const roomId = event.room_id;
  const createId = create?.event_id;
  if (!create || !roomId?.startsWith('!') || (createId && createId !== `$${roomId.slice(1)}`)) {
    return deny(v.id, n.roomIdIsCreate, 'The room id does not name an accepted create event');
  }
  return ALLOW;
}
