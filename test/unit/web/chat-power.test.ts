import { describe, expect, test } from 'vitest';
import {
  creatorsArePrivileged,
  mayActOn,
  mayChangeLevel,
  mayChangeState,
  userLevel,
  type RoomAuth,
} from '../../../renderer/src/chat/power.js';

// Who may do what in a room, for room version 12 (privileged creators) and older versions.

const pl = {
  users: { '@mod:x': 50, '@admin:x': 100 },
  users_default: 0,
  events: { 'm.room.name': 50, 'm.room.power_levels': 100 },
  state_default: 50,
  kick: 50,
  ban: 50,
};
const v12: RoomAuth = {
  roomVersion: '12',
  creator: '@owner:x',
  additionalCreators: ['@co:x'],
  powerLevels: pl,
};
const v10: RoomAuth = {
  roomVersion: '10',
  creator: '@admin:x',
  additionalCreators: [],
  powerLevels: pl,
};

test.each([
  ['1', false],
  ['10', false],
  ['11', false],
  ['12', true],
  ['13', true],
  ['org.matrix.hydra.11', true],
  ['org.example.custom', false],
])('creatorsArePrivileged(%s) = %s', (v, want) => {
  expect(creatorsArePrivileged(v)).toBe(want);
});

describe('userLevel', () => {
  test('v12 creators outrank everyone without being listed', () => {
    expect(userLevel(v12, '@owner:x')).toBe(Infinity);
    expect(userLevel(v12, '@co:x')).toBe(Infinity);
    expect(userLevel(v12, '@mod:x')).toBe(50);
    expect(userLevel(v12, '@nobody:x')).toBe(0);
  });
  test('before v12 the create event grants nothing beyond the power levels', () => {
    expect(userLevel({ ...v10, creator: '@mod:x' }, '@mod:x')).toBe(50);
  });
  test('without a power-levels event the creator has 100', () => {
    expect(userLevel({ ...v10, powerLevels: null }, '@admin:x')).toBe(100);
    expect(userLevel({ ...v10, powerLevels: null }, '@mod:x')).toBe(0);
  });
});

describe('permissions', () => {
  test('state changes need the event level (or state_default)', () => {
    expect(mayChangeState(v12, '@owner:x', 'm.room.name')).toBe(true);
    expect(mayChangeState(v12, '@mod:x', 'm.room.name')).toBe(true);
    expect(mayChangeState(v12, '@nobody:x', 'm.room.topic')).toBe(false);
  });
  test('kick and ban need the level and a lower target', () => {
    expect(mayActOn(v12, '@owner:x', '@admin:x', 'ban')).toBe(true);
    expect(mayActOn(v12, '@mod:x', '@nobody:x', 'kick')).toBe(true);
    expect(mayActOn(v12, '@mod:x', '@admin:x', 'kick')).toBe(false);
    expect(mayActOn(v12, '@admin:x', '@owner:x', 'ban')).toBe(false);
    expect(mayActOn(v12, '@nobody:x', '@nobody2:x', 'kick')).toBe(false);
  });
  test('levels: not a creator’s, only below one’s own, one’s own always', () => {
    expect(mayChangeLevel(v12, '@owner:x', '@admin:x')).toBe(true);
    expect(mayChangeLevel(v12, '@owner:x', '@co:x')).toBe(false);
    expect(mayChangeLevel(v12, '@owner:x', '@owner:x')).toBe(false);
    expect(mayChangeLevel(v12, '@admin:x', '@admin:x')).toBe(true);
    expect(mayChangeLevel(v12, '@mod:x', '@admin:x')).toBe(false);
    expect(mayChangeLevel(v12, '@mod:x', '@nobody:x')).toBe(false);
  });
});
