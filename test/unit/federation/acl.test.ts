import { describe, expect, test } from 'vitest';
import {
  parseServerAcl,
  serverAllowedByAcl,
  type ServerAcl,
} from '../../../server/federation/acl.js';

/**
 * Server ACLs (server/federation/acl.ts) against every rule of m.room.server_acl (spec
 * client-server "Server Access Control Lists (ACLs) for rooms", event schema
 * m.room.server_acl; appendices "Glob-style matching"): no ACL allows; IP literals denied
 * when allow_ip_literals is false; deny before allow; otherwise deny. Globs are
 * case-insensitive, `*` is any run of characters and `?` exactly one, and the server's
 * port is never considered.
 */

const acl = (content: Record<string, unknown>): ServerAcl => parseServerAcl(content);

describe('the order of the rules', () => {
  test.each([
    // [what, content, server, allowed]
    ['no ACL event: allow', null, 'anything.example', true],
    ['matches allow', { allow: ['good.example'] }, 'good.example', true],
    ['matches nothing: deny', { allow: ['good.example'] }, 'other.example', false],
    ['no allow list at all denies everyone', { deny: [] }, 'good.example', false],
    ['an empty allow list denies everyone', { allow: [] }, 'good.example', false],
    ['deny wins over allow', { allow: ['*'], deny: ['evil.example'] }, 'evil.example', false],
    [
      'deny wins over an exact allow',
      { allow: ['evil.example'], deny: ['evil.*'] },
      'evil.example',
      false,
    ],
    [
      'allow * with a deny list lets the rest in',
      { allow: ['*'], deny: ['evil.example'] },
      'good.example',
      true,
    ],
  ] as const)('%s', (_what, content, server, allowed) => {
    expect(serverAllowedByAcl(content === null ? null : acl(content), server)).toBe(allowed);
  });
});

describe('IP literals', () => {
  const base = { allow: ['*'] };
  test.each([
    ['IPv4, allow_ip_literals false', { ...base, allow_ip_literals: false }, '203.0.113.5', false],
    ['IPv4 with a port', { ...base, allow_ip_literals: false }, '203.0.113.5:8448', false],
    ['IPv6', { ...base, allow_ip_literals: false }, '[2001:db8::1]', false],
    ['IPv6 with a port', { ...base, allow_ip_literals: false }, '[2001:db8::1]:8448', false],
    ['a name is not a literal', { ...base, allow_ip_literals: false }, 'example.org', true],
    [
      'a name made of digits and dots but not four parts',
      { ...base, allow_ip_literals: false },
      '1.2.3',
      true,
    ],
    ['allow_ip_literals true', { ...base, allow_ip_literals: true }, '203.0.113.5', true],
    ['allow_ip_literals absent defaults to true', base, '203.0.113.5', true],
    [
      'allow_ip_literals not a boolean defaults to true',
      { ...base, allow_ip_literals: 'false' },
      '203.0.113.5',
      true,
    ],
    [
      'literals allowed still meet the deny list',
      { ...base, deny: ['203.0.113.*'] },
      '203.0.113.5',
      false,
    ],
    [
      'literals allowed still need an allow entry',
      { allow: ['example.org'] },
      '203.0.113.5',
      false,
    ],
  ] as const)('%s', (_what, content, server, allowed) => {
    expect(serverAllowedByAcl(acl(content), server)).toBe(allowed);
  });
});

describe('globs', () => {
  test.each([
    ['* matches any run', '*.example.org', 'matrix.example.org', true],
    ['* matches several labels', '*.example.org', 'a.b.example.org', true],
    ['* matches the empty run', 'example*', 'example', true],
    ['*.example.org does not match the bare domain', '*.example.org', 'example.org', false],
    ['? matches exactly one character', 'hs?.example.org', 'hs1.example.org', true],
    ['? does not match none', 'hs?.example.org', 'hs.example.org', false],
    ['? does not match two', 'hs?.example.org', 'hs12.example.org', false],
    ['. is a literal dot', 'evil.example', 'evilxexample', false],
    ['other regex characters are literal', 'a+b.example', 'a+b.example', true],
    ['+ is not a repetition', 'a+b.example', 'aab.example', false],
    ['brackets are literal', '[x].example', 'x.example', false],
    ['the whole name must match, not a part', 'example.org', 'notexample.org', false],
    ['nor a prefix', 'example.org', 'example.org.evil', false],
    ['case-insensitive (glob upper)', 'EVIL.Example', 'evil.example', true],
    ['case-insensitive (name upper)', 'evil.example', 'EVIL.EXAMPLE', true],
  ] as const)('%s', (_what, glob, server, matches) => {
    expect(serverAllowedByAcl(acl({ allow: [glob] }), server)).toBe(matches);
    expect(serverAllowedByAcl(acl({ allow: ['*'], deny: [glob] }), server)).toBe(!matches);
  });
});

describe('ports are not considered', () => {
  test.each(['evil.example', 'evil.example:8448', 'evil.example:1234'])('%s', (server) => {
    expect(serverAllowedByAcl(acl({ allow: ['*'], deny: ['evil.example'] }), server)).toBe(false);
    expect(serverAllowedByAcl(acl({ allow: ['evil.example'] }), server)).toBe(true);
  });
  test('a glob with a port never matches (ports are not supported)', () => {
    expect(
      serverAllowedByAcl(acl({ allow: ['*'], deny: ['evil.example:8448'] }), 'evil.example:8448'),
    ).toBe(true);
  });
});

describe('malformed content', () => {
  test('non-string entries are ignored, the rest apply', () => {
    const parsed = acl({ allow: [1, null, 'good.example', { x: 1 }], deny: ['bad.example', 7] });
    expect(parsed).toEqual({
      allow: ['good.example'],
      deny: ['bad.example'],
      allowIpLiterals: true,
    });
    expect(serverAllowedByAcl(parsed, 'good.example')).toBe(true);
  });
  test('allow that is not a list is an empty list: everyone is denied', () => {
    expect(serverAllowedByAcl(acl({ allow: '*' }), 'good.example')).toBe(false);
  });
  test('deny that is not a list is an empty list', () => {
    expect(serverAllowedByAcl(acl({ allow: ['*'], deny: 'good.example' }), 'good.example')).toBe(
      true,
    );
  });
});
