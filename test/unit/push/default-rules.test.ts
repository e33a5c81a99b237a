import { describe, expect, it } from 'vitest';
import { buildRuleset, defaultPushRules } from '../../../server/push/default-rules.js';
import {
  evaluatePushRules,
  findMatchingRule,
  notificationCounts,
} from '../../../server/push/evaluate.js';
import type { PushContext, PushEvent } from '../../../server/push/types.js';

/** The predefined push rules (client-server API, "Predefined Rules", v1.17+). */

const ME = '@me:example.org';
const rules = defaultPushRules(ME);
const group: PushContext = {
  userId: ME,
  displayName: 'Me',
  roomMemberCount: 5,
  powerLevels: { users: { '@mod:example.org': 50 }, users_default: 0 },
};
const oneToOne: PushContext = { ...group, roomMemberCount: 2 };

function message(content: Record<string, unknown>, sender = '@alice:example.org'): PushEvent {
  return { type: 'm.room.message', sender, room_id: '!r:example.org', content };
}
const text = (body: string, extra: Record<string, unknown> = {}) =>
  message({ msgtype: 'm.text', body, ...extra });

describe('defaultPushRules', () => {
  it('lists the override rules in the spec order', () => {
    expect(rules.override.map((r) => r.rule_id)).toEqual([
      '.m.rule.master',
      '.m.rule.suppress_notices',
      '.m.rule.invite_for_me',
      '.m.rule.member_event',
      '.m.rule.is_user_mention',
      '.m.rule.is_room_mention',
      '.m.rule.tombstone',
      '.m.rule.reaction',
      '.m.rule.room.server_acl',
      '.m.rule.suppress_edits',
    ]);
  });

  it('lists the underride rules in the spec order', () => {
    expect(rules.underride.map((r) => r.rule_id)).toEqual([
      '.m.rule.call',
      '.m.rule.encrypted_room_one_to_one',
      '.m.rule.room_one_to_one',
      '.m.rule.message',
      '.m.rule.encrypted',
    ]);
  });

  it('has no legacy body-mention rules and no content, room or sender rules', () => {
    expect(rules.content).toEqual([]);
    expect(rules.room).toEqual([]);
    expect(rules.sender).toEqual([]);
    const ids = [...rules.override, ...rules.underride].map((r) => r.rule_id);
    expect(ids).not.toContain('.m.rule.contains_display_name');
    expect(ids).not.toContain('.m.rule.roomnotif');
    expect(ids).not.toContain('.m.rule.contains_user_name');
  });

  it('marks every rule default, and only the master rule disabled', () => {
    for (const r of [...rules.override, ...rules.underride]) {
      expect(r.default).toBe(true);
      expect(r.enabled).toBe(r.rule_id !== '.m.rule.master');
    }
  });

  it("fills in the user's Matrix ID", () => {
    const invite = rules.override.find((r) => r.rule_id === '.m.rule.invite_for_me');
    expect(invite?.conditions?.[2]).toEqual({ kind: 'event_match', key: 'state_key', pattern: ME });
    const mention = rules.override.find((r) => r.rule_id === '.m.rule.is_user_mention');
    expect(mention?.conditions).toEqual([
      { kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: ME },
    ]);
  });

  it('returns fresh objects each time', () => {
    const a = defaultPushRules(ME);
    a.override[0]!.enabled = true;
    expect(defaultPushRules(ME).override[0]!.enabled).toBe(false);
  });
});

