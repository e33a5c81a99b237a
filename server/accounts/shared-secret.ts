import { createHmac, timingSafeEqual } from 'node:crypto';
import { errors, MatrixError } from '../core/errors.js';
import type { Ctx } from '../context.js';
import { assertUsernameAvailable } from './identifiers.js';
import { hashPassword } from './password.js';
import { sessionResponse, startSession } from './sessions.js';
import { createUser } from './users.js';

/**
 * Shared-secret registration, compatible with Synapse's /_synapse/admin/v1/register and
 * its register_new_matrix_user tool: GET a one-time nonce, then POST the user with
 * mac = HMAC-SHA1(registration_shared_secret, nonce NUL username NUL password NUL
 * "admin"|"notadmin" [NUL user_type]) in hex.
 */

/** Nonces live for a minute, as in Synapse. */
const NONCE_TTL_MS = 60_000;

function secret(ctx: Ctx): string {
  const s = ctx.config.registrationSharedSecret;
  if (!s) throw errors.unknown('Shared secret registration is not enabled');
  return s;
}

export function createRegistrationNonce(ctx: Ctx): string {
  secret(ctx);
  const nonce = ctx.random.bytes(32).toString('hex');
  ctx.caches.registrationNonces.set(nonce, ctx.clock.now() + NONCE_TTL_MS);
  return nonce;
}

export interface SharedSecretBody {
  nonce: string;
  username: string;
  password: string;
  admin?: boolean | undefined;
  user_type?: string | null | undefined;
  displayname?: string | undefined;
  mac: string;
}

export function computeRegistrationMac(
  sharedSecret: string,
  b: Omit<SharedSecretBody, 'mac'>,
): string {
  const parts = [b.nonce, b.username, b.password, b.admin ? 'admin' : 'notadmin'];
  if (b.user_type) parts.push(b.user_type);
  return createHmac('sha1', sharedSecret).update(parts.join('\x00')).digest('hex');
}

export async function registerWithSharedSecret(
  ctx: Ctx,
  body: SharedSecretBody,
): Promise<Record<string, unknown>> {
  const key = secret(ctx);
  const expires = ctx.caches.registrationNonces.get(body.nonce);
  ctx.caches.registrationNonces.delete(body.nonce);
  if (expires === undefined || expires < ctx.clock.now())
    throw errors.unknown('unrecognised nonce');
  for (const [name, v] of [
    ['username', body.username],
    ['password', body.password],
  ] as const) {
    if (v.includes('\x00')) throw errors.badJson(`Invalid ${name}`);
  }
  if (Buffer.byteLength(body.password) > 512) throw errors.badJson('Invalid password');
  if (body.user_type && !['bot', 'support'].includes(body.user_type))
    throw errors.badJson('Invalid user type');
  const want = Buffer.from(computeRegistrationMac(key, body), 'utf8');
  const got = Buffer.from(body.mac, 'utf8');
  if (want.length !== got.length || !timingSafeEqual(want, got)) {
    throw new MatrixError('M_FORBIDDEN', 'HMAC incorrect', 403);
  }
  const localpart = body.username.toLowerCase();
  const userId = await assertUsernameAvailable(ctx, localpart);
  const passwordHash = await hashPassword(ctx, body.password);
  const session = await ctx.writer.transaction('register_user_shared_secret', async (tx) => {
    await createUser(ctx, tx, {
      userId,
      passwordHash,
      admin: body.admin === true,
      userType: body.user_type ?? null,
      displayName: body.displayname ?? localpart,
    });
    return startSession(ctx, tx, { userId, refreshable: false });
  });
  ctx.log.info({ userId, admin: body.admin === true }, 'registered user with the shared secret');
  return sessionResponse(ctx, session);
}
