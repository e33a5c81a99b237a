import { buildRuleset, defaultPushRules, type DefaultRuleChange } from './default-rules.js';
import { PUSH_RULE_KINDS, type PushAction, type PushRule, type PushRuleset } from './types.js';
import { isObject } from '../core/is-object.js';

/**
 * How a user's push rules are kept: as the global account data `m.push_rules`, whose
 * content is `{ global: <the whole ruleset> }`, exactly what `GET /pushrules/` answers.
 * That is the event clients (Element, matrix-js-sdk) watch in /sync to learn of rule
 * changes, so one entry is both the storage and the notice; nothing is kept twice.
 *
 * What is the user's own in it is read back as two parts: their rules (`default: false`)
 * and their changes to server-default rules (an `enabled` or `actions` differing from the
 * predefined rule). The ruleset is then rebuilt around the predefined rules of this
 * server version, so a server-default rule added by an upgrade appears for everyone.
 */

/** The account data type that holds a user's push rules. */
export const PUSH_RULES_TYPE = 'm.push_rules';

/** The user's own part of their push rules. */
export interface UserRuleState {
  /** The user-defined rules of each kind, most important first. */
  rules: PushRuleset;
  /** Changes to server-default rules, by rule id. */
  changes: Record<string, DefaultRuleChange>;
}

/** No rules of one's own, no changes: what a user starts with. */
export function emptyRuleState(): UserRuleState {
  return { rules: { override: [], content: [], room: [], sender: [], underride: [] }, changes: {} };
}

/** A stored rule as a PushRule, or null when it is not one (then it is dropped). */
function asRule(value: unknown): PushRule | null {
  if (!isObject(value) || typeof value.rule_id !== 'string' || !Array.isArray(value.actions)) {
    return null;
  }
  return value as unknown as PushRule;
}

const sameActions = (a: readonly PushAction[], b: readonly PushAction[]) =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * The user's own part of a stored `m.push_rules` content (undefined: never set). Entries
 * that are not rules are skipped: the content is only written by this server, but a bad
 * entry must never stop the user's other rules from working.
 */
export function readUserRuleState(content: unknown, userId: string): UserRuleState {
  const state = emptyRuleState();
  const global = isObject(content) && isObject(content.global) ? content.global : {};
  const defaults = defaultPushRules(userId);
  for (const kind of PUSH_RULE_KINDS) {
    const stored = Array.isArray(global[kind]) ? global[kind] : [];
    for (const raw of stored) {
      const rule = asRule(raw);
      if (!rule) continue;
      if (rule.default !== true) {
        state.rules[kind].push({ ...rule, default: false, enabled: rule.enabled !== false });
        continue;
      }
      const predefined = defaults[kind].find((r) => r.rule_id === rule.rule_id);
      if (!predefined) continue; // a server-default rule this version no longer has
      const change: DefaultRuleChange = {};
      if (typeof rule.enabled === 'boolean' && rule.enabled !== predefined.enabled) {
        change.enabled = rule.enabled;
      }
      if (!sameActions(rule.actions, predefined.actions)) change.actions = rule.actions;
      if (Object.keys(change).length) state.changes[rule.rule_id] = change;
    }
  }
  return state;
}

/** The whole ruleset of a user from their own part (client-server API, "Predefined Rules"). */
export function rulesetOf(userId: string, state: UserRuleState): PushRuleset {
  return buildRuleset(userId, state.rules, state.changes);
}

/** The `m.push_rules` account data content for a user's own part. */
export function storedContent(userId: string, state: UserRuleState): { global: PushRuleset } {
  return { global: rulesetOf(userId, state) };
}
