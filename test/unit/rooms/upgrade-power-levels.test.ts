import { describe, expect, it } from 'vitest';
import { roomVersion } from '../../../server/events/room-versions.js';
import {
  carriedPowerLevels,
  restrictedPowerLevels,
  setupPowerLevels,
} from '../../../server/rooms/upgrade-power-levels.js';

/** The power levels a room upgrade writes (server/rooms/upgrade-power-levels.ts). */

const v = (id: string) => roomVersion(id)!;

describe('carriedPowerLevels', () => {
  it('turns v1-v9 string levels into the integers v10 requires, and drops junk', () => {
    const out = carriedPowerLevels(
      { ban: '50', kick: ' 40 ', redact: 'x', users: { '@a:s': '100', '@b:s': 'high' } },
      v('9'),
      v('10'),
      new Set(),
    );
    expect(out).toEqual({ ban: 50, kick: 40, users: { '@a:s': 100 } });
  });

  it('for v12, takes the creators out of users and keeps tombstones to creators', () => {
    const out = carriedPowerLevels(
      { users: { '@a:s': 100, '@b:s': 100, '@c:s': 50 }, events: { 'm.room.name': 50 } },
      v('11'),
      v('12'),
      new Set(['@a:s', '@b:s']),
    );
    expect(out).toEqual({
      users: { '@c:s': 50 },
      events: { 'm.room.name': 50, 'm.room.tombstone': 150 },
    });
  });

  it('a v12 to v12 upgrade keeps the tombstone level as it was', () => {
    const out = carriedPowerLevels(
      { events: { 'm.room.tombstone': 100 } },
      v('12'),
      v('12'),
      new Set(['@a:s']),
    );
    expect(out.events).toEqual({ 'm.room.tombstone': 100 });
  });
});

describe('setupPowerLevels', () => {
  const levels = {
    users: { '@mod:s': 50 },
    state_default: 50,
    ban: 60,
    events: { 'm.room.power_levels': 100 },
  };
  it.each([
    ['a user below what the copy needs is raised to it', '@mod:s', false, 100],
    ['a user with no entry starts from users_default', '@new:s', false, 100],
  ])('%s', (_, user, creator, level) => {
    expect((setupPowerLevels(levels, user, creator).users as Record<string, number>)[user]).toBe(
      level,
    );
  });

  it('returns the same levels when no raise is needed (and for v12 creators)', () => {
    const high = { ...levels, users: { '@admin:s': 100 } };
    expect(setupPowerLevels(high, '@admin:s', false)).toBe(high);
    expect(setupPowerLevels(levels, '@mod:s', true)).toBe(levels);
  });
});

describe('restrictedPowerLevels', () => {
  it.each([
    [{}, { events_default: 50, invite: 50 }],
    [
      { users_default: 60, events_default: 0 },
      { users_default: 60, events_default: 61, invite: 61 },
    ],
    [
      { events_default: 80, invite: 0 },
      { events_default: 80, invite: 50 },
    ],
  ])('%j becomes %j', (before, after) => {
    expect(restrictedPowerLevels(before)).toEqual(after);
  });

  it('is undefined when the room is already restricted', () => {
    expect(restrictedPowerLevels({ events_default: 50, invite: 100 })).toBeUndefined();
  });
});
