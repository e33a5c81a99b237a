import { describe, expect, it } from 'vitest';
import { buildRuleset, type DefaultRuleChange } from '../../../server/push/default-rules.js';
import {
  compileRuleset,
  evaluatePushRules,
  notificationCounts,
} from '../../../server/push/evaluate.js';
import {
  SharedPushEvaluation,
  type SharedPushContext,
} from '../../../server/push/shared-evaluation.js';
import type { PushEvent, PushRule, PushRuleKind, PushRuleset } from '../../../server/push/types.js';

/**
 * Evaluating one event for many members at once (shared-evaluation.ts) gives each member
 * exactly what evaluating their own ruleset alone gives: for the predefined rules, for
 * users with rules of their own, changed or disabled rules, and in any order of members
 * (the first member of a shape is the one its shared conditions are checked with).
 */

const HS = 'example.org';
const ROOM = '!room:example.org';
const ALICE = `@alice:${HS}`;
const MOD = `@mod:${HS}`;

const own = (
  id: string,
  conditions: PushRule['conditions'],
  actions: PushRule['actions'],
): PushRule => ({ rule_id: id, default: false, enabled: true, conditions, actions });
const highlight = ['notify', { set_tweak: 'highlight' }];

interface Member {
  userId: string;
  displayName: string | null;
  ruleset: PushRuleset;
}

function member(
  name: string,
  rules: Partial<Record<PushRuleKind, PushRule[]>> = {},
  changes: Record<string, DefaultRuleChange> = {},
  displayName: string | null = name.toUpperCase(),
): Member {
  const userId = `@${name}:${HS}`;
  return { userId, displayName, ruleset: buildRuleset(userId, rules, changes) };
}

/** A rule naming its owner: the same rule, each with their own id, shares a shape. */
const invitedOrMentioned = (userId: string): PushRule =>
  own(
    'me-in-state-key',
    [
      { kind: 'event_match', key: 'state_key', pattern: userId },
      { kind: 'event_match', key: 'content.membership', pattern: 'join' },
    ],
    highlight,
  );

const MEMBERS: Member[] = [
  member('d1'),
  member('d2', {}, {}, null),
  member('d3', {}, {}, 'Bob Smith'),
  member('loud', {
    override: [
      own('all-calls', [{ kind: 'event_match', key: 'type', pattern: 'm.call.*' }], highlight),
    ],
  }),
  member('quiet', {}, { '.m.rule.message': { enabled: false } }),
  member(
    'sound',
    {},
    { '.m.rule.message': { actions: ['notify', { set_tweak: 'sound', value: 'x' }] } },
  ),
  member('noroom', {}, { '.m.rule.is_room_mention': { enabled: false } }),
  member('master', {}, { '.m.rule.master': { enabled: true } }),
  member('nomention', {}, { '.m.rule.is_user_mention': { actions: ['dont_notify'] } }),
  member('words', {
    content: [own('kw', undefined, highlight)].map((r) => ({ ...r, pattern: 'deploy*' })),
  }),
  member(
    'name',
    { override: [own('by-name', [{ kind: 'contains_display_name' }], highlight)] },
    {},
    'Carol',
  ),
  member(
    'name2',
    { override: [own('by-name', [{ kind: 'contains_display_name' }], highlight)] },
    {},
    'Dave',
  ),
  member(
    'noname',
    { override: [own('by-name', [{ kind: 'contains_display_name' }], highlight)] },
    {},
    null,
  ),
  member('mutedroom', { room: [{ ...own(ROOM, undefined, []), conditions: undefined }] }),
  member('mutedalice', {
    sender: [{ ...own(ALICE, undefined, ['dont_notify']), conditions: undefined }],
  }),
  member('self1', { override: [invitedOrMentioned(`@self1:${HS}`)] }),
  member('self2', { override: [invitedOrMentioned(`@self2:${HS}`)] }),
  member('other', { override: [invitedOrMentioned(`@self1:${HS}`)] }),
  member('typeme', {
    override: [
      own(
        'type-is-me',
        [{ kind: 'event_match', key: 'type', pattern: `@typeme:${HS}` }],
        highlight,
      ),
    ],
  }),
  member('typeme2', {
    override: [
      own(
        'type-is-me',
        [{ kind: 'event_match', key: 'type', pattern: `@typeme2:${HS}` }],
        highlight,
      ),
    ],
  }),
  member('disabled', { override: [{ ...own('off', [], highlight), enabled: false }] }),
  member('unknown', { underride: [own('odd', [{ kind: 'org.example.unknown' }], highlight)] }),
  member('polls', {
    underride: [
      own(
        'poll',
        [{ kind: 'event_match', key: 'type', pattern: 'org.matrix.msc3381.poll.start' }],
        ['notify'],
      ),
    ],
  }),
  member('hist', {}, { '.m.rule.message': { actions: ['notify', 'coalesce'] } }),
];

