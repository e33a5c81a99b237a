import { describe, expect, it } from 'vitest';
import { parseDuration, parseSize } from '../../server/core/config/units.js';

/** Synapse's duration and size formats, as homeserver.yaml values. */

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [1500, 1500],
    [2.5, 2.5],
    ['250', 250],
    ['250ms', 250],
    ['1s', 1000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
    [' 5m ', 300_000],
    ['5 m', 300_000],
  ])('%j is %d ms', (value, ms) => {
    expect(parseDuration(value)).toBe(ms);
  });

  it.each([
    [-1],
    [NaN],
    [Infinity],
    [''],
    ['m'],
    ['5x'],
    ['-5m'],
    ['5M'],
    ['five minutes'],
    ['1e3'],
    [null],
    [undefined],
    [true],
    [{}],
  ])('%j is not a duration', (value) => {
    expect(parseDuration(value)).toBeNull();
  });
});

describe('parseSize', () => {
  it.each([
    [0, 0],
    [1000, 1000],
    ['1000', 1000],
    ['10K', 10 * 1024],
    ['10k', 10 * 1024],
    ['10M', 10 * 1024 ** 2],
    ['10MB', 10 * 1024 ** 2],
    ['2G', 2 * 1024 ** 3],
    [' 50M ', 50 * 1024 ** 2],
    ['100B', 100],
  ])('%j is %d bytes', (value, bytes) => {
    expect(parseSize(value)).toBe(bytes);
  });

  it.each([[-1], [1.5], [NaN], [''], ['M'], ['1.5M'], ['10T'], ['-10M'], ['ten'], [null], [false]])(
    '%j is not a size',
    (value) => {
      expect(parseSize(value)).toBeNull();
    },
  );
});
