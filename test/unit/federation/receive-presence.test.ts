import { describe, expect, it } from 'vitest';
import {
  FEDERATION_PRESENCE_TIMEOUT_MS,
  settleRemote,
  type PresenceRecord,
} from '../../../server/presence/state.js';

/**
 * Presence received from another server (federation m.presence) as time passes: held as its
 * server stated it (that server times its users out and says so), offline only once it has
 * been silent for FEDERATION_PRESENCE_TIMEOUT_MS.
 */

const told = 1_000_000;
const online: PresenceRecord = {
  state: 'online',
  statusMsg: 'here',
  lastActiveTs: told - 10 * 60_000,
  lastSyncTs: told,
  currentlyActive: true,
};

describe('settleRemote', () => {
  it.each([
    ['just told', 0, online],
    ['idle for long by our clock, yet not timed out here', 20 * 60_000, online],
    ['at the timeout', FEDERATION_PRESENCE_TIMEOUT_MS, online],
    [
      'silent past the timeout',
      FEDERATION_PRESENCE_TIMEOUT_MS + 1,
      { ...online, state: 'offline', currentlyActive: false },
    ],
  ] as const)('%s', (_name, after, expected) => {
    expect(settleRemote(online, told + after)).toEqual(expected);
  });

  it('an offline user stays as told', () => {
    const offline = { ...online, state: 'offline' as const, currentlyActive: false };
    expect(settleRemote(offline, told + 10 * FEDERATION_PRESENCE_TIMEOUT_MS)).toBe(offline);
  });
});
