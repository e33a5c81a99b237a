import { errors } from '../core/errors.js';
import type { Ctx } from '../context.js';
import { defaultPushRules } from './default-rules.js';
import { changePushRules, parseRuleKind } from './rules.js';
import type { UserRuleState } from './stored-rules.js';
import type { PushAction, PushRule, PushRuleKind } from './types.js';
import { makeUserRule, normalizeActions, placeUserRule, type PushRuleBody } from './user-rules.js';

/**
 * The write side of the push rules API (client-server API, "Push Rules: API"): adding,
 * deleting, enabling and changing the actions of rules. Each is one read-modify-write of
 * the user's `m.push_rules` account data (rules.ts `changePushRules`); a refused request
 * writes nothing.
 */

/**
 * PUT /pushrules/global/{kind}/{ruleId}: adds a user-defined rule, or replaces the one with
 * that id. 400 M_INVALID_PARAM for an unknown kind, a reserved or malformed id or a bad
 * action; 400 M_MISSING_PARAM for a content rule without `pattern` or an override or
 * underride rule without `conditions` (as Synapse); 400 M_UNKNOWN when `before` / `after`
 * names no user-defined rule of the kind (the spec's example answer).
 */
export async function setPushRule(
  ctx: Ctx,
  userId: string,
  a: { kind: string; ruleId: string; body: PushRuleBody; before?: string; after?: string },
): Promise<Record<string, never>> {
  const kind = parseRuleKind(a.kind);
  const rule = makeUserRule(kind, a.ruleId, a.body);
  await changePushRules(ctx, userId, (state) =>
    withKind(state, kind, placeUserRule(state.rules[kind], rule, a)),
  );
  return {};
}

/**
 * DELETE /pushrules/global/{kind}/{ruleId}: removes a user-defined rule. 404 M_NOT_FOUND
 * for a rule that does not exist; 400 M_INVALID_PARAM for a server-default rule, which
 * can be disabled but not removed.
 */
export async function deletePushRule(
  ctx: Ctx,
  userId: string,
  a: { kind: string; ruleId: string },
): Promise<Record<string, never>> {
  const kind = parseRuleKind(a.kind);
  await changePushRules(ctx, userId, (state) => {
    const rules = state.rules[kind];
    if (!rules.some((r) => r.rule_id === a.ruleId)) {
      if (predefinedRule(userId, kind, a.ruleId)) {
        throw errors.invalidParam(`Server-default rule ${a.ruleId} cannot be deleted`);
      }
      throw errors.notFound(`No ${kind} push rule ${a.ruleId}`);
    }
    return withKind(
      state,
      kind,
      rules.filter((r) => r.rule_id !== a.ruleId),
    );
  });
  return {};
}

/** PUT .../{ruleId}/enabled: for user-defined and server-default rules alike; 404 when none. */
export async function setPushRuleEnabled(
  ctx: Ctx,
  userId: string,
  a: { kind: string; ruleId: string; enabled: boolean },
): Promise<Record<string, never>> {
  const kind = parseRuleKind(a.kind);
  await changePushRules(ctx, userId, (state) =>
    changeRule(state, userId, kind, a.ruleId, { enabled: a.enabled }),
  );
  return {};
}

/**
 * PUT .../{ruleId}/actions: for user-defined and server-default rules alike; 404 when none,
 * 400 M_INVALID_PARAM for an unknown action.
 */
export async function setPushRuleActions(
  ctx: Ctx,
  userId: string,
  a: { kind: string; ruleId: string; actions: readonly unknown[] },
): Promise<Record<string, never>> {
  const kind = parseRuleKind(a.kind);
  const actions = normalizeActions(a.actions);
  await changePushRules(ctx, userId, (state) =>
    changeRule(state, userId, kind, a.ruleId, { actions }),
  );
  return {};
}

function predefinedRule(userId: string, kind: PushRuleKind, ruleId: string): PushRule | undefined {
  return defaultPushRules(userId)[kind].find((r) => r.rule_id === ruleId);
}

function withKind(state: UserRuleState, kind: PushRuleKind, rules: PushRule[]): UserRuleState {
  return { ...state, rules: { ...state.rules, [kind]: rules } };
}

/**
 * Sets `enabled` or `actions` of a rule: on the user's own rule where it stands, or as a
 * change over the server-default rule (kept beside the earlier changes to it).
 * @throws MatrixError 404 when the kind has no such rule.
 */
function changeRule(
  state: UserRuleState,
  userId: string,
  kind: PushRuleKind,
  ruleId: string,
  change: { enabled?: boolean; actions?: PushAction[] },
): UserRuleState {
  const own = state.rules[kind];
  if (own.some((r) => r.rule_id === ruleId)) {
    return withKind(
      state,
      kind,
      own.map((r) => (r.rule_id === ruleId ? { ...r, ...change } : r)),
    );
  }
  if (!predefinedRule(userId, kind, ruleId)) {
    throw errors.notFound(`No ${kind} push rule ${ruleId}`);
  }
  const earlier = Object.hasOwn(state.changes, ruleId) ? state.changes[ruleId] : {};
  return { ...state, changes: { ...state.changes, [ruleId]: { ...earlier, ...change } } };
}
