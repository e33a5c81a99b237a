import { describe, expect, it } from 'vitest';
import {
  globMatchesValue,
  globMatchesWords,
  literalMatchesWords,
} from '../../../server/push/glob.js';

/** Glob-style matching (spec appendices) as push rules use it. */

describe('globMatchesValue (whole value, case-insensitive)', () => {
  it.each<[string, string, boolean]>([
    // The spec's own example: key content.topic, pattern lunc?*.
    ['lunc?*', 'Lunch plans', true],
    ['lunc?*', 'LUNCH', true],
    ['lunc?*', ' lunch', false],
    ['lunc?*', 'lunc', false],
    ['m.room.message', 'm.room.message', true],
    ['m.room.message', 'm.room.message2', false],
    ['m.room.message', 'xm.room.message', false],
    ['m.room.*', 'm.room.member', true],
    ['m.room.*', 'm.room', false],
    ['m.room.?ember', 'm.room.member', true],
    ['m.room.m', 'm.roomxm', false],
    ['', '', true],
    ['', 'x', false],
    ['*', '', true],
    ['a(b)[c]{d}|e^$+\\', 'A(B)[C]{D}|E^$+\\', true],
    ['?', '😀', true],
    ['*', 'multi\nline', true],
    ['@alice:example.com', '@Alice:Example.com', true],
  ])('%j against %j -> %s', (pattern, value, expected) => {
    expect(globMatchesValue(pattern, value)).toBe(expected);
  });
});

describe('globMatchesWords (content.body, word boundaries)', () => {
  it.each<[string, string, boolean]>([
    // The spec's example: pattern ex*ple.
    ['ex*ple', 'An example event.', true],
    ['ex*ple', 'exple', true],
    ['ex*ple', 'An exciting triple-whammy', true],
    ['cake', 'I like cake', true],
    ['cake', 'CAKE!', true],
    ['cake', 'cakes', false],
    ['cake', 'pancake', false],
    ['cake', 'cake_time', false],
    ['cake', 'cake-time', true],
    ['cake', 'cake9', false],
    ['cake*lie', 'the cake is a lie', true],
    ['cake*lie', 'the cake is a lies', false],
    ['@room', 'hey @room look', true],
    ['@room', 'hey@room', true],
    ['@room', '@roomy', false],
    ['alice', 'hi alice:', true],
    ['alice', 'hi\nALICE\n', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
  ])('%j in %j -> %s', (pattern, value, expected) => {
    expect(globMatchesWords(pattern, value)).toBe(expected);
  });
});

describe('literalMatchesWords (display names)', () => {
  it.each<[string, string, boolean]>([
    ['Alice', 'hello alice!', true],
    ['Alice', 'hello alicex', false],
    ['A*', 'hello Abc', false],
    ['A*', 'hello a* there', true],
    ['Dr. Who?', 'ping dr. who? now', true],
  ])('%j in %j -> %s', (text, value, expected) => {
    expect(literalMatchesWords(text, value)).toBe(expected);
  });
});

describe('patterns that make backtracking regex engines explode', () => {
  // A user's content rule runs on every event; `*a*a*...b` against a long run of `a`s takes
  // a backtracking matcher minutes. This one steps through the text once.
  const pattern = '*a*a*a*a*a*a*a*a*b';

  it('answers quickly for a whole value', () => {
    const started = Date.now();
    expect(globMatchesValue(pattern, 'a'.repeat(60_000))).toBe(false);
    expect(globMatchesValue(pattern, `${'a'.repeat(60_000)}b`)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers quickly for a body', () => {
    const started = Date.now();
    expect(globMatchesWords(pattern, 'a '.repeat(30_000))).toBe(false);
    expect(globMatchesWords(pattern, `${'a '.repeat(30_000)}b`)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
