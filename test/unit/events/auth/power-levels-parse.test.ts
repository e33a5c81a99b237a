import { describe, expect, it } from 'vitest';
import {
  currentPowerLevels,
  parseLevel,
  requiredLevel,
  userLevel,
} from '../../../../server/events/auth/power-levels.js';
import { roomVersion, type RoomVersion } from '../../../../server/events/room-versions.js';
import { ALICE, ALL_VERSIONS, BOB, CAROL, ev, newRoom } from './room.js';

const version = (id: string): RoomVersion => roomVersion(id) as RoomVersion;

describe('parseLevel', () => {
  const cases: [unknown, string, number | undefined][] = [
    [50, '1', 50],
    [-7, '12', -7],
    ['100', '1', 100],
    ['000100', '9', 100],
    [' +100 ', '5', 100],
    ['\t-100\n', '7', -100],
    ['1.5', '1', undefined],
    ['1e3', '1', undefined],
    ['+-1', '1', undefined],
    ['', '1', undefined],
    ['100', '10', undefined],
    [5.9, '5', 5],
    [-5.9, '1', -5],
    [5.9, '6', undefined],
    [Infinity, '1', undefined],
    [NaN, '1', undefined],
    [true, '1', undefined],
    [null, '12', undefined],
  ];
  it.each(cases)('reads %j in v%s as %s', (value, id, expected) => {
    expect(parseLevel(value, version(id))).toBe(expected);
  });
});

describe('currentPowerLevels defaults (client-server m.room.power_levels)', () => {
  it.each(ALL_VERSIONS)('v%s without a power levels event', (id) => {
    const room = newRoom(id, { powerLevels: false });
    const pl = currentPowerLevels((t, k) => room.state.get(`${t}|${k}`), room.v);
    expect(pl.levels).toEqual({
      users_default: 0,
      events_default: 0,
      state_default: 50,
      ban: 50,
      redact: 50,
      kick: 50,
      invite: 0,
    });
    expect(userLevel(pl, ALICE)).toBe(room.v.privilegedCreators ? Infinity : 100);
    expect(userLevel(pl, BOB)).toBe(0);
    expect(requiredLevel(pl, ev(room.v, 'm.room.name', ALICE, {}, ''))).toBe(50);
    expect(requiredLevel(pl, ev(room.v, 'm.room.message', ALICE, {}))).toBe(0);
  });

  it.each(ALL_VERSIONS)('v%s with an event that sets some levels', (id) => {
    const users = { [BOB]: 30 };
    const room = newRoom(id, {
      powerLevels: { users, users_default: 5, state_default: 20, events: { 'm.room.name': 70 } },
    });
    const pl = currentPowerLevels((t, k) => room.state.get(`${t}|${k}`), room.v);
    expect(userLevel(pl, BOB)).toBe(30);
    expect(userLevel(pl, CAROL)).toBe(5);
    // With a power levels event, the creator has no implicit 100 (except v12's infinity).
    expect(userLevel(pl, ALICE)).toBe(room.v.privilegedCreators ? Infinity : 5);
    expect(requiredLevel(pl, ev(room.v, 'm.room.name', BOB, {}, ''))).toBe(70);
    expect(requiredLevel(pl, ev(room.v, 'm.room.topic', BOB, {}, ''))).toBe(20);
    expect(pl.levels.ban).toBe(50);
  });
});
