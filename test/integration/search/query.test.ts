import { describe, expect, it } from 'vitest';
import { findHighlights, parseSearchTerm } from '../../../server/search/query.js';

/** The search term as FTS5 gets it: only quoted tokens and the operators we put there. */

describe('parseSearchTerm', () => {
  it.each([
    ['martians', '("martians"*)'],
    ['Martians and men', '("Martians"* AND "men"*)'],
    ['"martians and men"', '("martians and men")'],
    ['"unclosed phrase', '("unclosed phrase")'],
    ['tea or coffee', '("tea"*) OR ("coffee"*)'],
    ['tea -milk', '("tea"* NOT "milk")'],
    ['tea -"oat milk"', '("tea"* NOT "oat milk")'],
    ['foo-bar', '("foo bar"*)'],
    ['NEAR(a b)', '("NEAR a"* AND "b"*)'],
    ['body:x', '("body x"*)'],
    ['a* (b)', '("a"* AND "b"*)'],
    ['café', '("café"*)'],
  ])('%j -> %s', (term, match) => {
    expect(parseSearchTerm(term).match).toBe(match);
  });

  it.each(['', '   ', '"', '""', '*', '()', '-', '-only -negative', 'or', 'and or and', '!!!'])(
    '%j has nothing to search',
    (term) => {
      expect(parseSearchTerm(term)).toEqual({ match: null, terms: [] });
    },
  );

  it('keeps at most 32 words', () => {
    const match = parseSearchTerm(Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ')).match!;
    expect(match.split(' AND ')).toHaveLength(32);
  });
});

describe('findHighlights', () => {
  it('the searched words and the words they matched, lower-cased', () => {
    const { terms } = parseSearchTerm('MART cafe "green tea"');
    expect(
      new Set(findHighlights(terms, ['The Martians drank GREEN tea at the Café', 'marble'])),
    ).toEqual(new Set(['mart', 'cafe', 'green', 'tea', 'martians', 'café']));
  });
});
