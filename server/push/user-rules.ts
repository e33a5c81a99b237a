import { Type, type Static } from '@sinclair/typebox';
import { MatrixError } from '../core/errors.js';
import type { PushAction, PushRule, PushRuleKind } from './types.js';

/**
 * Users' own push rules (client-server API, `PUT /pushrules/global/{kind}/{ruleId}` and its
 * `/enabled` and `/actions` siblings): the request schemas, building a rule from a request
 * and placing it in its kind's list. Storage and routes build on these.
 */

const MAX_SAFE = 2 ** 53 - 1;

/** PushCondition (definitions/push_condition.yaml); unknown kinds are accepted and never match. */
export const PushConditionSchema = Type.Object({
  kind: Type.String(),
  key: Type.Optional(Type.String()),
  pattern: Type.Optional(Type.String()),
  is: Type.Optional(Type.String()),
  value: Type.Optional(
    Type.Union([
      Type.String(),
      Type.Integer({ minimum: -MAX_SAFE, maximum: MAX_SAFE }),
      Type.Boolean(),
      Type.Null(),
    ]),
  ),
});

/** An action: a string such as `notify`, or an object such as `{ set_tweak, value }`. */
export const PushActionSchema = Type.Union([Type.String(), Type.Object({})]);

/** The body of `PUT /pushrules/global/{kind}/{ruleId}`. */
export const PushRuleBodySchema = Type.Object({
  actions: Type.Array(PushActionSchema),
  conditions: Type.Optional(Type.Array(PushConditionSchema)),
  pattern: Type.Optional(Type.String()),
});
export type PushRuleBody = Static<typeof PushRuleBodySchema>;

/** The body of `PUT /pushrules/global/{kind}/{ruleId}/actions`. */
export const PushActionsBodySchema = Type.Object({ actions: Type.Array(PushActionSchema) });

/** The body of `PUT /pushrules/global/{kind}/{ruleId}/enabled`. */
export const PushEnabledBodySchema = Type.Object({ enabled: Type.Boolean() });

/**
 * Checks a rule id a user wants to create (client-server API, `setPushRule`: ids starting
 * with "." are reserved for server-default rules; "/" and "\" are not allowed).
 * @throws MatrixError M_INVALID_PARAM.
 */
export function checkUserRuleId(ruleId: string): void {
  if (ruleId.length === 0) throw new MatrixError('M_INVALID_PARAM', 'Empty rule id', 400);
  if (ruleId.startsWith('.')) {
    throw new MatrixError('M_INVALID_PARAM', 'Rule ids starting with "." are reserved', 400);
  }
  if (ruleId.includes('/') || ruleId.includes('\\')) {
    throw new MatrixError('M_INVALID_PARAM', 'Rule ids cannot contain "/" or "\\"', 400);
  }
}

/**
 * Checks the actions a user gives a rule and drops the historical `dont_notify` and
 * `coalesce` (client-server API, "Actions" and "Historical Actions"). Object actions must
 * be `set_tweak`s with a string name; the only string action is `notify`, as in Synapse.
 * @throws MatrixError M_INVALID_PARAM naming the unknown action.
 */
export function normalizeActions(actions: readonly unknown[]): PushAction[] {
  const out: PushAction[] = [];
  for (const action of actions) {
    if (action === 'dont_notify' || action === 'coalesce') continue;
    if (action === 'notify') {
      out.push(action);
      continue;
    }
    if (
      typeof action === 'object' &&
      action !== null &&
      !Array.isArray(action) &&
      typeof (action as Record<string, unknown>).set_tweak === 'string'
    ) {
      out.push({ ...(action as Record<string, unknown>) });
      continue;
    }
    throw new MatrixError('M_INVALID_PARAM', `Unrecognised action: ${JSON.stringify(action)}`);
  }
  return out;
}

/**
 * A user-defined rule from a `PUT /pushrules/global/{kind}/{ruleId}` body: enabled, not
 * default; `conditions` kept for override and underride rules only, `pattern` for content
 * rules only (where each is required).
 * @throws MatrixError M_INVALID_PARAM for a bad rule id or action, M_MISSING_PARAM for a
 *   content rule without `pattern` or an override or underride rule without `conditions`.
 */
export function makeUserRule(kind: PushRuleKind, ruleId: string, body: PushRuleBody): PushRule {
  checkUserRuleId(ruleId);
  const rule: PushRule = {
    rule_id: ruleId,
    default: false,
    enabled: true,
    actions: normalizeActions(body.actions),
  };
  if (kind === 'override' || kind === 'underride') {
    // The spec does not say `conditions` is required, but Synapse refuses these rules
    // without it; an empty list is a rule that always matches.
    if (body.conditions === undefined) {
      throw new MatrixError('M_MISSING_PARAM', `${kind} rules need conditions`, 400);
    }
    rule.conditions = body.conditions;
  }
  if (kind === 'content') {
    if (body.pattern === undefined) {
      throw new MatrixError('M_MISSING_PARAM', 'Content rules need a pattern', 400);
    }
    rule.pattern = body.pattern;
  }
  return rule;
}

/**
 * The user's rules of one kind with `rule` put in place (client-server API, `setPushRule`):
 * - `before` makes it the next more important rule than that one; else `after` the next
 *   less important; `before` wins when both are given;
 * - without either, a new rule becomes the most important, and an existing one is updated
 *   where it stands.
 * `userRules` holds the user-defined rules only, most important first; it is not changed.
 * @throws MatrixError M_UNKNOWN when `before` / `after` names no user-defined rule of the kind.
 */
export function placeUserRule(
  userRules: readonly PushRule[],
  rule: PushRule,
  position: { before?: string | undefined; after?: string | undefined } = {},
): PushRule[] {
  const anchor = position.before ?? position.after;
  if (anchor === undefined) {
    const at = userRules.findIndex((r) => r.rule_id === rule.rule_id);
    if (at < 0) return [rule, ...userRules];
    return userRules.map((r, i) => (i === at ? rule : r));
  }
  const others = userRules.filter((r) => r.rule_id !== rule.rule_id);
  const at = others.findIndex((r) => r.rule_id === anchor);
  if (at < 0 || anchor === rule.rule_id) {
    throw new MatrixError('M_UNKNOWN', `before/after rule not found: ${anchor}`, 400);
  }
  const insertAt = position.before !== undefined ? at : at + 1;
  return [...others.slice(0, insertAt), rule, ...others.slice(insertAt)];
}
