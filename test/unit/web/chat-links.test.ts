import { describe, expect, test } from 'vitest';
import { isUserId, parseJoinTarget } from '../../../renderer/src/chat/links.js';

// What a person can paste into "Join a room", and what the app joins.

describe('parseJoinTarget', () => {
  test.each([
    ['#lounge:example.org', { target: '#lounge:example.org', via: [] }],
    ['  #lounge:example.org  ', { target: '#lounge:example.org', via: [] }],
    ['!abc123:example.org', { target: '!abc123:example.org', via: [] }],
    ['#room:localhost:8448', { target: '#room:localhost:8448', via: [] }],
    ['https://matrix.to/#/#lounge:example.org', { target: '#lounge:example.org', via: [] }],
    ['matrix.to/#/#lounge:example.org', { target: '#lounge:example.org', via: [] }],
    ['https://matrix.to/#/%23lounge%3Aexample.org', { target: '#lounge:example.org', via: [] }],
    [
      'https://matrix.to/#/!abc:example.org?via=example.org&via=other.net',
      { target: '!abc:example.org', via: ['example.org', 'other.net'] },
    ],
    [
      'https://matrix.to/#/!abc:example.org/$event:example.org?via=b.org',
      { target: '!abc:example.org', via: ['b.org'] },
    ],
    ['matrix:r/lounge:example.org', { target: '#lounge:example.org', via: [] }],
    ['matrix:roomid/abc:example.org?via=x.org', { target: '!abc:example.org', via: ['x.org'] }],
    [
      'matrix:roomid/abc:example.org/e/ev:example.org?via=x.org',
      { target: '!abc:example.org', via: ['x.org'] },
    ],
  ])('%s', (input, want) => {
    expect(parseJoinTarget(input)).toEqual(want);
  });

  test.each([
    '',
    'lounge',
    '#lounge',
    '#lounge without server:x',
    '@bob:example.org',
    'https://matrix.to/#/@bob:example.org',
    'https://example.org/#/#lounge:example.org',
    'matrix:u/bob:example.org',
  ])('refuses %j', (input) => {
    expect(parseJoinTarget(input)).toBeNull();
  });
});

describe('isUserId', () => {
  test.each([
    ['@bob:example.org', true],
    [' @bob:localhost:8008 ', true],
    ['bob', false],
    ['@bob', false],
    ['#bob:example.org', false],
  ])('%j -> %s', (s, want) => {
    expect(isUserId(s)).toBe(want);
  });
});
