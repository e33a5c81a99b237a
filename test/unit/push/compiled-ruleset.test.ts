import { describe, expect, it } from 'vitest';
import { buildRuleset } from '../../../server/push/default-rules.js';
import { compileRuleset, evaluatePushRules } from '../../../server/push/evaluate.js';
import { compileGlob } from '../../../server/push/glob.js';
import type { PushContext, PushEvent, PushRule } from '../../../server/push/types.js';

/**
 * The compiled forms used on the hot path (every event, every member) decide exactly as
 * the rules do: the per-type candidate lists and the ASCII fast paths of glob matching
 * never change an answer.
 */

const ME = '@me:example.org';
const ctx: PushContext = { userId: ME, displayName: 'Me', roomMemberCount: 5, powerLevels: null };
const typeRule = (id: string, pattern: string): PushRule => ({
  rule_id: id,
  default: false,
  enabled: true,
  conditions: [{ kind: 'event_match', key: 'type', pattern }],
  actions: ['notify', { set_tweak: 'highlight' }],
});
const ruleset = buildRuleset(ME, {
  override: [typeRule('kelvin', 'k'), typeRule('glob', 'org.example.*')],
  underride: [typeRule('upper', 'ORG.EXAMPLE.SHOUT')],
});
const compiled = compileRuleset(ruleset);
const event = (type: string, content: Record<string, unknown> = {}): PushEvent => ({
  type,
  sender: '@alice:example.org',
  room_id: '!r:example.org',
  content,
});

describe('CompiledRuleset', () => {
  it.each<[string, PushEvent]>([
    ['a message', event('m.room.message', { msgtype: 'm.text', body: 'hi' })],
    ['a message in upper case', event('M.ROOM.MESSAGE', { msgtype: 'm.text', body: 'hi' })],
    ['a notice', event('m.room.message', { msgtype: 'm.notice', body: 'hi' })],
    ['a mention', event('m.room.message', { body: 'x', 'm.mentions': { user_ids: [ME] } })],
    ['a call', event('m.call.invite')],
    ['a glob-matched type', event('org.example.thing')],
    ['an upper-case rule, lower-case type', event('org.example.shout')],
    ['a non-ASCII type that folds to ASCII (Kelvin sign)', event('\u212A')],
    ['a plain k', event('K')],
    ['an unknown type', event('com.other')],
  ])('%s: the same actions as the plain ruleset', (_name, ev) => {
    const plain = evaluatePushRules(ruleset, ev, ctx);
    expect(evaluatePushRules(compiled, ev, ctx)).toEqual(plain);
    // Twice: the second answer comes from the cached candidate list.
    expect(evaluatePushRules(compiled, ev, ctx)).toEqual(plain);
  });

  it('answers the fixture as expected (so the comparison above is not vacuous)', () => {
    const tweaks = ['notify', { set_tweak: 'highlight' }];
    expect(evaluatePushRules(compiled, event('\u212A'), ctx)).toEqual(tweaks);
    expect(evaluatePushRules(compiled, event('org.example.shout'), ctx)).toEqual(tweaks);
    expect(evaluatePushRules(compiled, event('M.ROOM.MESSAGE', { body: 'x' }), ctx)).toEqual([
      'notify',
    ]);
  });

  it('keeps answering for more event types than it caches', () => {
    for (let i = 0; i < 100; i++) {
      expect(evaluatePushRules(compiled, event(`org.example.t${i}`), ctx)).toHaveLength(2);
      expect(evaluatePushRules(compiled, event(`com.t${i}`), ctx)).toEqual([]);
    }
  });
});

describe('compileGlob fast paths', () => {
  it.each<[string, string, boolean, boolean]>([
    // pattern, value, whole value, as words
    ['cake', 'cake', true, true],
    ['cake', 'CAKE', true, true],
    ['cake', 'I like Cake!', false, true],
    ['cake', 'pancakes', false, false],
    ['cake', 'cake_lover', false, false],
    ['cake', 'a cake-lover', false, true],
    ['@bob', 'hi x@bob', false, true],
    ['', '', true, true],
    ['k', '\u212A', true, true], // the Kelvin sign folds to k
    ['k', 'a \u212A b', false, true],
    ['straße', 'STRASSE', false, false],
    ['cake', 'café cake', false, true],
  ])('%j against %j', (pattern, value, whole, words) => {
    const glob = compileGlob(pattern);
    expect(glob.matchesValue(value)).toBe(whole);
    expect(glob.matchesWords(value)).toBe(words);
  });
});
