import { valueAtPath } from '../core/dotted-path.js';
import { compileCondition, neverMatches, type EventCheck } from './conditions.js';
import { compileGlob, isAscii, isPlainAsciiPattern } from './glob.js';
import {
  PUSH_RULE_KINDS,
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
    case 'underride':
      return allOf((rule.conditions ?? []).map(compileCondition));
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

export interface CompiledRule {
  /** Its place in the ruleset's list of enabled rules (the same in every ruleset of a shape). */
  index: number;
  kind: PushRuleKind;
  rule: PushRule;
  matches: EventCheck;
  /**
   * For a ruleset compiled for its user: the conditions whose answer is the same for
   * every user whose ruleset has this shape (all but those of `ownPart`), and the
   * conditions that name the user (their own id as the pattern or value) or read their
   * display name, null when there are none. `matches` holds exactly when both hold.
   */
  sharedPart: EventCheck;
  ownPart: EventCheck | null;
  /** The rule's actions without the historical ones. */
  actions: PushAction[];
  /**
   * The only event type the rule can match, lower-cased, when one of its conditions is an
   * `event_match` on `type` with a plain ASCII pattern (one that does not name the user,
   * so it is the same for every ruleset of a shape); else null.
   */
  onlyType: string | null;
}

function onlyTypeOf(kind: PushRuleKind, rule: PushRule, userId: string | null): string | null {
  if (kind !== 'override' && kind !== 'underride') return null;
  for (const c of rule.conditions ?? []) {
    const p = c.pattern;
    if (c.kind !== 'event_match' || c.key !== 'type' || typeof p !== 'string') continue;
    if (p === userId) continue;
    if (isPlainAsciiPattern(p)) return p.toLowerCase();
  }
  return null;
}

/**
 * Whether a condition's answer depends on whose ruleset it is in, not only on the event and
 * the room: it reads the user's display name, or names the user (their id as the pattern
 * or value, as `.m.rule.invite_for_me` and `.m.rule.is_user_mention` do).
 */
function namesOwner(c: PushCondition, userId: string): boolean {
  return c.kind === 'contains_display_name' || c.pattern === userId || c.value === userId;
}

/** All of the checks hold (none: always). */
function allOf(checks: readonly EventCheck[]): EventCheck {
  if (checks.length === 0) return alwaysMatches;
  if (checks.length === 1) return checks[0]!;
  return (event, context) => {
    for (const check of checks) if (!check(event, context)) return false;
    return true;
  };
}

const alwaysMatches: EventCheck = () => true;

/**
 * The shared and own parts of a rule compiled for `userId` (see CompiledRule), and its
 * part of the shape key: the rule as JSON with each condition that names the user written
 * without the user's id, so rulesets that differ only there get the same key.
 */
function splitRule(
  kind: PushRuleKind,
  rule: PushRule,
  actions: readonly PushAction[],
  userId: string | null,
): { sharedPart: EventCheck; ownPart: EventCheck | null; key: string } {
  const conditions = kind === 'override' || kind === 'underride' ? (rule.conditions ?? []) : [];
  const shared: EventCheck[] = [];
  const own: EventCheck[] = [];
  const keyed: unknown[] = [];
  for (const c of conditions) {
    if (userId !== null && namesOwner(c, userId)) {
      own.push(compileCondition(c));
      // The fields that hold the id are named, not given: they are the owner's id.
      keyed.push(['own', { ...c, pattern: c.pattern === userId, value: c.value === userId }]);
    } else {
      shared.push(compileCondition(c));
      keyed.push(['lit', c]);
    }
  }
  const sharedPart =
    kind === 'override' || kind === 'underride' ? allOf(shared) : compileRule(kind, rule);
  const key = JSON.stringify([kind, rule.rule_id, rule.pattern ?? null, keyed, actions]);
  return { sharedPart, ownPart: own.length ? allOf(own) : null, key };
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
  readonly rules: CompiledRule[] = [];
  private readonly byType = new Map<string, CompiledRule[]>();
  /**
   * For a ruleset compiled for its user: what it shares with other users' rulesets (see
   * RulesetShape); null otherwise.
   */
  readonly shape: RulesetShape | null;

  /**
   * @param userId the user whose rules these are: then the ruleset gets a shape, and
   * rulesets of the same shape can be evaluated together (shared-evaluation.ts).
   */
  constructor(ruleset: Partial<PushRuleset>, userId?: string) {
    const owner = userId ?? null;
    const keys: string[] = [];
    for (const kind of PUSH_RULE_KINDS) {
      for (const rule of ruleset[kind] ?? []) {
        if (!rule.enabled) continue;
        const actions = rule.actions.filter(
          (a) => !(typeof a === 'string' && HISTORICAL_ACTIONS.has(a)),
        );
        const split = splitRule(kind, rule, actions, owner);
        this.rules.push({
          index: this.rules.length,
          kind,
          rule,
          // Both parts hold: the rule as compileRule(kind, rule) would check it, from the
          // conditions already compiled for the split.
          matches: split.ownPart ? allOf([split.sharedPart, split.ownPart]) : split.sharedPart,
          sharedPart: split.sharedPart,
          ownPart: split.ownPart,
          actions,
          onlyType: onlyTypeOf(kind, rule, owner),
        });
        keys.push(split.key);
      }
    }
    this.shape = owner === null ? null : shapeOf(`[${keys.join(',')}]`);
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
  candidates(type: unknown): readonly CompiledRule[] {
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

/** Compiles a ruleset, for its user when `userId` is given (see CompiledRuleset). */
export function compileRuleset(ruleset: Partial<PushRuleset>, userId?: string): CompiledRuleset {
  return new CompiledRuleset(ruleset, userId);
}

/**
 * What users' compiled rulesets have in common when they hold the same enabled rules, in
 * the same order, with the same actions, and differ at most in the conditions that name
 * their owner (the predefined rules of every user who changed none: their key is the same,
 * so they get the same object). For such rulesets every other condition gives the same
 * answer on an event, so it is checked once for all of them (shared-evaluation.ts); the
 * rules' indexes and type filters line up too.
 */
export interface RulesetShape {
  readonly key: string;
}

/**
 * Shapes by key, so rulesets of the same key share one object and are grouped by identity.
 * Never invalidated: a shape is its key and nothing else, so an entry cannot go stale.
 * Bounded, since users' own rules make their own keys; past the bound a ruleset gets a
 * shape of its own (it is then evaluated alone, still exactly).
 */
const shapes = new Map<string, RulesetShape>();
const MAX_SHAPES = 128;

function shapeOf(key: string): RulesetShape {
  const known = shapes.get(key);
  if (known) return known;
  const shape = { key };
  if (shapes.size < MAX_SHAPES) shapes.set(key, shape);
  return shape;
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
