import { describe, expect, test } from 'vitest';
import {
  checkDays,
  checkExpiry,
  checkNewPassword,
  checkTokenText,
  checkUses,
  checkUsername,
  dateInputValue,
  expiryFromDate,
  tokenRequest,
  tokenStatus,
  userIdFor,
} from '../../../renderer/src/admin/validate.js';

// The admin forms' checks: what is refused before a request is sent, and why.

describe('user names', () => {
  test.each(['alice', 'bob.smith', 'x_1', 'a=b', 'team/ops', 'a+b', 'a-b'])('%s is fine', (n) =>
    expect(checkUsername(n)).toBeNull(),
  );
  test.each([
    ['', 'Enter a user name.'],
    ['   ', 'Enter a user name.'],
    ['@alice:example.org', 'Enter the name without the leading @ and without the server.'],
    ['Alice', 'User names are lower case.'],
    ['al ice', 'Use only letters a–z, digits and . _ = - / +'],
    ['alice:x', 'Use only letters a–z, digits and . _ = - / +'],
    ['jöl', 'Use only letters a–z, digits and . _ = - / +'],
    ['a'.repeat(201), 'That user name is too long.'],
  ])('%s -> %s', (n, err) => expect(checkUsername(n)).toBe(err));

  test('user IDs on this server', () => {
    expect(userIdFor(' alice ', 'example.org')).toBe('@alice:example.org');
  });
});

test.each([
  ['', '', 'Enter a password.'],
  ['short', 'short', 'Use at least 8 characters.'],
  ['long enough', 'long enougH', 'The two passwords do not match.'],
  ['long enough', 'long enough', null],
])('password %s / %s -> %s', (p, c, err) => expect(checkNewPassword(p, c)).toBe(err));

describe('registration token form', () => {
  const now = new Date(2026, 10, 27, 12, 0).getTime();

  test.each([
    ['', null],
    ['abc-DEF_1.2~', null],
    ['has space', 'Use only letters, digits and . _ ~ -'],
    ['x'.repeat(65), 'A token is at most 64 characters.'],
  ])('token text %s -> %s', (t, err) => expect(checkTokenText(t)).toBe(err));

  test.each([
    ['', null],
    ['1', null],
    ['250', null],
    ['0', 'Allow at least one use, or leave empty for unlimited.'],
    ['-2', 'Enter a whole number, or leave empty for unlimited.'],
    ['1.5', 'Enter a whole number, or leave empty for unlimited.'],
    ['ten', 'Enter a whole number, or leave empty for unlimited.'],
    ['2000000', 'That is more uses than makes sense; leave empty for unlimited.'],
  ])('uses %s -> %s', (u, err) => expect(checkUses(u)).toBe(err));

  test('an expiry date means the end of that day, local time', () => {
    expect(expiryFromDate('2026-12-01')).toBe(new Date(2026, 11, 1, 23, 59, 59, 999).getTime());
    expect(expiryFromDate('2026-02-30')).toBeNull();
    expect(expiryFromDate('tomorrow')).toBeNull();
    expect(dateInputValue(now)).toBe('2026-11-27');
  });

  test.each([
    ['', null],
    ['2026-11-27', null], // today still works until midnight
    ['2026-11-26', 'Pick a date in the future.'],
    ['2026-13-01', 'Pick a date.'],
  ])('expiry %s -> %s', (d, err) => expect(checkExpiry(d, now)).toBe(err));

  test('the request body: nulls for unlimited and never; token only when given', () => {
    expect(tokenRequest({ token: '', uses: '', expiry: '' }, now)).toEqual({
      ok: true,
      body: { uses_allowed: null, expiry_time: null },
    });
    expect(tokenRequest({ token: ' invite-1 ', uses: '3', expiry: '2026-12-01' }, now)).toEqual({
      ok: true,
      body: {
        token: 'invite-1',
        uses_allowed: 3,
        expiry_time: new Date(2026, 11, 1, 23, 59, 59, 999).getTime(),
      },
    });
  });

  test('the first bad field is named', () => {
    expect(tokenRequest({ token: 'a b', uses: '0', expiry: '' }, now)).toMatchObject({
      ok: false,
      field: 'token',
    });
    expect(tokenRequest({ token: '', uses: '0', expiry: '2020-01-01' }, now)).toMatchObject({
      ok: false,
      field: 'uses',
    });
    expect(tokenRequest({ token: '', uses: '', expiry: '2020-01-01' }, now)).toMatchObject({
      ok: false,
      field: 'expiry',
      error: 'Pick a date in the future.',
    });
  });

  test.each([
    [{ uses_allowed: null, pending: 0, completed: 9, expiry_time: null }, 'valid'],
    [{ uses_allowed: 2, pending: 1, completed: 0, expiry_time: null }, 'valid'],
    [{ uses_allowed: 2, pending: 1, completed: 1, expiry_time: null }, 'used up'],
    [{ uses_allowed: 2, pending: 0, completed: 0, expiry_time: now - 1 }, 'expired'],
    [{ uses_allowed: null, pending: 0, completed: 0, expiry_time: now + 1 }, 'valid'],
  ])('status of %o is %s', (t, s) => expect(tokenStatus(t, now)).toBe(s));
});

test.each([
  ['30', null],
  ['0', null],
  ['', 'Enter a whole number of days.'],
  ['-1', 'Enter a whole number of days.'],
  ['99999', 'That is too many days.'],
])('days %s -> %s', (d, err) => expect(checkDays(d)).toBe(err));
