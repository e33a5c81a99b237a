import { parseDottedPath, valueAtPath } from '../core/dotted-path.js';
import { globMatchesValue, globMatchesWords, literalMatchesWords } from './glob.js';
import {
  PUSH_RULE_KINDS,
  type PowerLevelsContent,
  type PushAction,
  type PushCondition,
  type PushContext,
  type PushEvent,
  type PushRule,
  type PushRuleKind,
  type PushRuleset,
} from './types.js';

/**
 * Push rule evaluation (client-server API, "Push Rules", "Conditions", "Actions"): which
 * rule of a user's ruleset applies to an event, and what that means for the user's
 * notification and highlight counts. Pure: the caller gathers the room facts.
 */

/** The level needed for a `sender_notification_permission` key with no entry ("room": 50). */
const DEFAULT_NOTIFICATION_LEVEL = 50;
/** Actions of older spec versions that must be ignored (client-server API, "Historical Actions"). */
const HISTORICAL_ACTIONS = new Set(['dont_notify', 'coalesce']);

/**
 * Whether one push condition holds for an event (client-server API, "Conditions").
 * Unknown kinds and conditions missing their parameters never match, which disables the
 * rule that holds them, as the spec requires.
 */
export function conditionMatches(
  condition: PushCondition,
  event: PushEvent,
  context: PushContext,
): boolean {
  switch (condition.kind) {
    case 'event_match':
      return eventMatch(condition, event);
    case 'event_property_is':
      return eventPropertyIs(condition, event);
    case 'event_property_contains':
      return eventPropertyContains(condition, event);
    case 'contains_display_name':
      return containsDisplayName(event, context.displayName);
    case 'room_member_count':
      return roomMemberCountIs(condition.is, context.roomMemberCount);
    case 'sender_notification_permission':
      return senderMayNotify(condition.key, event.sender, context);
    default:
      return false;
  }
}

function eventMatch(condition: PushCondition, event: PushEvent): boolean {
  const { key, pattern } = condition;
  if (typeof key !== 'string' || typeof pattern !== 'string') return false;
  const path = parseDottedPath(key);
  const value = valueAtPath(event, path);
  if (typeof value !== 'string') return false;
  const isBody = path.length === 2 && path[0] === 'content' && path[1] === 'body';
  return isBody ? globMatchesWords(pattern, value) : globMatchesValue(pattern, value);
}

function isPushScalar(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function eventPropertyIs(condition: PushCondition, event: PushEvent): boolean {
  if (typeof condition.key !== 'string' || !isPushScalar(condition.value)) return false;
  const value = valueAtPath(event, parseDottedPath(condition.key));
  return isPushScalar(value) && value === condition.value;
}

function eventPropertyContains(condition: PushCondition, event: PushEvent): boolean {
  if (typeof condition.key !== 'string' || !isPushScalar(condition.value)) return false;
  const list = valueAtPath(event, parseDottedPath(condition.key));
  if (!Array.isArray(list)) return false;
  return list.some((item) => isPushScalar(item) && item === condition.value);
}

/** `contains_display_name` (deprecated since v1.17 but still defined): the name as words. */
function containsDisplayName(event: PushEvent, displayName: string | null): boolean {
  if (!displayName) return false;
  const body = valueAtPath(event, ['content', 'body']);
  if (typeof body !== 'string') return false;
  return literalMatchesWords(displayName, body);
}

/**
 * `room_member_count`: `is` is a decimal integer with an optional `==`, `<`, `>`, `<=` or
 * `>=` prefix (`==` when absent).
 */
function roomMemberCountIs(is: string | undefined, count: number): boolean {
  if (typeof is !== 'string') return false;
  const m = /^(==|<=|>=|<|>)?([0-9]+)$/.exec(is);
  if (!m) return false;
  const n = Number(m[2]);
  switch (m[1]) {
    case '<':
      return count < n;
    case '>':
      return count > n;
    case '<=':
      return count <= n;
    case '>=':
      return count >= n;
    default:
      return count === n;
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
function senderMayNotify(key: string | undefined, sender: string, context: PushContext): boolean {
  if (typeof key !== 'string') return false;
  const notifications = context.powerLevels?.notifications;
  const required =
    (notifications && Object.hasOwn(notifications, key) ? levelOf(notifications[key]) : null) ??
    DEFAULT_NOTIFICATION_LEVEL;
  const level = context.senderPowerLevel ?? powerLevelOf(sender, context.powerLevels);
  return level >= required;
}

/**
 * Whether an enabled rule of the given kind applies to an event (client-server API,
 * "Push Rules"): override and underride rules by their conditions (none: always), content
 * rules by their `pattern` against `content.body` as words, room rules when the event's
 * room is the rule id, sender rules when its sender is. Disabled rules never match.
 */
export function ruleMatches(
  kind: PushRuleKind,
  rule: PushRule,
  event: PushEvent,
  context: PushContext,
): boolean {
  if (!rule.enabled) return false;
  switch (kind) {
    case 'override':
    case 'underride':
      return (rule.conditions ?? []).every((c) => conditionMatches(c, event, context));
    case 'content': {
      const body = valueAtPath(event, ['content', 'body']);
      return (
        typeof rule.pattern === 'string' &&
        typeof body === 'string' &&
        globMatchesWords(rule.pattern, body)
      );
    }
    case 'room':
      return event.room_id === rule.rule_id;
    case 'sender':
      return event.sender === rule.rule_id;
  }
}

/** The first enabled rule that matches, by kind order then list order; null when none. */
export function findMatchingRule(
  ruleset: Partial<PushRuleset>,
  event: PushEvent,
  context: PushContext,
): { kind: PushRuleKind; rule: PushRule } | null {
  for (const kind of PUSH_RULE_KINDS) {
    for (const rule of ruleset[kind] ?? []) {
      if (ruleMatches(kind, rule, event, context)) return { kind, rule };
    }
  }
  return null;
}

/**
 * The actions a user's push rules give for an event: those of the first enabled rule that
 * matches, in the order override, content, room, sender, underride (client-server API,
 * "Push Rules"), with the historical `dont_notify` and `coalesce` removed. Empty when no
 * rule matches and for the user's own events, which never notify.
 */
export function evaluatePushRules(
  ruleset: Partial<PushRuleset>,
  event: PushEvent,
  context: PushContext,
): PushAction[] {
  if (event.sender === context.userId) return [];
  const found = findMatchingRule(ruleset, event, context);
  if (!found) return [];
  return found.rule.actions.filter((a) => !(typeof a === 'string' && HISTORICAL_ACTIONS.has(a)));
}

/** What a set of actions means for the room's unread counts in /sync. */
export interface NotificationCounts {
  /** Counts toward `notification_count`: the actions include `notify`. */
  notify: boolean;
  /** Counts toward `highlight_count`: notifies, with a `highlight` tweak not set to false. */
  highlight: boolean;
}

/**
 * Whether an event with these actions counts toward `notification_count` and
 * `highlight_count` (client-server API, "Receiving notifications" and "Actions": a
 * `highlight` tweak without a value means true; no tweak means false). Like Synapse, an
 * event that does not notify counts toward neither.
 */
export function notificationCounts(actions: readonly PushAction[]): NotificationCounts {
  const notify = actions.includes('notify');
  const highlight =
    notify &&
    actions.some(
      (a) =>
        typeof a === 'object' &&
        a !== null &&
        a.set_tweak === 'highlight' &&
        (a.value === undefined || a.value === true),
    );
  return { notify, highlight };
}