const ev = (type: string, content: Record<string, unknown>, extra: Partial<PushEvent> = {}) => ({
  type,
  sender: ALICE,
  room_id: ROOM,
  content,
  ...extra,
});
const text = (body: string, more: Record<string, unknown> = {}) =>
  ev('m.room.message', { msgtype: 'm.text', body, ...more });

const EVENTS: [string, PushEvent][] = [
  ['a message', text('hello world')],
  ['a notice', ev('m.room.message', { msgtype: 'm.notice', body: 'bot says' })],
  ['a mention of d1', text('hi', { 'm.mentions': { user_ids: [`@d1:${HS}`] } })],
  ['a mention of many', text('hi', { 'm.mentions': { user_ids: MEMBERS.map((m) => m.userId) } })],
  ['@room', text('all', { 'm.mentions': { room: true } })],
  ['@room by the moderator', { ...text('all', { 'm.mentions': { room: true } }), sender: MOD }],
  ['a display name in the body', text('ping Carol and Bob Smith')],
  ['a keyword', text('deploying now')],
  ['an invite of d2', ev('m.room.member', { membership: 'invite' }, { state_key: `@d2:${HS}` })],
  [
    'an invite of self1',
    ev('m.room.member', { membership: 'invite' }, { state_key: `@self1:${HS}` }),
  ],
  ['a join of self2', ev('m.room.member', { membership: 'join' }, { state_key: `@self2:${HS}` })],
  ['a join of self1', ev('m.room.member', { membership: 'join' }, { state_key: `@self1:${HS}` })],
  ['an encrypted event', ev('m.room.encrypted', { algorithm: 'm.megolm.v1.aes-sha2' })],
  [
    'a thread reply',
    text('in thread', { 'm.relates_to': { rel_type: 'm.thread', event_id: '$root' } }),
  ],
  ['an edit', text('* fixed', { 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } })],
  ['a reaction', ev('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', key: '👍' } })],
  ['a call', ev('m.call.invite', { call_id: 'c' })],
  ['a tombstone', ev('m.room.tombstone', { body: 'moved' }, { state_key: '' })],
  ['a server ACL', ev('m.room.server_acl', { allow: ['*'] }, { state_key: '' })],
  ['a poll', ev('org.matrix.msc3381.poll.start', { body: 'vote' })],
  ['a type naming a member', ev(`@typeme:${HS}`, {})],
  ['an upper-case type', ev('M.ROOM.MESSAGE', { body: 'x' })],
  ['a non-ASCII type', ev('\u212A', {})],
  ['an event without content', { type: 'm.room.message', sender: ALICE, room_id: ROOM }],
  ['an event sent by d1', { ...text('mine'), sender: `@d1:${HS}` }],
];

const CONTEXTS: [string, SharedPushContext][] = [
  [
    'a big room',
    { roomMemberCount: 40, powerLevels: { users: { [MOD]: 100 } }, senderPowerLevel: 0 },
  ],
  ['a one-to-one room', { roomMemberCount: 2, powerLevels: null, senderPowerLevel: 0 }],
  [
    'a room where anyone may notify',
    { roomMemberCount: 40, powerLevels: { notifications: { room: 0 } } },
  ],
];

