import type { RoomVersion } from '../room-versions.js';
import { checkAuthEvents, authEventsNeeded } from './auth-events.js';
import { checkCreate, checkRoomIdNamesCreate } from './create.js';
import { checkMembership } from './membership.js';
import { checkPowerLevelsEvent } from './power-levels-event.js';
import { currentPowerLevels, requiredLevel, userLevel } from './power-levels.js';
import { ruleNumbers } from './rule-numbers.js';
import {
  ALLOW,
  deny,
  domainOf,
  membershipOf,
  type AuthEvent,
  type AuthResult,
  type AuthState,
  type SignedByServer,
} from './types.js';

export { authEventsNeeded, checkAuthEvents };
export type { AuthEvent, AuthResult, AuthState, SignedByServer };

export interface AuthOptions {
  /**
   * Whether the event is signed by a server (rule "join_authorised_via_users_server",
   * v8+). Defaults to the presence of that server's signature: the signature checks on
   * receipt verify every signature an event carries before the auth rules run.
   */
  signedBy?: SignedByServer;
}

/** The default SignedByServer: the event carries at least one signature of the server. */
export function hasSignatureFrom(event: AuthEvent, serverName: string): boolean {
  return Object.keys(event.signatures?.[serverName] ?? {}).length > 0;
}

/**
 * Whether `event` passes the authorization rules of room version `v` against `state` (the
 * create, power levels, join rules, relevant memberships and third-party invite), per
 * spec rooms/v1 .. v12 "Authorization rules". Pure. The event's top-level fields must
 * already have passed the event format checks (`content` an object, `sender` a string);
 * any content, however malformed, gets an answer rather than an exception. Signatures and
 * the auth_events list itself are checked elsewhere (checkAuthEvents, and the signature
 * checks on receipt).
 */
export function checkEventAuth(
  event: AuthEvent,
  state: AuthState,
  v: RoomVersion,
  options: AuthOptions = {},
): AuthResult {
  const n = ruleNumbers(v);
  if (event.type === 'm.room.create') return checkCreate(event, v);
  const create = state('m.room.create', '');
  const named = checkRoomIdNamesCreate(event, create, v);
  if (!named.ok) return named;
  if (!create) return deny(v.id, n.authNoCreate ?? n.authEvents, 'The room has no create event');
  if (
    create.content['m.federate'] === false &&
    domainOf(event.sender) !== domainOf(create.sender)
  ) {
    return deny(v.id, n.federate, 'This room does not accept users of other servers');
  }
  if (n.aliases && event.type === 'm.room.aliases') return checkAliases(event, v, n.aliases);
  if (event.type === 'm.room.member') {
    return checkMembership(event, state, v, options.signedBy ?? hasSignatureFrom);
  }
  if (membershipOf(state, event.sender) !== 'join') {
    return deny(v.id, n.senderJoined, 'You are not in this room');
  }
  const pl = currentPowerLevels(state, v);
  const own = userLevel(pl, event.sender);
  if (event.type === 'm.room.third_party_invite') {
    if (own >= pl.levels.invite) return ALLOW;
    return deny(v.id, `${n.thirdPartyInvite}.1`, 'You do not have the power level to invite');
  }
  if (requiredLevel(pl, event) > own) {
    return deny(v.id, n.requiredLevel, `You do not have the power level to send ${event.type}`);
  }
  if (event.state_key?.startsWith('@') && event.state_key !== event.sender) {
    return deny(v.id, n.stateKeyUser, "You cannot set another user's state");
  }
  if (event.type === 'm.room.power_levels') return checkPowerLevelsEvent(event, state, v);
  if (n.redaction && event.type === 'm.room.redaction') {
    if (own >= pl.levels.redact) return ALLOW;
    const target = domainOf(event.redacts ?? '');
    if (target !== undefined && target === domainOf(event.event_id ?? '')) return ALLOW;
    return deny(
      v.id,
      `${n.redaction}.3`,
      "You do not have the power level to redact others' events",
    );
  }
  return ALLOW;
}

/** v1-v5 rule 4: m.room.aliases, whose state_key is the sender's server (rooms/v1 .. v5). */
function checkAliases(event: AuthEvent, v: RoomVersion, rule: string): AuthResult {
  if (event.state_key === undefined) {
    return deny(v.id, `${rule}.1`, 'm.room.aliases needs a state_key');
  }
  if (domainOf(event.sender) !== event.state_key) {
    return deny(v.id, `${rule}.2`, "m.room.aliases' state_key must be your server");
  }
  return ALLOW;
}
