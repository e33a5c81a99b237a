import { describe, expect, it } from 'vitest';
import {
  MAX_USER_ID_LENGTH,
  isValidLocalpart,
  isValidServerName,
  makeUserId,
  parseUserId,
} from '../../server/core/ids.js';

/** Identifier grammar (spec appendices, "Server Name" and "User Identifiers"). */

describe('isValidServerName', () => {
  it.each([
    'example.com',
    'example.com:8448',
    'matrix.org',
    'localhost',
    'localhost:8008',
    'a',
    'my-server.example',
    '1.2.3.4',
    '1.2.3.4:1234',
    '[::1]',
    '[::1]:8448',
    '[1234:5678::abcd]',
    '[1234:5678::abcd]:5678',
    'example.com:1',
    'example.com:65535',
  ])('accepts %s', (name) => {
    expect(isValidServerName(name)).toBe(true);
  });

  it.each([
    '',
    ':8448',
    'example.com:',
    'example.com:0',
    'example.com:65536',
    'example.com:123456',
    'example.com:-1',
    'example.com:port',
    'exa mple.com',
    'exam_ple.com',
    '-example.com',
    'example.com/path',
    '@user:example.com',
    '::1',
    '[::1',
    '[::1]:0',
    '[not-hex]',
    `${'a'.repeat(256)}.com`,
  ])('refuses %j', (name) => {
    expect(isValidServerName(name)).toBe(false);
  });
});

describe('isValidLocalpart', () => {
  it.each(['alice', 'a', 'bob.smith', 'a_b', 'a=b', 'a-b', 'a/b', 'a+b', '123'])(
    'accepts %s',
    (lp) => {
      expect(isValidLocalpart(lp)).toBe(true);
    },
  );

  it.each(['', 'Alice', 'a b', 'a:b', 'a@b', 'é', 'a#b', 'a!b', '\u0000'])('refuses %j', (lp) => {
    expect(isValidLocalpart(lp)).toBe(false);
  });
});

describe('parseUserId', () => {
  it.each([
    ['@alice:example.com', 'alice', 'example.com'],
    ['@alice:example.com:8448', 'alice', 'example.com:8448'],
    ['@alice:[::1]:8448', 'alice', '[::1]:8448'],
    ['@alice:1.2.3.4', 'alice', '1.2.3.4'],
    // historical localparts from other servers: printable ASCII but ':'
    ['@Alice!#$:example.com', 'Alice!#$', 'example.com'],
    ['@a:b', 'a', 'b'],
  ])('parses %s', (id, localpart, serverName) => {
    expect(parseUserId(id)).toEqual({ localpart, serverName });
    expect(makeUserId(localpart, serverName)).toBe(id);
  });

  it.each([
    ['an empty string', ''],
    ['no sigil', 'alice:example.com'],
    ['the room sigil', '!alice:example.com'],
    ['no server', '@alice'],
    ['an empty localpart', '@:example.com'],
    ['an empty server', '@alice:'],
    ['a bad port', '@alice:example.com:0'],
    ['a port too large', '@alice:example.com:70000'],
    ['a space in the localpart', '@al ice:example.com'],
    ['non-ASCII in the localpart', '@alicé:example.com'],
    ['a bad server', '@alice:exa mple.com'],
    ['an IPv6 literal without brackets', '@alice:::1'],
  ])('refuses %s', (_name, id) => {
    expect(parseUserId(id)).toBeNull();
  });

  it.each([
    ['exactly 255 bytes', MAX_USER_ID_LENGTH, true],
    ['256 bytes', MAX_USER_ID_LENGTH + 1, false],
  ])('length: %s', (_name, total, ok) => {
    const suffix = ':example.com';
    const id = `@${'a'.repeat(total - 1 - suffix.length)}${suffix}`;
    expect(Buffer.byteLength(id)).toBe(total);
    expect(parseUserId(id) !== null).toBe(ok);
  });
});
