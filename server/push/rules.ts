import { errors } from '../core/errors.js';
import type { Ctx } from '../context.js';
import { buildRuleset } from './default-rules.js';
import { PUSH_RULE_KINDS, type PushRule, type PushRuleKind, type PushRuleset } from './types.js';

/**
 * A user's push rules (spec client-server "Push Rules"): the predefined rules of the spec,
 * after the user's own rules. Users cannot yet add rules or change the predefined ones
 * (the PUT and DELETE endpoints come with push notification counts), so this is the
 * predefined set.
 */
export function getPushRules(_ctx: Ctx, userId: string): PushRuleset {
  return buildRuleset(userId, {});
}

/** One rule by kind and id; 400 for an unknown kind, 404 for an unknown rule. */
export function getPushRule(ctx: Ctx, userId: string, kind: string, ruleId: string): PushRule {
  if (!(PUSH_RULE_KINDS as readonly string[]).includes(kind)) {
    throw errors.invalidParam(
      `Unknown push rule kind ${kind}: use one of ${PUSH_RULE_KINDS.join(', ')}`,
    );
  }
  const rule = getPushRules(ctx, userId)[kind as PushRuleKind].find((r) => r.rule_id === ruleId);
  if (!rule) throw errors.notFound(`No ${kind} push rule ${ruleId}`);
  return rule;
}
