import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../server/core/rate-limiter.js';

/** Token buckets in Synapse's shape: {per_second, burst_count}; refusals say how long to wait. */

function setup() {
  const clock = { t: 1_000_000, now: () => clock.t };
  return { clock, limiter: new RateLimiter(clock) };
}

describe('RateLimiter', () => {
  it.each([
    // perSecond, burstCount, first retry (ms) after the burst
    [1, 3, 1000],
    [0.2, 10, 5000],
    [0.17, 3, 5883],
    [10, 50, 100],
    [0.003, 5, 333_334],
  ])('per_second %d, burst %d: burst allowed, then wait %d ms', (perSecond, burstCount, retry) => {
    const { limiter } = setup();
    const limit = { perSecond, burstCount };
    for (let i = 0; i < burstCount; i++) expect(limiter.take('k', limit)).toBe(0);
    expect(limiter.take('k', limit)).toBe(retry);
    // A refusal counts nothing: asking again gives the same answer.
    expect(limiter.take('k', limit)).toBe(retry);
  });

  it.each([[1], [0.2], [0.17], [0.3], [0.003], [0.016], [7]])(
    'per_second %d: waiting exactly the retry time is enough',
    (perSecond) => {
      const { clock, limiter } = setup();
      const limit = { perSecond, burstCount: 2 };
      limiter.take('k', limit);
      limiter.take('k', limit);
      const wait = limiter.take('k', limit);
      expect(wait).toBeGreaterThan(0);
      clock.t += wait - 1;
      expect(limiter.take('k', limit)).toBeGreaterThan(0);
      clock.t += 1;
      expect(limiter.take('k', limit)).toBe(0);
    },
  );

  it('refills over time, never above the burst', () => {
    const { clock, limiter } = setup();
    const limit = { perSecond: 2, burstCount: 4 };
    for (let i = 0; i < 4; i++) limiter.take('k', limit);
    expect(limiter.take('k', limit)).toBe(500);
    clock.t += 1000; // two tokens back
    expect(limiter.take('k', limit)).toBe(0);
    expect(limiter.take('k', limit)).toBe(0);
    expect(limiter.take('k', limit)).toBe(500);
    clock.t += 3_600_000; // a long idle time refills only up to the burst
    for (let i = 0; i < 4; i++) expect(limiter.take('k', limit)).toBe(0);
    expect(limiter.take('k', limit)).toBe(500);
  });

  it('keeps keys apart', () => {
    const { limiter } = setup();
    const limit = { perSecond: 1, burstCount: 1 };
    expect(limiter.take('a', limit)).toBe(0);
    expect(limiter.take('a', limit)).toBeGreaterThan(0);
    expect(limiter.take('b', limit)).toBe(0);
  });

  it('dryRun answers without counting', () => {
    const { limiter } = setup();
    const limit = { perSecond: 1, burstCount: 2 };
    for (let i = 0; i < 5; i++) expect(limiter.take('k', limit, { dryRun: true })).toBe(0);
    expect(limiter.take('k', limit)).toBe(0);
    expect(limiter.take('k', limit)).toBe(0);
    expect(limiter.take('k', limit, { dryRun: true })).toBe(1000);
    expect(limiter.take('k', limit)).toBe(1000);
  });

  it('counts a cost above one', () => {
    const { limiter } = setup();
    const limit = { perSecond: 1, burstCount: 5 };
    expect(limiter.take('k', limit, { cost: 4 })).toBe(0);
    expect(limiter.take('k', limit, { cost: 2 })).toBe(1000);
    expect(limiter.take('k', limit, { cost: 1 })).toBe(0);
  });

  it('reset forgets a key', () => {
    const { limiter } = setup();
    const limit = { perSecond: 0.001, burstCount: 2 };
    limiter.take('k', limit);
    limiter.take('k', limit);
    expect(limiter.take('k', limit)).toBeGreaterThan(0);
    limiter.reset('k');
    expect(limiter.take('k', limit)).toBe(0);
    limiter.reset('never-seen');
  });

  it.each([
    ['no limit (both zero)', { perSecond: 0, burstCount: 0 }, 0],
    ['no refill', { perSecond: 0, burstCount: 1 }, 24 * 3600 * 1000],
  ])('%s', (_name, limit, second) => {
    const { clock, limiter } = setup();
    limiter.take('k', limit);
    clock.t += 3_600_000;
    expect(limiter.take('k', limit)).toBe(second);
  });

  it('forgets the oldest keys beyond maxKeys', () => {
    const clock = { now: () => 0 };
    const limiter = new RateLimiter(clock, 2);
    const limit = { perSecond: 1, burstCount: 1 };
    limiter.take('a', limit);
    limiter.take('b', limit);
    limiter.take('c', limit);
    expect(limiter.take('a', limit)).toBe(0);
    expect(limiter.take('c', limit)).toBe(1000);
  });
});
