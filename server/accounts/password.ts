import type * as Bcrypt from '@node-rs/bcrypt';
import { errors, MatrixError } from '../core/errors.js';
import type { Ctx } from '../context.js';

/**
 * Password hashing with bcrypt, compatible with Synapse: the password is NFKC-normalised and
 * the configured pepper appended before hashing, so hashes moved over from Synapse verify.
 * Hashing runs on libuv's thread pool and never blocks the event loop.
 */

// Loaded on first use: the native module and its threads cost memory that a server which
// has not seen a login yet does not need (idle memory is a target).
let bcrypt: Promise<typeof Bcrypt> | null = null;
const loadBcrypt = () => (bcrypt ??= import('@node-rs/bcrypt'));

function prepare(ctx: Ctx, password: string): string {
  return password.normalize('NFKC') + ctx.config.passwordPepper;
}

/** The hash Synapse would store for `password` (used by the CLI's hash-password too). */
export async function hashPasswordWith(
  password: string,
  opts: { rounds: number; pepper: string },
): Promise<string> {
  const { hash } = await loadBcrypt();
  return hash(password.normalize('NFKC') + opts.pepper, opts.rounds);
}

export function hashPassword(ctx: Ctx, password: string): Promise<string> {
  return hashPasswordWith(password, {
    rounds: ctx.config.bcryptRounds,
    pepper: ctx.config.passwordPepper,
  });
}

// A hash of a random password, compared against when the user does not exist, so that a
// failed login takes as long whether or not the account exists.
const DUMMY_HASH = '$2b$12$DG9d69Sw73ecdRxue3MREe7PZj49V2ql/TuxoDzQEqS8I9KcJP89y';

/** True when `password` matches `storedHash` ($2a$, $2b$ and $2y$ hashes all verify). */
export async function checkPassword(
  ctx: Ctx,
  password: string,
  storedHash: string | null,
): Promise<boolean> {
  const target = storedHash ?? DUMMY_HASH;
  const { compare } = await loadBcrypt();
  try {
    const ok = await compare(prepare(ctx, password), target.replace(/^\$2y\$/, '$2b$'));
    return ok && storedHash !== null;
  } catch {
    return false;
  }
}

/** Throws M_WEAK_PASSWORD when `password` breaks the configured policy (password_config.policy). */
export function assertPasswordPolicy(ctx: Ctx, password: string): void {
  if (Buffer.byteLength(password) > 512)
    throw errors.badJson('Password is too long (512 bytes at most)');
  const p = ctx.config.passwordPolicy;
  if (!p.enabled) return;
  const weak = (why: string) => new MatrixError('M_WEAK_PASSWORD', why, 400);
  if (password.length < p.minimumLength)
    throw weak(`Password must be at least ${p.minimumLength} characters`);
  if (p.requireDigit && !/\d/.test(password)) throw weak('Password must contain a digit');
  if (p.requireSymbol && !/[^\p{L}\p{N}]/u.test(password))
    throw weak('Password must contain a symbol');
  if (p.requireLowercase && !/\p{Ll}/u.test(password))
    throw weak('Password must contain a lowercase letter');
  if (p.requireUppercase && !/\p{Lu}/u.test(password))
    throw weak('Password must contain an uppercase letter');
}
