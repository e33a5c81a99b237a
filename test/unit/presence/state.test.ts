import { describe, expect, it } from 'vitest';
import {
  NEVER_SEEN,
  presenceContent,
  settle,
  visiblyDiffers,
  type PresenceRecord,
} from '../../../server/presence/state.js';

const T = 1_000_000_000;
const rec = (r: Partial<PresenceRecord>): PresenceRecord => ({
  ...NEVER_SEEN,
  lastActiveTs: T,
  lastSyncTs: T,
  ...r,
});

describe('settle', () => {
  it.each([
    // [stored, ms later, syncing, expected state, currently active]
    ['online', 0, false, 'online', true],
    ['online', 60_000, false, 'offline', false],
    ['online', 30_000, false, 'online', true],
    ['online', 30_001, false, 'offline', false],
    ['online', 60_001, true, 'online', false],
    ['online', 5 * 60_000 + 1, true, 'unavailable', false],
    ['unavailable', 10 * 60_000, true, 'unavailable', false],
    ['unavailable', 30_001, false, 'offline', false],
    ['offline', 0, true, 'offline', false],
  ] as const)('%s, %i ms later, syncing %s: %s', (state, later, syncing, want, active) => {
    const out = settle(rec({ state, currentlyActive: state === 'online' }), T + later, syncing);
    expect([out.state, out.currentlyActive]).toEqual([want, active]);
  });

  it('counts the offline timeout from the later of the last sync and the last activity', () => {
    const r = rec({ state: 'unavailable', lastActiveTs: T - 100_000, lastSyncTs: T });
    expect(settle(r, T + 29_000, false).state).toBe('unavailable');
  });
});

describe('presenceContent', () => {
  it('has last_active_ago once active, status_msg when set, currently_active when online', () => {
    expect(presenceContent(NEVER_SEEN, T)).toEqual({ presence: 'offline' });
    const online = rec({ state: 'online', statusMsg: 'hi', currentlyActive: true });
    expect(presenceContent(online, T + 5)).toEqual({
      presence: 'online',
      last_active_ago: 5,
      status_msg: 'hi',
      currently_active: true,
    });
    expect(presenceContent(rec({ state: 'unavailable' }), T)).toEqual({
      presence: 'unavailable',
      last_active_ago: 0,
    });
  });
});

describe('visiblyDiffers', () => {
  it('ignores timestamps, not state, status or currently_active', () => {
    const a = rec({ state: 'online', currentlyActive: true });
    expect(visiblyDiffers(a, { ...a, lastActiveTs: T + 1, lastSyncTs: T + 9 })).toBe(false);
    expect(visiblyDiffers(a, { ...a, state: 'unavailable' })).toBe(true);
    expect(visiblyDiffers(a, { ...a, statusMsg: 'x' })).toBe(true);
    expect(visiblyDiffers(a, { ...a, currentlyActive: false })).toBe(true);
  });
});
