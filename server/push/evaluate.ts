import { valueAtPath } from '../core/dotted-path.js';
import { compileCondition, neverMatches, type EventCheck } from './conditions.js';
import { compileGlob, isAscii, isPlainAsciiPattern } from './glob.js';
import {
  PUSH_RULE_KINDS,
  type PushAction,
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

/** Actions of older spec versions that must be ignored (client-server API, "Historical Actions"). */
const HISTORICAL_ACTIONS = new Set(['dont_notify', 'coalesce']);

export { compileCondition, conditionMatches, type EventCheck } from './conditions.js';

/**
 * Compiles a rule of the given kind (client-server API, "Push Rules"): override and
 * underride rules match by their conditions (none: always), content rules by their
 * `pattern` against `content.body` as words, room rules when the event's room is the rule
 * id, sender rules when its sender is. Disabled rules never match.
 */
export function compileRule(kind: PushRuleKind, rule: PushRule): EventCheck {
  if (!rule.enabled) return neverMatches;
  switch (kind) {
    case 'override':
    case 'underride': {
      const checks = (rule.conditions ?? []).map(compileCondition);
      return (event, context) => {
        for (const check of checks) if (!check(event, context)) return false;
        return true;
      };
    }
    case 'content': {
      if (typeof rule.pattern !== 'string') return neverMatches;
      const glob = compileGlob(rule.pattern);
      return (event) => {
        const body = valueAtPath(event, ['content', 'body']);
        return typeof body === 'string' && glob.matchesWords(body);
      };
    }
    case 'room':
      return (event) => event.room_id === rule.rule_id;
    case 'sender':
      return (event) => event.sender === rule.rule_id;
  }
}

/** Whether an enabled rule of the given kind applies to an event (see compileRule). */
export function ruleMatches(
  kind: PushRuleKind,
  rule: PushRule,
  event: PushEvent,
  context: PushContext,
): boolean {
  return compileRule(kind, rule)(event, context);
}

interface CompiledRule {
  kind: PushRuleKind;
  rule: PushRule;
  matches: EventCheck;
  /** The rule's actions without the historical ones. */
  actions: PushAction[];
  /**
   * The only event type the rule can match, lower-cased, when one of its conditions is an
   * `event_match` on `type` with a plain ASCII pattern; else null.
   */
  onlyType: string | null;
}

function onlyTypeOf(kind: PushRuleKind, rule: PushRule): string | null {
  if (kind !== 'override' && kind !== 'underride') return null;
  for (const c of rule.conditions ?? []) {
    const p = c.pattern;
    if (c.kind !== 'event_match' || c.key !== 'type' || typeof p !== 'string') continue;
    if (isPlainAsciiPattern(p)) return p.toLowerCase();
  }
  return null;
}

/** How many event types' candidate lists a compiled ruleset keeps (types are user input). */
const MAX_TYPES = 32;

/**
 * A ruleset compiled for evaluation: its enabled rules in the order they are checked,
 * each compiled once, and per event type the rules that can match it at all (most
 * predefined rules name one type: a message is checked against 6 of the 15). Built for a
 * user whose rules run on every event of their rooms; the ruleset must not change after.
 */
export class CompiledRuleset {
  private readonly rules: CompiledRule[] = [];
  private readonly byType = new Map<string, CompiledRule[]>();

  constructor(ruleset: Partial<PushRuleset>) {
    for (const kind of PUSH_RULE_KINDS) {
      for (const rule of ruleset[kind] ?? []) {
        if (!rule.enabled) continue;
        this.rules.push({
          kind,
          rule,
          matches: compileRule(kind, rule),
          actions: rule.actions.filter(
            (a) => !(typeof a === 'string' && HISTORICAL_ACTIONS.has(a)),
          ),
          onlyType: onlyTypeOf(kind, rule),
        });
      }
    }
  }

  /** The first rule that matches, by kind order then list order; undefined when none. */
  find(event: PushEvent, context: PushContext): CompiledRule | undefined {
    for (const c of this.candidates(event.type)) if (c.matches(event, context)) return c;
    return undefined;
  }

  /**
   * The rules that can match an event of this type. Only ASCII types are sorted out:
   * `event_match` folds other characters in ways a lower-cased compare would not.
   */
  private candidates(type: unknown): readonly CompiledRule[] {
    if (typeof type !== 'string' || !isAscii(type)) return this.rules;
    const lower = type.toLowerCase();
    let list = this.byType.get(lower);
    if (!list) {
      list = this.rules.filter((c) => c.onlyType === null || c.onlyType === lower);
      if (this.byType.size < MAX_TYPES) this.byType.set(lower, list);
    }
    return list;
  }
}

/** Compiles a ruleset (see CompiledRuleset). */
export function compileRuleset(ruleset: Partial<PushRuleset>): CompiledRuleset {
  return new CompiledRuleset(ruleset);
}

function compiledOf(ruleset: Partial<PushRuleset> | CompiledRuleset): CompiledRuleset {
  return ruleset instanceof CompiledRuleset ? ruleset : new CompiledRuleset(ruleset);
}

/** The first enabled rule that matches, by kind order then list order; null when none. */
export function findMatchingRule(
  ruleset: Partial<PushRuleset> | CompiledRuleset,
  event: PushEvent,
  context: PushContext,
): { kind: PushRuleKind; rule: PushRule } | null {
  const found = compiledOf(ruleset).find(event, context);
  return found ? { kind: found.kind, rule: found.rule } : null;
}

/**
 * The actions a user's push rules give for an event: those of the first enabled rule that
 * matches, in the order override, content, room, sender, underride (client-server API,
 * "Push Rules"), with the historical `dont_notify` and `coalesce` removed. Empty when no
 * rule matches and for the user's own events, which never notify. Takes a ruleset or,
 * for speed, a compiled one; the answer is the compiled rule's list: do not change it.
 */
export function evaluatePushRules(
  ruleset: Partial<PushRuleset> | CompiledRuleset,
  event: PushEvent,
  context: PushContext,
): readonly PushAction[] {
  if (event.sender === context.userId) return [];
  return compiledOf(ruleset).find(event, context)?.actions ?? [];
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
