import type { RoomVersion } from '../room-versions.js';
import { ruleNumbers } from './rule-numbers.js';
import { ALLOW, deny, type AuthEvent, type AuthResult } from './types.js';
import { isObject } from '../../core/is-object.js';

/** A (type, state_key) pair of the room state. */
export type StateKeyPair = readonly [type: string, stateKey: string];

/**
 * The state an event's auth_events must be drawn from (spec server-server API, "Auth events
 * selection"): the create event (not in v12, where the room id names it), the power
 * levels, the sender's membership and, for m.room.member, the target's membership, the
 * join rules (join, invite, knock), the third-party invite named by its token (invite)
 * and the authorising user's membership (restricted join, v8+). Empty for m.room.create.
 */
export function authEventsNeeded(event: AuthEvent, v: RoomVersion): StateKeyPair[] {
  if (event.type === 'm.room.create') return [];
  const pairs: StateKeyPair[] = [];
  if (!v.roomIdFromCreateEvent) pairs.push(['m.room.create', '']);
  pairs.push(['m.room.power_levels', ''], ['m.room.member', event.sender]);
  if (event.type !== 'm.room.member' || event.state_key === undefined) return pairs;
  const {
    membership,
    third_party_invite: tpi,
    join_authorised_via_users_server: via,
  } = event.content;
  pairs.push(['m.room.member', event.state_key]);
  if (membership === 'join' || membership === 'invite' || membership === 'knock') {
    pairs.push(['m.room.join_rules', '']);
  }
  if (membership === 'invite' && isObject(tpi) && isObject(tpi.signed)) {
    const token = tpi.signed.token;
    if (typeof token === 'string') pairs.push(['m.room.third_party_invite', token]);
  }
  if (membership === 'join' && v.restrictedJoinRule && typeof via === 'string') {
    pairs.push(['m.room.member', via]);
  }
  return pairs;
}

/**
 * The rule on an event's auth_events themselves (spec rooms/vN "Authorization rules",
 * rule 2, or 3 in v12): no (type, state_key) twice; nothing the selection would not pick;
 * none rejected (as `isRejected` tells); the create event among them (v1-v11); all of
 * this room.
 */
export function checkAuthEvents(
  event: AuthEvent,
  authEvents: readonly AuthEvent[],
  v: RoomVersion,
  isRejected: (authEvent: AuthEvent) => boolean = () => false,
): AuthResult {
  const n = ruleNumbers(v);
  const allowed = new Set(authEventsNeeded(event, v).map((p) => pairKey(p[0], p[1])));
  const seen = new Set<string>();
  for (const auth of authEvents) {
    const key = pairKey(auth.type, auth.state_key ?? '');
    if (seen.has(key)) {
      return deny(v.id, `${n.authEvents}.1`, `auth_events lists ${auth.type} twice`);
    }
    seen.add(key);
    if (auth.state_key === undefined || !allowed.has(key)) {
      return deny(v.id, `${n.authEvents}.2`, `auth_events should not list ${auth.type}`);
    }
  }
  const rejected = authEvents.find(isRejected);
  if (rejected) {
    return deny(v.id, `${n.authEvents}.3`, `auth_events lists a rejected ${rejected.type}`);
  }
  if (n.authNoCreate && !authEvents.some((a) => a.type === 'm.room.create')) {
    return deny(v.id, n.authNoCreate, 'auth_events has no m.room.create');
  }
  if (authEvents.some((a) => a.room_id !== event.room_id)) {
    return deny(v.id, n.authRoomId, 'auth_events holds an event of another room');
  }
  return ALLOW;
}

function pairKey(type: string, stateKey: string): string {
  return JSON.stringify([type, stateKey]);
}
