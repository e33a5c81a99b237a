import { describe, expect, test } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatDate,
  formatDateTime,
  formatDuration,
  formatLogTime,
  formatRelative,
  logLevelName,
  serverOf,
} from '../../../renderer/src/admin/format.js';

// The admin views' figures, as an admin reads them.

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [812, '812 B'],
    [999, '999 B'],
    [1000, '1 KB'],
    [1500, '1.5 KB'],
    [123_456, '123 KB'],
    [1_500_000, '1.5 MB'],
    [64_000_000, '64 MB'],
    [2_340_000_000, '2.3 GB'],
    [5e12, '5 TB'],
    [5e15, '5000 TB'],
  ])('%d -> %s', (n, s) => expect(formatBytes(n)).toBe(s));

  test.each([null, undefined, -1, NaN, Infinity])('%s is unknown', (n) =>
    expect(formatBytes(n)).toBe('—'),
  );
});

describe('formatDuration', () => {
  test.each([
    [0, '0 s'],
    [45_999, '45 s'],
    [60_000, '1 min'],
    [12 * 60_000 + 5000, '12 min'],
    [3 * 3_600_000, '3 h'],
    [3 * 3_600_000 + 5 * 60_000, '3 h 5 min'],
    [2 * 86_400_000, '2 d'],
    [2 * 86_400_000 + 4 * 3_600_000 + 59_000, '2 d 4 h'],
  ])('%d ms -> %s', (ms, s) => expect(formatDuration(ms)).toBe(s));

  test('unknown or negative is a dash', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(-5)).toBe('—');
  });
});

describe('dates', () => {
  const ts = Date.UTC(2026, 10, 27, 14, 5, 9);
  const utc = { locale: 'en-GB', timeZone: 'UTC' };

  test('date and time, date only, log time', () => {
    expect(formatDateTime(ts, utc)).toBe('27 Nov 2026, 14:05');
    expect(formatDate(ts, utc)).toBe('27 Nov 2026');
    expect(formatLogTime(ts, utc)).toBe('14:05:09');
    expect(formatLogTime(new Date(ts).toISOString(), utc)).toBe('14:05:09');
    expect(formatLogTime('not a time', utc)).toBe('');
  });

  test('no timestamp (null, 0) is a dash, not 1970', () => {
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime(0)).toBe('—');
    expect(formatDate(undefined)).toBe('—');
  });

  test.each([
    [0, 'just now'],
    [-30_000, 'just now'],
    [-5 * 60_000, '5 minutes ago'],
    [-3 * 3_600_000, '3 hours ago'],
    [-86_400_000, 'yesterday'],
    [3 * 86_400_000, 'in 3 days'],
    [-90 * 86_400_000, '3 months ago'],
    [-800 * 86_400_000, '2 years ago'],
  ])('relative %d ms -> %s', (diff, s) => {
    const now = Date.UTC(2026, 0, 1);
    expect(formatRelative(now + diff, now, 'en')).toBe(s);
  });
});

test('counts, log levels, servers of IDs', () => {
  expect(formatCount(12345, 'en')).toBe('12,345');
  expect(formatCount(undefined)).toBe('—');
  expect(logLevelName(30)).toBe('info');
  expect(logLevelName(50)).toBe('error');
  expect(logLevelName('WARN')).toBe('warn');
  expect(logLevelName(35)).toBe('35');
  expect(logLevelName(undefined)).toBe('info');
  expect(serverOf('@alice:example.org')).toBe('example.org');
  expect(serverOf('@alice:localhost:8448')).toBe('localhost:8448');
  expect(serverOf('nothing')).toBe('');
});
