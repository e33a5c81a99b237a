import { parseDottedPath, valueAtPath } from '../core/dotted-path.js';
import { compileGlob } from './glob.js';
import type { PowerLevelsContent, PushCondition, PushContext, PushEvent } from './types.js';

/**
 * Push rule conditions (client-server API, "Conditions"), compiled once into checks:
 * key paths parsed and patterns tokenized when a ruleset is compiled, not per event.
 */

/** The level needed for a `sender_notification_permission` key with no entry ("room": 50). */
const DEFAULT_NOTIFICATION_LEVEL = 50;

/** A condition or rule, compiled: its paths parsed and patterns tokenized once. */
export type EventCheck = (event: PushEvent, context: PushContext) => boolean;

/** A check that never holds: unknown or incomplete conditions, disabled rules. */
export const neverMatches: EventCheck = () => false;

/**
 * Compiles one push condition (client-server API, "Conditions"). Unknown kinds and
 * conditions missing their parameters never match, which disables the rule that holds
 * them, as the spec requires.
 */
export function compileCondition(condition: PushCondition): EventCheck {
  switch (condition.kind) {
    case 'event_match':
      return compileEventMatch(condition);
    case 'event_property_is':
      return compileEventPropertyIs(condition);
    case 'event_property_contains':
      return compileEventPropertyContains(condition);
    case 'contains_display_name':
      return (event, context) => containsDisplayName(event, context.displayName);
    case 'room_member_count':
      return compileRoomMemberCount(condition.is);
    case 'sender_notification_permission': {
      const key = condition.key;
      if (typeof key !== 'string') return neverMatches;
      return (event, context) => senderMayNotify(key, event.sender, context);
    }
    default:
      return neverMatches;
  }
}

/** Whether one push condition holds for an event (client-server API, "Conditions"). */
export function conditionMatches(
  condition: PushCondition,
  event: PushEvent,
  context: PushContext,
): boolean {
  return compileCondition(condition)(event, context);
}

function compileEventMatch(condition: PushCondition): EventCheck {
  const { key, pattern } = condition;
  if (typeof key !== 'string' || typeof pattern !== 'string') return neverMatches;
  const path = parseDottedPath(key);
  const glob = compileGlob(pattern);
  const isBody = path.length === 2 && path[0] === 'content' && path[1] === 'body';
  return (event) => {
    const value = valueAtPath(event, path);
    if (typeof value !== 'string') return false;
    return isBody ? glob.matchesWords(value) : glob.matchesValue(value);
  };
}

function isPushScalar(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function compileEventPropertyIs(condition: PushCondition): EventCheck {
  const expected = condition.value;
  if (typeof condition.key !== 'string' || !isPushScalar(expected)) return neverMatches;
  const path = parseDottedPath(condition.key);
  return (event) => {
    const value = valueAtPath(event, path);
    return isPushScalar(value) && value === expected;
  };
}

function compileEventPropertyContains(condition: PushCondition): EventCheck {
  const expected = condition.value;
  if (typeof condition.key !== 'string' || !isPushScalar(expected)) return neverMatches;
  const path = parseDottedPath(condition.key);
  return (event) => {
    const list = valueAtPath(event, path);
    return Array.isArray(list) && list.some((item) => isPushScalar(item) && item === expected);
  };
}

/** `contains_display_name` (deprecated since v1.17 but still defined): the name as words. */
function containsDisplayName(event: PushEvent, displayName: string | null): boolean {
  if (!displayName) return false;
  const body = valueAtPath(event, ['content', 'body']);
  if (typeof body !== 'string') return false;
  return compileGlob(displayName, false).matchesWords(body);
}

/**
 * `room_member_count`: `is` is a decimal integer with an optional `==`, `<`, `>`, `<=` or
 * `>=` prefix (`==` when absent).
 */
function compileRoomMemberCount(is: string | undefined): EventCheck {
  if (typeof is !== 'string') return neverMatches;
  const m = /^(==|<=|>=|<|>)?([0-9]+)$/.exec(is);
  if (!m) return neverMatches;
  const n = Number(m[2]);
  switch (m[1]) {
    case '<':
      return (_e, c) => c.roomMemberCount < n;
    case '>':
      return (_e, c) => c.roomMemberCount > n;
    case '<=':
      return (_e, c) => c.roomMemberCount <= n;
    case '>=':
      return (_e, c) => c.roomMemberCount >= n;
    default:
      return (_e, c) => c.roomMemberCount === n;
  }
}

function levelOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^[+-]?[0-9]+$/.test(value.trim())) return Number(value);
  return null;
}

/** The sender's level from power levels content (`users`, else `users_default`, else 0). */
function powerLevelOf(userId: string, powerLevels: PowerLevelsContent | null): number {
  if (!powerLevels) return 0;
  const users = powerLevels.users;
  const own = users && Object.hasOwn(users, userId) ? levelOf(users[userId]) : null;
  return own ?? levelOf(powerLevels.users_default) ?? 0;
}

/**
 * `sender_notification_permission`: the sender's power level must reach
 * `notifications[key]` of the room's power levels (50 when unset, as for `room`).
 */
function senderMayNotify(key: string, sender: string, context: PushContext): boolean {
  const notifications = context.powerLevels?.notifications;
  const required =
    (notifications && Object.hasOwn(notifications, key) ? levelOf(notifications[key]) : null) ??
    DEFAULT_NOTIFICATION_LEVEL;
  const level = context.senderPowerLevel ?? powerLevelOf(sender, context.powerLevels);
  return level >= required;
}
