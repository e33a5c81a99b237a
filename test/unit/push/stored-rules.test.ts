import { describe, expect, it } from 'vitest';
import { defaultPushRules } from '../../../server/push/default-rules.js';
import {
  emptyRuleState,
  readUserRuleState,
  rulesetOf,
  storedContent,
} from '../../../server/push/stored-rules.js';
import type { PushRule } from '../../../server/push/types.js';

/** The `m.push_rules` account data: written as the whole ruleset, read back as the user's part. */

const ME = '@me:example.org';
const mine: PushRule = {
  rule_id: 'cake',
  default: false,
  enabled: true,
  pattern: 'cake',
  actions: ['notify'],
};

describe('stored push rules', () => {
  it('reads back what was stored: own rules and changes to predefined ones', () => {
    const state = emptyRuleState();
    state.rules.content.push(mine);
    state.changes['.m.rule.master'] = { enabled: true };
    state.changes['.m.rule.message'] = { actions: [] };
    const content = storedContent(ME, state);
    expect(readUserRuleState(content, ME)).toEqual(state);
    expect(rulesetOf(ME, readUserRuleState(content, ME))).toEqual(content.global);
  });

  it('sees no changes in predefined rules stored as they are', () => {
    expect(readUserRuleState(storedContent(ME, emptyRuleState()), ME)).toEqual(emptyRuleState());
  });

  it('drops predefined rules this server does not have, and entries that are not rules', () => {
    const content = {
      global: {
        override: [{ rule_id: '.m.rule.gone', default: true, enabled: false, actions: [] }],
        content: [5, { rule_id: 'no actions' }, mine],
        room: 'not a list',
      },
    };
    const state = readUserRuleState(content, ME);
    expect(state.rules.content).toEqual([mine]);
    expect(state.changes).toEqual({});
    expect(rulesetOf(ME, state).override).toEqual(defaultPushRules(ME).override);
  });

  it('reads nothing of its own from unset or malformed content', () => {
    expect(readUserRuleState(undefined, ME)).toEqual(emptyRuleState());
    expect(readUserRuleState({ global: [] }, ME)).toEqual(emptyRuleState());
  });
});
