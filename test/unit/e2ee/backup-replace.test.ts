import { describe, expect, it } from 'vitest';
import { shouldReplaceKey, type KeyRank } from '../../../server/e2ee/backup/replace.js';

/** The spec's rule for replacing a backed-up session key ("Server-side key backups"). */

const key = (isVerified: boolean, firstMessageIndex: number, forwardedCount: number): KeyRank => ({
  isVerified,
  firstMessageIndex,
  forwardedCount,
});

describe('shouldReplaceKey', () => {
  it('stores a key for a session that has none', () => {
    expect(shouldReplaceKey(undefined, key(false, 9, 9))).toBe(true);
  });

  it.each([
    // is_verified differs: the verified key is kept, whatever the other two say
    ['verified replaces unverified', key(false, 0, 0), key(true, 5, 5), true],
    ['unverified never replaces verified', key(true, 5, 5), key(false, 0, 0), false],
    // same is_verified: the lower first_message_index is kept
    ['lower index replaces', key(true, 5, 0), key(true, 4, 9), true],
    ['higher index does not replace', key(false, 4, 9), key(false, 5, 0), false],
    // same is_verified and index: the lower forwarded_count is kept
    ['lower forwarded_count replaces', key(false, 3, 2), key(false, 3, 1), true],
    ['higher forwarded_count does not replace', key(true, 3, 1), key(true, 3, 2), false],
    // all equal: the stored key stays
    ['an equal key does not replace', key(true, 3, 1), key(true, 3, 1), false],
  ])('%s', (_name, stored, uploaded, expected) => {
    expect(shouldReplaceKey(stored, uploaded)).toBe(expected);
  });
});
