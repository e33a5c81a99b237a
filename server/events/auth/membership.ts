import type { RoomVersion } from '../room-versions.js';
import { checkInvite } from './invite.js';
import { currentPowerLevels, userLevel, type PowerLevels } from './power-levels.js';
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

/**
 * The m.room.member rule (spec rooms/vN "Authorization rules", rule 5 in v1-v5 and v12,
 * 4 in v6-v11): join, invite, leave, ban and knock (v7+), with restricted joins through
 * `join_authorised_via_users_server` (v8+).
 */
export function checkMembership(
  event: AuthEvent,
  state: AuthState,
  v: RoomVersion,
  signedBy: SignedByServer,
): AuthResult {
  const n = ruleNumbers(v);
  const membership = event.content.membership;
  if (event.state_key === undefined || membership === undefined) {
    return deny(v.id, `${n.member}.1`, 'A membership event needs a state_key and a membership');
  }
  const authoriser = event.content.join_authorised_via_users_server;
  if (n.memberAuthorisedSigned && authoriser !== undefined) {
    const server = typeof authoriser === 'string' ? domainOf(authoriser) : undefined;
    if (!server || !signedBy(event, server)) {
      return deny(
        v.id,
        n.memberAuthorisedSigned,
        'The join is not signed by the server of join_authorised_via_users_server',
      );
    }
  }
  const pl = currentPowerLevels(state, v);
  switch (membership) {
    case 'join':
      return checkJoin(event, state, v, pl);
    case 'invite':
      return checkInvite(event, state, v, pl);
    case 'leave':
      return checkLeave(event, state, v, pl);
    case 'ban':
      return checkBan(event, state, v, pl);
    case 'knock':
      if (n.knock) return checkKnock(event, state, v);
  }
  return deny(v.id, n.memberUnknown, `Unknown membership "${String(membership)}"`);
}

/** The room's join rule; `invite` when it has no join rules event, as Synapse reads it. */
export function joinRuleOf(state: AuthState): string {
  const event = state('m.room.join_rules', '');
  if (!event) return 'invite';
  const rule = event.content.join_rule ?? 'invite';
  return typeof rule === 'string' ? rule : '';
}

/** The ids in prev_events: plain ids (v3+) or the first item of `[id, hashes]` (v1-v2). */
function prevEventIds(event: AuthEvent): unknown[] {
  return (event.prev_events ?? []).map((p) => (Array.isArray(p) ? p[0] : p));
}

/** The create event's id: known on the stored event, or from the room id in v12. */
function createEventId(create: AuthEvent, event: AuthEvent, v: RoomVersion): string | undefined {
  if (create.event_id) return create.event_id;
  if (v.roomIdFromCreateEvent && event.room_id?.startsWith('!')) {
    return `$${event.room_id.slice(1)}`;
  }
  return undefined;
}

function checkJoin(event: AuthEvent, state: AuthState, v: RoomVersion, pl: PowerLevels) {
  const n = ruleNumbers(v);
  const create = state('m.room.create', '');
  const prev = prevEventIds(event);
  if (create && prev.length === 1 && prev[0] === createEventId(create, event, v)) {
    // "the creator": content.creator (v1-v10), the create event's sender (v11+).
    const creator = v.implicitRoomCreator ? create.sender : create.content.creator;
    if (event.state_key === creator) return ALLOW;
  }
  if (event.sender !== event.state_key) {
    return deny(v.id, `${n.join}.2`, 'You cannot make someone else join');
  }
  const current = membershipOf(state, event.sender);
  if (current === 'ban') return deny(v.id, `${n.join}.3`, 'You are banned from this room');
  const rule = joinRuleOf(state);
  const byInvite = rule === 'invite' || (v.knockJoinRule && rule === 'knock');
  if (byInvite && (current === 'invite' || current === 'join')) return ALLOW;
  const restricted =
    (v.restrictedJoinRule && rule === 'restricted') ||
    (v.knockRestrictedJoinRule && rule === 'knock_restricted');
  if (n.joinRestricted && restricted) {
    if (current === 'join' || current === 'invite') return ALLOW;
    const via = event.content.join_authorised_via_users_server;
    const canInvite =
      typeof via === 'string' &&
      membershipOf(state, via) === 'join' &&
      userLevel(pl, via) >= pl.levels.invite;
    if (!canInvite) {
      return deny(
        v.id,
        `${n.joinRestricted}.2`,
        'join_authorised_via_users_server is not a joined member who may invite',
      );
    }
    return ALLOW;
  }
  if (rule === 'public') return ALLOW;
  return deny(v.id, n.joinOtherwise, 'You are not invited to this room');
}

function checkLeave(event: AuthEvent, state: AuthState, v: RoomVersion, pl: PowerLevels) {
  const n = ruleNumbers(v);
  const target = event.state_key ?? '';
  if (event.sender === target) {
    const current = membershipOf(state, target);
    const canLeave =
      current === 'invite' || current === 'join' || (v.knockJoinRule && current === 'knock');
    return canLeave ? ALLOW : deny(v.id, `${n.leave}.1`, 'You are not in this room');
  }
  if (membershipOf(state, event.sender) !== 'join') {
    return deny(v.id, `${n.leave}.2`, 'You are not in this room');
  }
  const own = userLevel(pl, event.sender);
  if (membershipOf(state, target) === 'ban' && own < pl.levels.ban) {
    return deny(v.id, `${n.leave}.3`, 'You do not have the power level to unban');
  }
  if (own >= pl.levels.kick && userLevel(pl, target) < own) return ALLOW;
  return deny(v.id, `${n.leave}.5`, 'You do not have the power level to kick this user');
}

function checkBan(event: AuthEvent, state: AuthState, v: RoomVersion, pl: PowerLevels) {
  const n = ruleNumbers(v);
  if (membershipOf(state, event.sender) !== 'join') {
    return deny(v.id, `${n.ban}.1`, 'You are not in this room');
  }
  const own = userLevel(pl, event.sender);
  if (own >= pl.levels.ban && userLevel(pl, event.state_key ?? '') < own) return ALLOW;
  return deny(v.id, `${n.ban}.3`, 'You do not have the power level to ban this user');
}

function checkKnock(event: AuthEvent, state: AuthState, v: RoomVersion) {
  const knock = ruleNumbers(v).knock ?? '';
  const rule = joinRuleOf(state);
  if (!(rule === 'knock' || (v.knockRestrictedJoinRule && rule === 'knock_restricted'))) {
    return deny(v.id, `${knock}.1`, 'This room does not accept knocks');
  }
  if (event.sender !== event.state_key) {
    return deny(v.id, `${knock}.2`, 'You cannot knock for someone else');
  }
  const current = membershipOf(state, event.sender);
  if (current !== 'ban' && current !== 'invite' && current !== 'join') return ALLOW;
  return deny(v.id, `${knock}.4`, `You cannot knock while your membership is "${current}"`);
}
