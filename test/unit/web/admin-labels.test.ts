import { expect, test } from 'vitest';
import {
  deleteProgressLabel,
  destinationState,
  joinRuleLabel,
  roomTitle,
} from '../../../renderer/src/admin/labels.js';

// The words the admin views put on the admin API's values.

test.each([
  [{ name: 'Town square', canonical_alias: '#town:x', room_id: '!a:x' }, 'Town square'],
  [{ name: null, canonical_alias: '#town:x', room_id: '!a:x' }, '#town:x'],
  [{ name: '', canonical_alias: null, room_id: '!a:x' }, '!a:x'],
])('room title of %o is %s', (r, title) => expect(roomTitle(r)).toBe(title));

test.each([
  ['public', 'Anyone can join'],
  ['invite', 'Invite only'],
  ['knock', 'Ask to join'],
  ['restricted', 'Space members'],
  ['knock_restricted', 'Space members'],
  ['org.example.custom', 'org.example.custom'],
])('join rule %s reads %s', (rule, label) => expect(joinRuleLabel(rule)).toBe(label));

const now = 1_800_000_000_000;
test.each([
  // an up destination: no failure, no wait
  [
    { failure_ts: null, retry_last_ts: 0, retry_interval: 0 },
    { failing: false, nextTry: null },
  ],
  // failing and waiting: next try at last try + interval
  [
    { failure_ts: now - 7_200_000, retry_last_ts: now - 600_000, retry_interval: 3_600_000 },
    { failing: true, nextTry: now + 3_000_000 },
  ],
  // failing, and the wait is over: due now (no future time to show)
  [
    { failure_ts: now - 7_200_000, retry_last_ts: now - 7_200_000, retry_interval: 60_000 },
    { failing: true, nextTry: null },
  ],
])('destination %o -> %o', (d, state) => expect(destinationState(d, now)).toEqual(state));

test.each([
  ['scheduled', 'Deleting…'],
  ['active', 'Deleting…'],
  ['shutting_down', 'Removing members…'],
  ['purging', 'Deleting history…'],
  ['complete', 'Deleted'],
  ['failed', 'Failed'],
])('deletion status %s reads %s', (s, label) => expect(deleteProgressLabel(s)).toBe(label));
