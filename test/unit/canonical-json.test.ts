import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalJson } from '../../server/core/canonical-json.js';

/**
 * Canonical JSON (spec appendices, "Canonical JSON"). The vectors are the spec's own examples;
 * each `input` is the exact JSON text, so -0, 1e10 and \u escapes reach the parser as written.
 */
interface CanonicalCase {
  id: string;
  input: string;
  expected: string;
}

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/spec-test-vectors.json', import.meta.url), 'utf8'),
) as { canonical_json: CanonicalCase[] };

describe('canonicalJson: spec vectors', () => {
  it('has the spec cases', () => {
    expect(vectors.canonical_json.length).toBeGreaterThanOrEqual(10);
  });

  it.each(vectors.canonical_json)('$id', ({ input, expected }) => {
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });
});

describe('canonicalJson: values', () => {
  it.each([
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['null', null, 'null'],
    ['zero', 0, '0'],
    ['negative zero', -0, '0'],
    ['largest integer', 2 ** 53 - 1, '9007199254740991'],
    ['smallest integer', -(2 ** 53) + 1, '-9007199254740991'],
    ['empty array', [], '[]'],
    ['nested arrays keep order', [3, [2, 1], { b: 1, a: 2 }], '[3,[2,1],{"a":2,"b":1}]'],
    ['non-ASCII stays raw', { a: 'é€😀' }, '{"a":"é€😀"}'],
    ['quote and backslash escaped', { a: '"\\' }, '{"a":"\\"\\\\"}'],
    ['control characters escaped', { a: '\n\t\u0001' }, '{"a":"\\n\\t\\u0001"}'],
    ['slash not escaped', { a: '/' }, '{"a":"/"}'],
    ['keys sorted at every depth', { z: { y: 1, x: 2 }, a: [] }, '{"a":[],"z":{"x":2,"y":1}}'],
  ] as const)('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it.each([
    ['a float', 1.5],
    ['a tiny float', 1e-7],
    ['2^53', 2 ** 53],
    ['-(2^53)', -(2 ** 53)],
    ['a huge integer', 1e300],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['a float inside an object', { a: [{ b: 0.1 }] }],
    ['an integer beyond 2^53-1 inside an array', [2 ** 53 + 2]],
    ['undefined', undefined],
    ['a function', () => 1],
    ['a bigint', 1n],
  ])('throws CanonicalJsonError for %s', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(CanonicalJsonError);
  });
});

describe('canonicalJson: key order is by code point', () => {
  // UTF-16 order puts U+1F600 (surrogates D83D DE00) before U+FFFD; code point order does not.
  it.each([
    ['astral vs U+FFFD', { '\u{1F600}': 1, '\uFFFD': 2 }, '{"\uFFFD":2,"\u{1F600}":1}'],
    ['astral vs U+E000', { '\u{1F600}': 1, '\uE000': 2 }, '{"\uE000":2,"\u{1F600}":1}'],
    ['astral vs ASCII', { '\u{1F600}': 1, a: 2 }, '{"a":2,"\u{1F600}":1}'],
    [
      'shared prefix, then astral vs U+FFFD',
      { 'k\u{10000}': 1, 'k\uFFFD': 2, k: 3 },
      '{"k":3,"k\uFFFD":2,"k\u{10000}":1}',
    ],
    ['two astral keys', { '\u{1F601}': 1, '\u{1F600}': 2 }, '{"\u{1F600}":2,"\u{1F601}":1}'],
    ['BMP only', { '\uFFFD': 1, '\u00E9': 2, b: 3, a: 4 }, '{"a":4,"b":3,"\u00E9":2,"\uFFFD":1}'],
    ['prefix sorts first', { ab: 1, a: 2, '': 3 }, '{"":3,"a":2,"ab":1}'],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it.each([1, 2, 15, 16, 17, 40])('sorts %i keys given in any order', (n) => {
    // Distinct ASCII keys, inserted reversed and rotated by half: the expected order is by
    // code point, which for ASCII is the < order of strings.
    const keys = Array.from(
      { length: n },
      (_, i) => `k${String((i * 7919) % 1000).padStart(3, '0')}`,
    );
    const reversed = [...keys].reverse();
    const obj: Record<string, number> = {};
    for (const k of [...reversed.slice(n >> 1), ...reversed.slice(0, n >> 1)]) obj[k] = 1;
    const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(canonicalJson(obj)).toBe(`{${sorted.map((k) => `"${k}":1`).join(',')}}`);
  });

  it('differs from plain UTF-16 sort for astral keys', () => {
    const keys = ['\u{1F600}', '\uFFFD'];
    expect([...keys].sort()).toEqual(['\u{1F600}', '\uFFFD']);
    expect(canonicalJson({ '\u{1F600}': 0, '\uFFFD': 0 }).indexOf('\uFFFD')).toBe(2);
  });
});