function check(
  members: readonly Member[],
  event: PushEvent,
  shared: SharedPushContext,
  compiled: Map<string, ReturnType<typeof compileRuleset>>,
): number {
  const evaluation = new SharedPushEvaluation(event, shared);
  const names = new Map(members.map((m) => [m.userId, m.displayName]));
  let notified = 0;
  for (const m of members) {
    const context = { ...shared, userId: m.userId, displayName: m.displayName };
    const alone = evaluatePushRules(m.ruleset, event, context);
    const got = evaluation.outcomeFor(m.userId, compiled.get(m.userId)!, (u) => names.get(u)!);
    expect(got.actions, m.userId).toEqual(alone);
    expect(got.actionsJson, m.userId).toBe(JSON.stringify(alone));
    expect({ notify: got.notify, highlight: got.highlight }, m.userId).toEqual(
      notificationCounts(alone),
    );
    if (got.notify) notified++;
  }
  return notified;
}

describe('SharedPushEvaluation', () => {
  const forUser = new Map(MEMBERS.map((m) => [m.userId, compileRuleset(m.ruleset, m.userId)]));
  const withoutUser = new Map(MEMBERS.map((m) => [m.userId, compileRuleset(m.ruleset)]));

  for (const [contextName, shared] of CONTEXTS) {
    it.each(EVENTS)(`%s, in ${contextName}: each member's own answer`, (_name, event) => {
      check(MEMBERS, event, shared, forUser);
      check([...MEMBERS].reverse(), event, shared, forUser);
      check(MEMBERS, event, shared, withoutUser);
    });
  }

  it('gives different members different answers (so the comparison is not vacuous)', () => {
    const shared = CONTEXTS[0]![1];
    const mention = EVENTS.find(([n]) => n === 'a mention of d1')![1];
    const evaluation = new SharedPushEvaluation(mention, shared);
    const names = () => null;
    const d1 = evaluation.outcomeFor(`@d1:${HS}`, forUser.get(`@d1:${HS}`)!, names);
    const d2 = evaluation.outcomeFor(`@d2:${HS}`, forUser.get(`@d2:${HS}`)!, names);
    expect(d1.highlight).toBe(true);
    expect(d2).toMatchObject({ notify: true, highlight: false });
    const join = EVENTS.find(([n]) => n === 'a join of self2')![1];
    const byJoin = new SharedPushEvaluation(join, shared);
    expect(byJoin.outcomeFor(`@self1:${HS}`, forUser.get(`@self1:${HS}`)!, names).notify).toBe(
      false,
    );
    expect(byJoin.outcomeFor(`@self2:${HS}`, forUser.get(`@self2:${HS}`)!, names).highlight).toBe(
      true,
    );
    expect(check(MEMBERS, mention, shared, forUser)).toBeGreaterThan(10);
  });

  it('groups rulesets that differ only where they name their owner', () => {
    const shape = (name: string) => forUser.get(`@${name}:${HS}`)!.shape;
    expect(shape('d1')).not.toBeNull();
    expect(shape('d1')).toBe(shape('d2'));
    expect(shape('d1')).toBe(shape('d3'));
    expect(shape('self1')).toBe(shape('self2'));
    expect(shape('typeme')).toBe(shape('typeme2'));
    expect(shape('name')).toBe(shape('name2'));
    for (const other of ['loud', 'quiet', 'sound', 'master', 'words', 'other', 'self1']) {
      expect(shape(other), other).not.toBe(shape('d1'));
    }
    // Historical actions are dropped before comparing: the same rules in effect.
    expect(shape('hist')).toBe(shape('d1'));
    // "other" names self1 literally: not the same rule as self1's, which names its owner.
    expect(shape('other')).not.toBe(shape('self1'));
    expect(withoutUser.get(`@d1:${HS}`)!.shape).toBeNull();
  });
});
