import { describe, expect, it } from 'vitest';
import { checkPassword, hashPasswordWith } from '../../server/accounts/password.js';
import type { Ctx } from '../../server/context.js';

/**
 * Password hashes must be Synapse's: bcrypt over the NFKC-normalised password with the
 * pepper appended, any of the $2a$/$2b$/$2y$ prefixes accepted, so that a user table moved
 * over from Synapse keeps working.
 */

/** Only the config fields password hashing reads. */
const ctxWith = (pepper = '', rounds = 4) =>
  ({ config: { passwordPepper: pepper, bcryptRounds: rounds } }) as unknown as Ctx;

// Published bcrypt test vectors (OpenBSD / John the Ripper), cost 5.
const VECTORS: [string, string][] = [
  ['U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
  ['U*U*', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK'],
];

describe('checkPassword', () => {
  it.each(VECTORS)('verifies the published vector for %j under every prefix', async (pw, h) => {
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      expect(await checkPassword(ctxWith(), pw, h.replace('$2a$', prefix))).toBe(true);
    }
    expect(await checkPassword(ctxWith(), `${pw}x`, h)).toBe(false);
  });

  it('is false for a missing hash (deactivated or passwordless accounts) and junk hashes', async () => {
    expect(await checkPassword(ctxWith(), 'anything', null)).toBe(false);
    expect(await checkPassword(ctxWith(), 'anything', 'not a hash')).toBe(false);
  });

  it('normalises to NFKC before hashing, as Synapse does', async () => {
    // U+FB01 (the "fi" ligature) is "fi" under NFKC.
    const h = await hashPasswordWith('ﬁsh', { rounds: 4, pepper: '' });
    expect(await checkPassword(ctxWith(), 'fish', h)).toBe(true);
  });

  it('appends the pepper: a hash made with one pepper fails under another', async () => {
    const h = await hashPasswordWith('secret', { rounds: 4, pepper: 'pepper-1' });
    expect(h).toMatch(/^\$2b\$04\$/);
    expect(await checkPassword(ctxWith('pepper-1'), 'secret', h)).toBe(true);
    expect(await checkPassword(ctxWith('pepper-2'), 'secret', h)).toBe(false);
    expect(await checkPassword(ctxWith(''), 'secret', h)).toBe(false);
  });
});
