import { errors } from '../core/errors.js';
import type { Ctx } from '../context.js';
import { readAccountData, updateAccountData } from '../userdata/account-data.js';
import { GLOBAL } from '../userdata/store.js';
import { compileRuleset } from './evaluate.js';
import { pushCaches, type CachedRuleset } from './push-caches.js';
import {
  PUSH_RULES_TYPE,
  readUserRuleState,
  rulesetOf,
  storedContent,
  type UserRuleState,
} from './stored-rules.js';
import { PUSH_RULE_KINDS, type PushRule, type PushRuleKind, type PushRuleset } from './types.js';

/**
 * A user's push rules (spec client-server "Push Rules"): their own rules and changes,
 * kept as the global account data `m.push_rules` (stored-rules.ts), around the predefined
 * rules. Rulesets are cached per user, since every event in their rooms is checked
 * against them.
 */

const key = (userId: string) => ({ userId, roomId: GLOBAL, type: PUSH_RULES_TYPE });

/** A user's whole ruleset, each kind in priority order. */
export async function getPushRules(ctx: Ctx, userId: string): Promise<PushRuleset> {
  return (await getCachedRuleset(ctx, userId)).ruleset;
}

/** A user's ruleset and its compiled form, from the cache or read and compiled now. */
export async function getCachedRuleset(ctx: Ctx, userId: string): Promise<CachedRuleset> {
  const cache = pushCaches(ctx).rulesets;
  const cached = cache.get(userId);
  if (cached) return cached;
  const content = await readAccountData(ctx, key(userId));
  const ruleset = rulesetOf(userId, readUserRuleState(content, userId));
  const entry = { ruleset, compiled: compileRuleset(ruleset, userId) };
  cache.set(userId, entry);
  return entry;
}

/** The kind named in a path, or 400 M_INVALID_PARAM. */
export function parseRuleKind(kind: string): PushRuleKind {
  if (!(PUSH_RULE_KINDS as readonly string[]).includes(kind)) {
    throw errors.invalidParam(
      `Unknown push rule kind ${kind}: use one of ${PUSH_RULE_KINDS.join(', ')}`,
    );
  }
  return kind as PushRuleKind;
}

/** One rule by kind and id; 400 for an unknown kind, 404 for an unknown rule. */
export async function getPushRule(
  ctx: Ctx,
  userId: string,
  kind: string,
  ruleId: string,
): Promise<PushRule> {
  const k = parseRuleKind(kind);
  const rule = (await getPushRules(ctx, userId))[k].find((r) => r.rule_id === ruleId);
  if (!rule) throw errors.notFound(`No ${kind} push rule ${ruleId}`);
  return rule;
}

/**
 * Changes a user's own rules in one writer unit: `change` gets their current part and
 * returns the new one, or throws a MatrixError (then nothing is written). The new
 * `m.push_rules` content takes the next account data position, so the user's /sync
 * carries it and is woken. The cached ruleset is dropped both at once, so an event
 * later in the same commit reads the rules again, and after the commit, so no event
 * keeps what it read before.
 */
export async function changePushRules(
  ctx: Ctx,
  userId: string,
  change: (state: UserRuleState) => UserRuleState,
): Promise<void> {
  const cache = pushCaches(ctx).rulesets;
  await updateAccountData(ctx, key(userId), async (current, tx) => {
    const next = change(readUserRuleState(current, userId));
    cache.delete(userId);
    tx.afterCommit(() => cache.delete(userId));
    return storedContent(userId, next);
  });
}
