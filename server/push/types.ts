/**
 * Push rules as they travel on the wire and sit in `m.push_rules` account data
 * (client-server API, "Push Rules"; definitions/push_rule.yaml, push_condition.yaml,
 * push_ruleset.yaml). Snake_case because these objects are what clients read and write.
 */

/** The kinds of rule, in the order they are checked (client-server API, "Push Rules"). */
export const PUSH_RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number];

/** A non-compound canonical JSON value: what `event_property_*` conditions compare. */
export type PushScalar = string | number | boolean | null;

/** PushCondition. `kind` is open: unknown kinds are kept, and never match. */
export interface PushCondition {
  kind: string;
  key?: string;
  pattern?: string;
  is?: string;
  value?: PushScalar;
}

/** A `set_tweak` action, e.g. `{ set_tweak: 'sound', value: 'default' }`. */
export interface SetTweakAction {
  set_tweak: string;
  value?: unknown;
}

/** An action: `notify` (or an unknown string action) or an object action like set_tweak. */
export type PushAction = string | SetTweakAction | { [key: string]: unknown };

/** PushRule. `conditions` for override/underride, `pattern` for content rules. */
export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  conditions?: PushCondition[];
  pattern?: string;
  actions: PushAction[];
}

/** PushRuleset: the rules of every kind, each list in priority order. */
export type PushRuleset = Record<PushRuleKind, PushRule[]>;

/** The `m.room.power_levels` content fields push rules look at. */
export interface PowerLevelsContent {
  users?: Record<string, unknown>;
  users_default?: unknown;
  notifications?: Record<string, unknown>;
}

/**
 * What evaluation needs to know about the user whose rules run and the room the event is
 * in, at that event.
 */
export interface PushContext {
  /** The user whose push rules these are. */
  userId: string;
  /** That user's display name in the room, if any (`contains_display_name`). */
  displayName: string | null;
  /** Joined members of the room (`room_member_count`). */
  roomMemberCount: number;
  /** The room's power levels content, or null when the room has none. */
  powerLevels: PowerLevelsContent | null;
  /**
   * The sender's power level (`sender_notification_permission`). Given by the caller when
   * it knows better than `powerLevels` alone (room creators in room version 12, rooms
   * without power levels); otherwise read from `powerLevels`.
   */
  senderPowerLevel?: number;
}

/** The fields of an event push rules look at; any event object has them. */
export interface PushEvent {
  type: string;
  sender: string;
  room_id?: string;
  state_key?: string;
  content?: unknown;
}
