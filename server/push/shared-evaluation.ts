import {
  notificationCounts,
  type CompiledRule,
  type CompiledRuleset,
  type RulesetShape,
} from './evaluate.js';
import type { PushAction, PushContext, PushEvent } from './types.js';

/**
 * Push rule evaluation of one event for many users at once: what the push-actions hook
 * does for every joined member of a room. Most members' rulesets have one shape (the
 * predefined rules, evaluate.ts RulesetShape), whose conditions but those naming the member
 * give everyone the same answer. So per shape the event is checked once against the shared
 * conditions, leaving the rules that can still match, in order: for the predefined rules
 * and a message, `.m.rule.is_user_mention` (decided per member) and then `.m.rule.message`
 * (matches for all). Per member only those member-specific conditions run. The answer is
 * exactly evaluatePushRules(ruleset, event, context) for each member.
 */

/** What one rule's actions mean, worked out once and shared by every member they apply to. */
export interface PushOutcome {
  actions: readonly PushAction[];
  /** `actions` as JSON, as stored in event_push_actions. */
  actionsJson: string;
  /** Counts toward `notification_count` (notificationCounts). */
  notify: boolean;
  /** Counts toward `highlight_count`. */
  highlight: boolean;
}

/** No rule matched, or the member sent the event: no actions. */
export const NO_ACTIONS: PushOutcome = Object.freeze({
  actions: Object.freeze([]),
  actionsJson: '[]',
  notify: false,
  highlight: false,
});

function outcomeOf(actions: readonly PushAction[]): PushOutcome {
  if (actions.length === 0) return NO_ACTIONS;
  return { actions, actionsJson: JSON.stringify(actions), ...notificationCounts(actions) };
}

/** The shared part of the evaluation for one shape. */
interface ShapeOutcome {
  /** Rules whose shared conditions hold and whose member conditions decide, in order. */
  pending: readonly CompiledRule[];
  /** Outcomes of `pending`, by position (the actions are the same in every ruleset). */
  pendingOutcomes: readonly PushOutcome[];
  /** The outcome when no pending rule matches a member: the first rule matching for all. */
  fallback: PushOutcome;
}

/** The room facts every member's evaluation shares: all of PushContext but the member. */
export type SharedPushContext = Omit<PushContext, 'userId' | 'displayName'>;

/**
 * One event evaluated for many members. Made per event and dropped after it: what it
 * keeps (per shape, the rules left after the shared conditions) is only true of this
 * event and these room facts.
 */
export class SharedPushEvaluation {
  private readonly byShape = new Map<RulesetShape, ShapeOutcome>();
  /** The context of the member being evaluated, reused: checks never keep it. */
  private readonly context: PushContext;

  constructor(
    private readonly event: PushEvent,
    shared: SharedPushContext,
  ) {
    this.context = { ...shared, userId: '', displayName: null };
  }

  /**
   * What a member's rules give for the event: evaluatePushRules(compiled, event, context)
   * with that member's user id and display name, as a shared outcome.
   * @param displayName the member's display name in the room; only asked when a rule
   * that reads it (or names the member) is left to decide.
   */
  outcomeFor(
    userId: string,
    compiled: CompiledRuleset,
    displayName: (userId: string) => string | null,
  ): PushOutcome {
    if (this.event.sender === userId) return NO_ACTIONS;
    const shape = compiled.shape;
    if (shape === null) return this.alone(userId, compiled, displayName);
    let known = this.byShape.get(shape);
    if (!known) {
      known = this.evaluateShape(compiled);
      this.byShape.set(shape, known);
    }
    const { pending } = known;
    if (pending.length === 0) return known.fallback;
    const context = this.context;
    context.userId = userId;
    context.displayName = displayName(userId);
    for (let i = 0; i < pending.length; i++) {
      // The member's own rule at that place: same shared conditions, own id in the rest.
      const own = compiled.rules[pending[i]!.index]!.ownPart;
      if (own === null || own(this.event, context)) return known.pendingOutcomes[i]!;
    }
    return known.fallback;
  }

  /** The shared conditions of a shape, checked once with a ruleset of that shape. */
  private evaluateShape(compiled: CompiledRuleset): ShapeOutcome {
    const pending: CompiledRule[] = [];
    let fallback = NO_ACTIONS;
    for (const rule of compiled.candidates(this.event.type)) {
      if (!rule.sharedPart(this.event, this.context)) continue;
      if (rule.ownPart === null) {
        fallback = outcomeOf(rule.actions);
        break;
      }
      pending.push(rule);
    }
    return { pending, pendingOutcomes: pending.map((r) => outcomeOf(r.actions)), fallback };
  }

  /** A ruleset compiled without its user: evaluated on its own. */
  private alone(
    userId: string,
    compiled: CompiledRuleset,
    displayName: (userId: string) => string | null,
  ): PushOutcome {
    const context = { ...this.context, userId, displayName: displayName(userId) };
    const rule = compiled.find(this.event, context);
    return rule ? outcomeOf(rule.actions) : NO_ACTIONS;
  }
}
