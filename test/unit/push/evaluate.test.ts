import { describe, expect, it } from 'vitest';
import { buildRuleset } from '../../../server/push/default-rules.js';
import {
  evaluatePushRules,
  findMatchingRule,
  notificationCounts,
  ruleMatches,
} from '../../../server/push/evaluate.js';
import type {
  PushAction,
  PushContext,
  PushEvent,
  PushRule,
  PushRuleset,
} from '../../../server/push/types.js';

/** Rule kinds, their order, and actions (client-server API, "Push Rules", "Actions"). */

const ME = '@me:example.org';
const ctx: PushContext = { userId: ME, displayName: 'Me', roomMemberCount: 5, powerLevels: null };
const msg: PushEvent = {
  type: 'm.room.message',
  sender: '@alice:example.org',
  room_id: '!r:example.org',
  content: { msgtype: 'm.text', body: 'Time for tea?' },
};

function user(ruleId: string, actions: PushAction[], extra: Partial<PushRule> = {}): PushRule {
  return { rule_id: ruleId, default: false, enabled: true, actions, ...extra };
}
const empty = (): PushRuleset => ({
  override: [],
  content: [],
  room: [],
  sender: [],
  underride: [],
});

describe('ruleMatches by kind', () => {
  it.each<[string, keyof PushRuleset, PushRule, boolean]>([
    ['content pattern as a word', 'content', user('c', [], { pattern: 'tea' }), true],
    ['content pattern case-insensitive', 'content', user('c', [], { pattern: 'TIME' }), true],
    ['content pattern not a word', 'content', user('c', [], { pattern: 'te' }), false],
    ['content rule without pattern', 'content', user('c', []), false],
    ['room rule for this room', 'room', user('!r:example.org', []), true],
    ['room rule for another room', 'room', user('!x:example.org', []), false],
    ['sender rule for the sender', 'sender', user('@alice:example.org', []), true],
    ['sender rule for someone else', 'sender', user('@bob:example.org', []), false],
    ['override without conditions', 'override', user('o', []), true],
    ['override with an empty list', 'underride', user('u', [], { conditions: [] }), true],
    [
      'all conditions must hold',
      'override',
      user('o', [], {
        conditions: [
          { kind: 'event_match', key: 'type', pattern: 'm.room.message' },
          { kind: 'room_member_count', is: '2' },
        ],
      }),
      false,
    ],
    [
      'an unknown condition disables the rule',
      'underride',
      user('u', [], { conditions: [{ kind: 'org.example.new' }] }),
      false,
    ],
    ['disabled rules never match', 'override', user('o', [], { enabled: false }), false],
  ])('%s', (_name, kind, rule, expected) => {
    expect(ruleMatches(kind, rule, msg, ctx)).toBe(expected);
  });

  it('does not match a content rule on a body that is not a string', () => {
    const e = { ...msg, content: { body: 5 } };
    expect(ruleMatches('content', user('c', [], { pattern: '*' }), e, ctx)).toBe(false);
  });
});

describe('findMatchingRule: kind order, then list order', () => {
  const rs = empty();
  rs.underride.push(user('under', ['notify']));
  rs.sender.push(user('@alice:example.org', ['notify', { set_tweak: 'sound', value: 's' }]));
  rs.room.push(user('!r:example.org', []));
  rs.content.push(user('time', ['notify'], { pattern: 'time' }));
  rs.content.push(user('tea', ['notify', { set_tweak: 'highlight' }], { pattern: 'tea' }));

  it.each<[string, (r: PushRuleset) => void, string | undefined]>([
    ['content before room, sender and underride', () => {}, 'time'],
    ['list order within a kind', (r) => r.content.reverse(), 'tea'],
    ['room before sender', (r) => (r.content = []), '!r:example.org'],
    ['sender before underride', (r) => ((r.content = []), (r.room = [])), '@alice:example.org'],
    ['override before all', (r) => r.override.push(user('o', [], { conditions: [] })), 'o'],
    [
      'disabled rules are passed over',
      (r) => ((r.content = []), (r.room = []), (r.sender[0]!.enabled = false)),
      'under',
    ],
  ])('%s', (_name, change, expected) => {
    const copy = structuredClone(rs);
    change(copy);
    expect(findMatchingRule(copy, msg, ctx)?.rule.rule_id).toBe(expected);
  });

  it('returns null and no actions when nothing matches', () => {
    expect(findMatchingRule(empty(), msg, ctx)).toBeNull();
    expect(evaluatePushRules({}, msg, ctx)).toEqual([]);
  });
});

describe('evaluatePushRules', () => {
  it('strips the historical dont_notify and coalesce actions', () => {
    const rs = { override: [user('o', ['dont_notify', 'coalesce', { set_tweak: 'x' }])] };
    expect(evaluatePushRules(rs, msg, ctx)).toEqual([{ set_tweak: 'x' }]);
  });

  it('keeps unknown actions for clients and gateways', () => {
    const rs = { underride: [user('u', ['notify', 'org.example.blink', { set_tweak: 'led' }])] };
    expect(evaluatePushRules(rs, msg, ctx)).toEqual([
      'notify',
      'org.example.blink',
      { set_tweak: 'led' },
    ]);
  });
});

describe('buildRuleset', () => {
  it("puts the user's rules before the defaults of the same kind", () => {
    const rs = buildRuleset(ME, {
      override: [user('mine', [])],
      underride: [user('mine-u', ['notify'])],
      content: [user('cake', ['notify'], { pattern: 'cake' })],
    });
    expect(rs.override.map((r) => r.rule_id).slice(0, 3)).toEqual([
      '.m.rule.master',
      'mine',
      '.m.rule.suppress_notices',
    ]);
    expect(rs.underride[0]!.rule_id).toBe('mine-u');
    expect(rs.underride[1]!.rule_id).toBe('.m.rule.call');
    expect(rs.content.map((r) => r.rule_id)).toEqual(['cake']);
  });

  it("applies the user's changes to default rules", () => {
    const rs = buildRuleset(
      ME,
      {},
      {
        '.m.rule.message': { enabled: false },
        '.m.rule.call': { actions: [] },
      },
    );
    expect(rs.underride.find((r) => r.rule_id === '.m.rule.message')?.enabled).toBe(false);
    expect(rs.underride.find((r) => r.rule_id === '.m.rule.call')?.actions).toEqual([]);
    expect(findMatchingRule(rs, msg, ctx)).toBeNull();
  });

  it('lets a user rule silence a room that defaults would notify for', () => {
    const rs = buildRuleset(ME, { room: [user('!r:example.org', [])] });
    expect(evaluatePushRules(rs, msg, { ...ctx, roomMemberCount: 2 })).toEqual([]);
  });
});

describe('notificationCounts', () => {
  it.each<[PushAction[], boolean, boolean]>([
    [[], false, false],
    [['notify'], true, false],
    [['notify', { set_tweak: 'highlight' }], true, true],
    [['notify', { set_tweak: 'highlight', value: true }], true, true],
    [['notify', { set_tweak: 'highlight', value: false }], true, false],
    [['notify', { set_tweak: 'sound', value: 'default' }], true, false],
    [[{ set_tweak: 'highlight' }], false, false],
    [['dont_notify'], false, false],
  ])('%j -> notify %s, highlight %s', (actions, notify, highlight) => {
    expect(notificationCounts(actions)).toEqual({ notify, highlight });
  });
});
