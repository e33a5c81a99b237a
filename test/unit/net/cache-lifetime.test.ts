import { describe, expect, it } from 'vitest';
import { cacheLifetimeMs } from '../../../server/net/cache-lifetime.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('cacheLifetimeMs', () => {
  it.each([
    [{}, null],
    [{ 'cache-control': 'max-age=3600' }, 3_600_000],
    [{ 'cache-control': 'public, max-age="60"' }, 60_000],
    [{ 'cache-control': 'MAX-AGE=10, must-revalidate' }, 10_000],
    [{ 'cache-control': 'no-store' }, 0],
    [{ 'cache-control': 'no-cache, max-age=3600' }, 0],
    [{ expires: 'Thu, 01 Jan 2026 02:00:00 GMT' }, 7_200_000],
    [
      { expires: 'Thu, 01 Jan 2026 02:00:00 GMT', date: 'Thu, 01 Jan 2026 01:00:00 GMT' },
      3_600_000,
    ],
    [{ expires: '0' }, 0],
    [{ expires: 'Wed, 31 Dec 2025 00:00:00 GMT' }, 0],
    [{ 'cache-control': 'max-age=120', expires: 'Thu, 01 Jan 2026 02:00:00 GMT' }, 120_000],
  ])('%j -> %s', (headers, expected) => {
    expect(cacheLifetimeMs(headers, NOW)).toBe(expected);
  });
});
