import { describe, expect, it } from 'vitest';
import {
  afterFailure,
  DEFAULT_BACKOFF,
  dueAt,
  isUp,
  judgeStatus,
  UP,
  type RetryState,
} from '../../../server/federation/sender/backoff.js';

describe('judgeStatus: what an answer to PUT /send means (as Synapse)', () => {
  it.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [400, 'undeliverable'],
    [403, 'undeliverable'],
    [413, 'undeliverable'],
    [401, 'retry'],
    [404, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [302, 'retry'],
  ] as const)('%i -> %s', (status, verdict) => {
    expect(judgeStatus(status)).toBe(verdict);
  });
});

describe('afterFailure: the backoff schedule', () => {
  const policy = { minMs: 5_000, multiplier: 2, maxMs: 3_600_000 };

  it('is 5 s doubling to at most 1 h by default', () => {
    expect(DEFAULT_BACKOFF).toEqual(policy);
  });

  it('starts at the minimum, doubles on each scheduled retry that fails, and stops at the maximum', () => {
    let s: RetryState = UP;
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) {
      s = afterFailure(s, 1_000 + i, policy, { forced: false });
      seen.push(s.retryIntervalMs);
    }
    expect(seen).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 1_280_000, 2_560_000,
      3_600_000, 3_600_000,
    ]);
    // The run of failures started at the first one; the last attempt is the latest.
    expect(s.failureTs).toBe(1_000);
    expect(s.retryLastTs).toBe(1_011);
    expect(dueAt(s)).toBe(1_011 + 3_600_000);
    expect(isUp(s)).toBe(false);
  });

  it('keeps the wait on a forced attempt (wake-up) that fails, but starts one when there was none', () => {
    const backing: RetryState = { failureTs: 10, retryLastTs: 20, retryIntervalMs: 40_000 };
    expect(afterFailure(backing, 99, policy, { forced: true })).toEqual({
      failureTs: 10,
      retryLastTs: 99,
      retryIntervalMs: 40_000,
    });
    expect(afterFailure(UP, 99, policy, { forced: true })).toEqual({
      failureTs: 99,
      retryLastTs: 99,
      retryIntervalMs: 5_000,
    });
  });

  it('is due at once while up', () => {
    expect(dueAt(UP)).toBe(0);
    expect(isUp(UP)).toBe(true);
  });
});
