/**
 * Per-room notification levels as push rules, the way Element writes them, so a person's
 * choice carries over between clients:
 * - mute: an override rule whose id is the room id, matching room_id, with no actions;
 * - mentions only: a room rule whose id is the room id, with no actions (mentions still
 *   notify through the higher-priority override and content rules);
 * - all messages: neither rule (the server's defaults apply).
 */
export type NotifyLevel = 'all' | 'mentions' | 'mute';

export interface PushRuleLike {
  rule_id: string;
  enabled?: boolean;
  actions?: unknown[];
  conditions?: { kind: string; key?: string; pattern?: string }[];
}

export interface PushRulesetLike {
  override?: PushRuleLike[];
  room?: PushRuleLike[];
}

function notifies(actions: unknown[] | undefined): boolean {
  return (actions ?? []).some((a) => a === 'notify');
}

/** The level that the person's rules give this room. */
export function notifyLevelOf(global: PushRulesetLike | undefined, roomId: string): NotifyLevel {
  const override = global?.override?.find((r) => r.rule_id === roomId && r.enabled !== false);
  if (
    override &&
    !notifies(override.actions) &&
    (override.conditions ?? []).some(
      (c) => c.kind === 'event_match' && c.key === 'room_id' && c.pattern === roomId,
    )
  ) {
    return 'mute';
  }
  const room = global?.room?.find((r) => r.rule_id === roomId && r.enabled !== false);
  if (room && !notifies(room.actions)) return 'mentions';
  return 'all';
}

export interface RuleChange {
  /** Rules to delete (kind, rule id), when they exist. */
  remove: { kind: 'override' | 'room' }[];
  add?: {
    kind: 'override' | 'room';
    body: { actions: []; conditions?: { kind: 'event_match'; key: 'room_id'; pattern: string }[] };
  };
}

/** What to write to go to `level`: delete the other level's rule, add this one's. */
export function rulesFor(level: NotifyLevel, roomId: string): RuleChange {
  switch (level) {
    case 'all':
      return { remove: [{ kind: 'override' }, { kind: 'room' }] };
    case 'mentions':
      return { remove: [{ kind: 'override' }], add: { kind: 'room', body: { actions: [] } } };
    case 'mute':
      return {
        remove: [{ kind: 'room' }],
        add: {
          kind: 'override',
          body: {
            actions: [],
            conditions: [{ kind: 'event_match', key: 'room_id', pattern: roomId }],
          },
        },
      };
  }
}
