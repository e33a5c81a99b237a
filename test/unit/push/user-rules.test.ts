import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../../server/core/errors.js';
import type { PushRule } from '../../../server/push/types.js';
import {
  PushRuleBodySchema,
  checkUserRuleId,
  makeUserRule,
  normalizeActions,
  placeUserRule,
} from '../../../server/push/user-rules.js';

/** Users' own push rules (client-server API, `PUT /pushrules/global/{kind}/{ruleId}`). */

function errcodeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof MatrixError) return e.errcode;
    throw e;
  }
  return 'no error';
}

describe('PushRuleBodySchema', () => {
  const check = TypeCompiler.Compile(PushRuleBodySchema);

  it.each<[string, unknown, boolean]>([
    ['spec example', { pattern: 'cake*lie', actions: ['notify'] }, true],
    [
      'conditions',
      {
        actions: ['notify', { set_tweak: 'sound', value: 'beeroclock.wav' }],
        conditions: [
          { kind: 'event_match', key: 'content.body', pattern: 'beer' },
          { kind: 'room_member_count', is: '<=10' },
          { kind: 'event_property_is', key: 'content.x', value: null },
        ],
      },
      true,
    ],
    ['no actions', { pattern: 'x' }, false],
    ['condition without kind', { actions: [], conditions: [{ key: 'type' }] }, false],
    ['compound value', { actions: [], conditions: [{ kind: 'k', value: [1] }] }, false],
    ['float value', { actions: [], conditions: [{ kind: 'k', value: 1.5 }] }, false],
  ])('%s', (_name, body, ok) => {
    expect(check.Check(body)).toBe(ok);
  });
});

describe('checkUserRuleId', () => {
  it.each([['nocake'], ['!room:example.org'], ['@user:example.org'], ['a.b']])(
    'accepts %s',
    (id) => {
      expect(() => checkUserRuleId(id)).not.toThrow();
    },
  );

  it.each([['.m.rule.mine'], ['a/b'], ['a\\b'], ['']])('rejects %j', (id) => {
    expect(errcodeOf(() => checkUserRuleId(id))).toBe('M_INVALID_PARAM');
  });
});

describe('normalizeActions', () => {
  it('keeps notify and tweaks, drops the historical actions', () => {
    expect(
      normalizeActions(['dont_notify', 'notify', 'coalesce', { set_tweak: 'sound', value: 'x' }]),
    ).toEqual(['notify', { set_tweak: 'sound', value: 'x' }]);
  });

  it.each<[unknown]>([['blink'], [{ tweak: 'x' }], [{ set_tweak: 5 }], [[]], [3]])(
    'rejects %j',
    (action) => {
      expect(errcodeOf(() => normalizeActions([action]))).toBe('M_INVALID_PARAM');
    },
  );
});

describe('makeUserRule', () => {
  const conditions = [{ kind: 'event_match', key: 'type', pattern: 'm.room.message' }];

  it('makes an enabled user-defined override rule', () => {
    expect(makeUserRule('override', 'mine', { actions: ['notify'], conditions })).toEqual({
      rule_id: 'mine',
      default: false,
      enabled: true,
      actions: ['notify'],
      conditions,
    });
  });

  it('requires conditions of override and underride rules; an empty list is allowed', () => {
    expect(makeUserRule('underride', 'u', { actions: [], conditions: [] }).conditions).toEqual([]);
    expect(errcodeOf(() => makeUserRule('underride', 'u', { actions: [] }))).toBe(
      'M_MISSING_PARAM',
    );
    expect(errcodeOf(() => makeUserRule('override', 'o', { actions: [] }))).toBe('M_MISSING_PARAM');
  });

  it('keeps the pattern of content rules and requires it', () => {
    expect(makeUserRule('content', 'cake', { actions: [], pattern: 'cake*lie' }).pattern).toBe(
      'cake*lie',
    );
    expect(errcodeOf(() => makeUserRule('content', 'cake', { actions: [] }))).toBe(
      'M_MISSING_PARAM',
    );
  });

  it('ignores fields that do not apply to the kind', () => {
    const rule = makeUserRule('room', '!r:example.org', { actions: [], conditions, pattern: 'x' });
    expect(rule).toEqual({ rule_id: '!r:example.org', default: false, enabled: true, actions: [] });
  });

  it('rejects reserved ids', () => {
    expect(
      errcodeOf(() => makeUserRule('override', '.m.rule.master', { actions: [], conditions })),
    ).toBe('M_INVALID_PARAM');
  });
});

describe('placeUserRule', () => {
  const r = (id: string, actions: PushRule['actions'] = []): PushRule => ({
    rule_id: id,
    default: false,
    enabled: true,
    actions,
  });
  const list = [r('a'), r('b'), r('c')];
  const ids = (rules: PushRule[]) => rules.map((x) => x.rule_id);

  it.each<[string, PushRule, { before?: string; after?: string }, string[]]>([
    ['new rule goes first', r('n'), {}, ['n', 'a', 'b', 'c']],
    ['before', r('n'), { before: 'b' }, ['a', 'n', 'b', 'c']],
    ['after', r('n'), { after: 'b' }, ['a', 'b', 'n', 'c']],
    ['after the last', r('n'), { after: 'c' }, ['a', 'b', 'c', 'n']],
    ['before wins over after', r('n'), { before: 'a', after: 'c' }, ['n', 'a', 'b', 'c']],
    ['existing rule updated in place', r('b', ['notify']), {}, ['a', 'b', 'c']],
    ['existing rule moved', r('a'), { after: 'c' }, ['b', 'c', 'a']],
  ])('%s', (_name, rule, position, expected) => {
    const out = placeUserRule(list, rule, position);
    expect(ids(out)).toEqual(expected);
    expect(out.find((x) => x.rule_id === rule.rule_id)).toBe(rule);
    expect(ids(list)).toEqual(['a', 'b', 'c']);
  });

  it.each<[{ before?: string; after?: string }]>([
    [{ before: 'zzz' }],
    [{ after: '.m.rule.message' }],
    [{ before: 'n' }],
  ])('rejects an unknown anchor %j with M_UNKNOWN', (position) => {
    expect(errcodeOf(() => placeUserRule(list, r('n'), position))).toBe('M_UNKNOWN');
  });
});
