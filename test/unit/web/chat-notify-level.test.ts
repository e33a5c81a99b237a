import { describe, expect, test } from 'vitest';
import { notifyLevelOf, rulesFor } from '../../../renderer/src/chat/notify-level.js';
import { chooseFlow, nextStage } from '../../../renderer/src/shared/auth/register-flow.js';

// Per-room notification levels as push rules (the way Element writes them), and the
// registration flow the sign-up form follows.

const ROOM = '!r:x';
const mute = {
  rule_id: ROOM,
  enabled: true,
  actions: [],
  conditions: [{ kind: 'event_match', key: 'room_id', pattern: ROOM }],
};
const mentions = { rule_id: ROOM, enabled: true, actions: [] };

describe('notifyLevelOf', () => {
  test.each([
    ['no rules', {}, 'all'],
    ['an override without actions for the room', { override: [mute] }, 'mute'],
    ['a room rule without actions', { room: [mentions] }, 'mentions'],
    [
      "Element's older dont_notify",
      { room: [{ ...mentions, actions: ['dont_notify'] }] },
      'mentions',
    ],
    ['a room rule that notifies', { room: [{ ...mentions, actions: ['notify'] }] }, 'all'],
    ['a disabled override', { override: [{ ...mute, enabled: false }] }, 'all'],
    [
      "another room's rules",
      { override: [{ ...mute, rule_id: '!o:x' }], room: [{ ...mentions, rule_id: '!o:x' }] },
      'all',
    ],
    ['both (mute wins: overrides come first)', { override: [mute], room: [mentions] }, 'mute'],
  ])('%s', (_what, rules, want) => {
    expect(notifyLevelOf(rules, ROOM)).toBe(want);
  });
});

describe('rulesFor', () => {
  test('each level removes the other levels rules and adds its own', () => {
    expect(rulesFor('all', ROOM)).toEqual({ remove: [{ kind: 'override' }, { kind: 'room' }] });
    expect(rulesFor('mentions', ROOM)).toEqual({
      remove: [{ kind: 'override' }],
      add: { kind: 'room', body: { actions: [] } },
    });
    expect(rulesFor('mute', ROOM)).toEqual({
      remove: [{ kind: 'room' }],
      add: {
        kind: 'override',
        body: { actions: [], conditions: [{ kind: 'event_match', key: 'room_id', pattern: ROOM }] },
      },
    });
  });
  test('what it writes reads back as the same level', () => {
    for (const level of ['all', 'mentions', 'mute'] as const) {
      const add = rulesFor(level, ROOM).add;
      const rules = add ? { [add.kind]: [{ rule_id: ROOM, ...add.body }] } : {};
      expect(notifyLevelOf(rules, ROOM)).toBe(level);
    }
  });
});

describe('registration flows', () => {
  const dummy = { stages: ['m.login.dummy'] };
  const token = { stages: ['m.login.registration_token'] };
  const tokenThenDummy = { stages: ['m.login.registration_token', 'm.login.dummy'] };
  const email = { stages: ['m.login.email.identity'] };
  test.each([
    [[dummy], dummy],
    [[email, token], token],
    [[tokenThenDummy, dummy], dummy],
    [[email], null],
    [[], null],
  ])('chooseFlow %j', (flows, want) => {
    expect(chooseFlow(flows)).toEqual(want);
  });
  test('nextStage walks the flow', () => {
    expect(nextStage(tokenThenDummy, [])).toBe('m.login.registration_token');
    expect(nextStage(tokenThenDummy, ['m.login.registration_token'])).toBe('m.login.dummy');
    expect(nextStage(tokenThenDummy, ['m.login.registration_token', 'm.login.dummy'])).toBeNull();
  });
});
