import { verifyJsonSignature } from '../../core/signing.js';
import type { RoomVersion } from '../room-versions.js';
import { userLevel, type PowerLevels } from './power-levels.js';
import { ruleNumbers } from './rule-numbers.js';
import {
  ALLOW,
  deny,
  membershipOf,
  type AuthEvent,
  type AuthResult,
  type AuthState,
} from './types.js';
import { isObject } from '../../core/is-object.js';

/**
 * An invite (spec rooms/vN "Authorization rules", m.room.member, `membership` is `invite`):
 * a third-party invite must carry a `signed` block from the m.room.third_party_invite's
 * keys; otherwise the sender must be joined, the target neither joined nor banned, and the
 * sender at the invite level.
 */
export function checkInvite(
  event: AuthEvent,
  state: AuthState,
  v: RoomVersion,
  pl: PowerLevels,
): AuthResult {
  const invite = ruleNumbers(v).invite;
  const target = event.state_key ?? '';
  if ('third_party_invite' in event.content) {
    return checkThirdPartyInvite(event, state, v, `${invite}.1`);
  }
  if (membershipOf(state, event.sender) !== 'join') {
    return deny(v.id, `${invite}.2`, 'You are not in this room');
  }
  const current = membershipOf(state, target);
  if (current === 'join' || current === 'ban') {
    const why = current === 'join' ? 'already in the room' : 'banned from the room';
    return deny(v.id, `${invite}.3`, `${target} is ${why}`);
  }
  if (userLevel(pl, event.sender) >= pl.levels.invite) return ALLOW;
  return deny(v.id, `${invite}.5`, 'You do not have the power level to invite');
}

function checkThirdPartyInvite(
  event: AuthEvent,
  state: AuthState,
  v: RoomVersion,
  rule: string,
): AuthResult {
  const target = event.state_key ?? '';
  if (membershipOf(state, target) === 'ban') {
    return deny(v.id, `${rule}.1`, `${target} is banned from the room`);
  }
  const tpi = event.content.third_party_invite;
  const signed = isObject(tpi) ? tpi.signed : undefined;
  if (!isObject(signed)) {
    return deny(v.id, `${rule}.2`, 'third_party_invite has no signed block');
  }
  const { mxid, token } = signed;
  if (typeof mxid !== 'string' || typeof token !== 'string') {
    return deny(v.id, `${rule}.3`, 'The signed block needs mxid and token');
  }
  if (mxid !== target) {
    return deny(v.id, `${rule}.4`, 'The signed mxid is not the invited user');
  }
  const invite = state('m.room.third_party_invite', token);
  if (!invite) {
    return deny(v.id, `${rule}.5`, 'No third-party invite in the room matches the token');
  }
  if (invite.sender !== event.sender) {
    return deny(v.id, `${rule}.6`, 'Only the sender of the third-party invite can complete it');
  }
  if (signedByAnyKey(signed, publicKeys(invite))) return ALLOW;
  return deny(v.id, `${rule}.8`, 'The third-party invite signature does not verify');
}

/** The keys of an m.room.third_party_invite: `public_key` and each of `public_keys`. */
function publicKeys(invite: AuthEvent): string[] {
  const keys: string[] = [];
  const { public_key: single, public_keys: list } = invite.content;
  if (typeof single === 'string') keys.push(single);
  if (Array.isArray(list)) {
    for (const entry of list) {
      if (isObject(entry) && typeof entry.public_key === 'string') keys.push(entry.public_key);
    }
  }
  return keys;
}

/** Whether any signature in `signed.signatures` verifies with any of `keys`. */
function signedByAnyKey(signed: Record<string, unknown>, keys: string[]): boolean {
  const signatures = signed.signatures;
  if (!isObject(signatures)) return false;
  for (const byKey of Object.values(signatures)) {
    if (!isObject(byKey)) continue;
    for (const sig of Object.values(byKey)) {
      if (typeof sig !== 'string') continue;
      if (keys.some((key) => verifies(signed, sig, key))) return true;
    }
  }
  return false;
}

function verifies(signed: Record<string, unknown>, sig: string, key: string): boolean {
  try {
    return verifyJsonSignature(signed, sig, key);
  } catch {
    return false;
  }
}