describe('the default rules applied to events', () => {
  const counts = (e: PushEvent, ctx = group) =>
    notificationCounts(evaluatePushRules(rules, e, ctx));
  const ruleFor = (e: PushEvent, ctx = group) => findMatchingRule(rules, e, ctx)?.rule.rule_id;
  const nothing = { notify: false, highlight: false };
  const notify = { notify: true, highlight: false };
  const highlight = { notify: true, highlight: true };

  it.each<[string, PushEvent, PushContext, string | undefined, object]>([
    ['group message', text('hello'), group, '.m.rule.message', notify],
    ['1:1 message', text('hello'), oneToOne, '.m.rule.room_one_to_one', notify],
    [
      'message mentioning me',
      text('hi Me', { 'm.mentions': { user_ids: [ME] } }),
      group,
      '.m.rule.is_user_mention',
      highlight,
    ],
    [
      'mention of someone else',
      text('hi', { 'm.mentions': { user_ids: ['@bob:example.org'] } }),
      group,
      '.m.rule.message',
      notify,
    ],
    // v1.17 removed the body rules: a display name in the body alone no longer highlights.
    ['display name in the body only', text('hi Me'), group, '.m.rule.message', notify],
    ['@room in the body only', text('@room hi'), group, '.m.rule.message', notify],
    [
      '@room mention by a moderator',
      { ...text('@room hi', { 'm.mentions': { room: true } }), sender: '@mod:example.org' },
      group,
      '.m.rule.is_room_mention',
      highlight,
    ],
    [
      '@room mention without the power',
      text('@room hi', { 'm.mentions': { room: true } }),
      group,
      '.m.rule.message',
      notify,
    ],
    [
      'notice',
      message({ msgtype: 'm.notice', body: 'bot' }),
      group,
      '.m.rule.suppress_notices',
      nothing,
    ],
    [
      'notice mentioning me',
      message({ msgtype: 'm.notice', body: 'x', 'm.mentions': { user_ids: [ME] } }),
      group,
      '.m.rule.suppress_notices',
      nothing,
    ],
    [
      'invite for me',
      {
        type: 'm.room.member',
        sender: '@alice:example.org',
        state_key: ME,
        content: { membership: 'invite' },
      },
      group,
      '.m.rule.invite_for_me',
      notify,
    ],
    [
      'invite for someone else',
      {
        type: 'm.room.member',
        sender: '@alice:example.org',
        state_key: '@bob:example.org',
        content: { membership: 'invite' },
      },
      group,
      '.m.rule.member_event',
      nothing,
    ],
    [
      'someone joins',
      {
        type: 'm.room.member',
        sender: '@bob:example.org',
        state_key: '@bob:example.org',
        content: { membership: 'join' },
      },
      oneToOne,
      '.m.rule.member_event',
      nothing,
    ],
    [
      'room upgraded',
      {
        type: 'm.room.tombstone',
        sender: '@mod:example.org',
        state_key: '',
        content: { body: 'moved' },
      },
      group,
      '.m.rule.tombstone',
      highlight,
    ],
    [
      'tombstone without a state key',
      { type: 'm.room.tombstone', sender: '@mod:example.org', content: {} },
      group,
      undefined,
      nothing,
    ],
    [
      'reaction',
      {
        type: 'm.reaction',
        sender: '@alice:example.org',
        content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$e', key: '👍' } },
      },
      oneToOne,
      '.m.rule.reaction',
      nothing,
    ],
    [
      'server ACL change',
      {
        type: 'm.room.server_acl',
        sender: '@mod:example.org',
        state_key: '',
        content: { allow: ['*'] },
      },
      group,
      '.m.rule.room.server_acl',
      nothing,
    ],
    [
      'edit',
      text('* fixed', { 'm.relates_to': { rel_type: 'm.replace', event_id: '$e' } }),
      oneToOne,
      '.m.rule.suppress_edits',
      nothing,
    ],
    [
      'call invite',
      { type: 'm.call.invite', sender: '@alice:example.org', content: {} },
      group,
      '.m.rule.call',
      notify,
    ],
    [
      'encrypted in a 1:1 room',
      { type: 'm.room.encrypted', sender: '@alice:example.org', content: {} },
      oneToOne,
      '.m.rule.encrypted_room_one_to_one',
      notify,
    ],
    [
      'encrypted in a group',
      { type: 'm.room.encrypted', sender: '@alice:example.org', content: {} },
      group,
      '.m.rule.encrypted',
      notify,
    ],
    [
      'other state change',
      {
        type: 'm.room.topic',
        sender: '@alice:example.org',
        state_key: '',
        content: { topic: 'x' },
      },
      group,
      undefined,
      nothing,
    ],
  ])('%s', (_name, e, ctx, ruleId, expected) => {
    expect(ruleFor(e, ctx)).toBe(ruleId);
    expect(counts(e, ctx)).toEqual(expected);
  });

  it('gives the spec actions', () => {
    expect(
      evaluatePushRules(rules, text('hi', { 'm.mentions': { user_ids: [ME] } }), group),
    ).toEqual(['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }]);
    expect(evaluatePushRules(rules, text('hi'), oneToOne)).toEqual([
      'notify',
      { set_tweak: 'sound', value: 'default' },
    ]);
    const call = { type: 'm.call.invite', sender: '@alice:example.org', content: {} };
    expect(evaluatePushRules(rules, call, group)).toEqual([
      'notify',
      { set_tweak: 'sound', value: 'ring' },
    ]);
  });

  it("never notifies for the user's own events", () => {
    const own = text('hi me', { 'm.mentions': { user_ids: [ME] } });
    expect(evaluatePushRules(rules, { ...own, sender: ME }, oneToOne)).toEqual([]);
  });

  it('silences everything once the master rule is enabled', () => {
    const muted = buildRuleset(ME, {}, { '.m.rule.master': { enabled: true } });
    expect(findMatchingRule(muted, text('hi'), oneToOne)?.rule.rule_id).toBe('.m.rule.master');
    expect(evaluatePushRules(muted, text('hi'), oneToOne)).toEqual([]);
  });
});
