import type { PushAction, PushCondition, PushRule, PushRuleKind, PushRuleset } from './types.js';

/**
 * The server-default ("predefined") push rules of the current spec, v1.17 and later
 * (client-server API, "Predefined Rules"): ids, order, conditions and actions as written
 * there. The legacy rules that looked for mentions in `content.body`
 * (`.m.rule.contains_display_name`, `.m.rule.contains_user_name`, `.m.rule.roomnotif`)
 * were removed in v1.17, so there are no default content rules.
 */

const sound = (value: string): PushAction => ({ set_tweak: 'sound', value });
const highlight: PushAction = { set_tweak: 'highlight' };
const match = (key: string, pattern: string): PushCondition => ({
  kind: 'event_match',
  key,
  pattern,
});

function rule(ruleId: string, conditions: PushCondition[], actions: PushAction[]): PushRule {
  return { rule_id: ruleId, default: true, enabled: true, conditions, actions };
}

function defaultOverrideRules(userId: string): PushRule[] {
  return [
    { ...rule('.m.rule.master', [], []), enabled: false },
    rule('.m.rule.suppress_notices', [match('content.msgtype', 'm.notice')], []),
    rule(
      '.m.rule.invite_for_me',
      [
        match('type', 'm.room.member'),
        match('content.membership', 'invite'),
        match('state_key', userId),
      ],
      ['notify', sound('default')],
    ),
    rule('.m.rule.member_event', [match('type', 'm.room.member')], []),
    rule(
      '.m.rule.is_user_mention',
      [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }],
      ['notify', sound('default'), highlight],
    ),
    rule(
      '.m.rule.is_room_mention',
      [
        { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
        { kind: 'sender_notification_permission', key: 'room' },
      ],
      ['notify', highlight],
    ),
    rule(
      '.m.rule.tombstone',
      [match('type', 'm.room.tombstone'), match('state_key', '')],
      ['notify', highlight],
    ),
    rule('.m.rule.reaction', [match('type', 'm.reaction')], []),
    rule(
      '.m.rule.room.server_acl',
      [match('type', 'm.room.server_acl'), match('state_key', '')],
      [],
    ),
    rule(
      '.m.rule.suppress_edits',
      [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }],
      [],
    ),
  ];
}

function defaultUnderrideRules(): PushRule[] {
  return [
    rule('.m.rule.call', [match('type', 'm.call.invite')], ['notify', sound('ring')]),
    rule(
      '.m.rule.encrypted_room_one_to_one',
      [{ kind: 'room_member_count', is: '2' }, match('type', 'm.room.encrypted')],
      ['notify', sound('default')],
    ),
    rule(
      '.m.rule.room_one_to_one',
      [{ kind: 'room_member_count', is: '2' }, match('type', 'm.room.message')],
      ['notify', sound('default')],
    ),
    rule('.m.rule.message', [match('type', 'm.room.message')], ['notify']),
    rule('.m.rule.encrypted', [match('type', 'm.room.encrypted')], ['notify']),
  ];
}

/**
 * The predefined rules for one user, as fresh objects the caller may change
 * (client-server API, "Predefined Rules"). "[the user's Matrix ID]" in the spec's
 * definitions is filled in with `userId`.
 */
export function defaultPushRules(userId: string): PushRuleset {
  return {
    override: defaultOverrideRules(userId),
    content: [],
    room: [],
    sender: [],
    underride: defaultUnderrideRules(),
  };
}

/** A user's changes to a server-default rule (`PUT .../enabled`, `PUT .../actions`). */
export interface DefaultRuleChange {
  enabled?: boolean;
  actions?: PushAction[];
}

/**
 * A user's whole ruleset, in evaluation order: `.m.rule.master` first, then within each
 * kind the user's own rules before the server-default ones (client-server API,
 * "Predefined Rules": server-default rules rank below user-defined rules, except
 * `.m.rule.master`, which ranks above all).
 * @param userRules the user's own rules per kind, each list in priority order.
 * @param changes the user's changes to server-default rules, keyed by rule id.
 */
export function buildRuleset(
  userId: string,
  userRules: Partial<PushRuleset>,
  changes: Readonly<Record<string, DefaultRuleChange>> = {},
): PushRuleset {
  const defaults = defaultPushRules(userId);
  const apply = (r: PushRule): PushRule => {
    const change = Object.hasOwn(changes, r.rule_id) ? changes[r.rule_id] : undefined;
    if (!change) return r;
    return {
      ...r,
      enabled: change.enabled ?? r.enabled,
      actions: change.actions ?? r.actions,
    };
  };
  const merged = (kind: PushRuleKind): PushRule[] => [
    ...(userRules[kind] ?? []),
    ...defaults[kind].map(apply),
  ];
  const isMaster = (r: PushRule) => r.default && r.rule_id === '.m.rule.master';
  const override = merged('override');
  return {
    override: [...override.filter(isMaster), ...override.filter((r) => !isMaster(r))],
    content: merged('content'),
    room: merged('room'),
    sender: merged('sender'),
    underride: merged('underride'),
  };
}
