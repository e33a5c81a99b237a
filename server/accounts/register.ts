import { errors, MatrixError } from '../core/errors.js';
import { makeUserId } from '../core/ids.js';
import type { Ctx } from '../context.js';
import { assertUsernameAvailable } from './identifiers.js';
import { assertPasswordPolicy, hashPassword } from './password.js';
import { sessionResponse, startSession } from './sessions.js';
import * as store from './store.js';
import { finishUia, requireUia, STAGE } from './uia.js';
import { createUser } from './users.js';

export interface RegisterArgs {
  kind: 'user' | 'guest';
  body: {
    username?: string | undefined;
    password?: string | undefined;
    device_id?: string | undefined;
    initial_device_display_name?: string | undefined;
    inhibit_login?: boolean | undefined;
    refresh_token?: boolean | undefined;
    auth?: unknown;
  };
  clientIp: string;
}

/** The UIA flows /register offers, from the config (Synapse's order of stages). */
export function registrationFlows(ctx: Ctx): string[][] {
  return ctx.config.registrationRequiresToken
    ? [[STAGE.registrationToken, STAGE.dummy]]
    : [[STAGE.dummy]];
}

/** Throws when this server takes no registrations of that kind. */
export function assertRegistrationOpen(ctx: Ctx, kind: 'user' | 'guest'): void {
  if (kind === 'guest') {
    if (!ctx.config.allowGuestAccess) {
      throw new MatrixError('M_GUEST_ACCESS_FORBIDDEN', 'Guest access is disabled', 403);
    }
    return;
  }
  if (!ctx.config.enableRegistration) throw errors.forbidden('Registration has been disabled');
  if (!ctx.config.passwordEnabled)
    throw errors.forbidden('Password registration has been disabled');
}

/**
 * POST /register. Checks the name and password before UIA (so a client learns of a taken
 * name at once), runs UIA, then creates the account, its first device and tokens in one
 * transaction.
 */
export async function register(ctx: Ctx, args: RegisterArgs): Promise<Record<string, unknown>> {
  assertRegistrationOpen(ctx, args.kind);
  const retry = ctx.rateLimiter.take(
    `register:${args.clientIp}`,
    ctx.config.rateLimits.registration,
    {
      dryRun: true,
    },
  );
  if (retry) throw errors.limitExceeded(retry);
  if (args.kind === 'guest') return registerGuest(ctx, args);

  const { body } = args;
  if (body.username !== undefined) await assertUsernameAvailable(ctx, body.username);
  if (body.password !== undefined) assertPasswordPolicy(ctx, body.password);
  const uia = await requireUia(ctx, {
    auth: body.auth,
    uri: '/register',
    method: 'POST',
    flows: registrationFlows(ctx),
    userId: null,
    requestParams: { username: body.username, password: body.password },
  });
  // The client may send the name and password only with its first request of the session.
  const username = body.username ?? (uia.params.username as string | undefined);
  const password = body.password ?? (uia.params.password as string | undefined);
  if (password === undefined) throw errors.missingParam('Missing params: password');
  assertPasswordPolicy(ctx, password);
  const userId =
    username !== undefined
      ? await assertUsernameAvailable(ctx, username)
      : await generateUserId(ctx);
  const passwordHash = await hashPassword(ctx, password);
  ctx.rateLimiter.take(`register:${args.clientIp}`, ctx.config.rateLimits.registration);
  const session = await ctx.writer.transaction('register_user', async (tx) => {
    await createUser(ctx, tx, { userId, passwordHash, displayName: userId.slice(1).split(':')[0] });
    await finishUia(tx, uia);
    if (body.inhibit_login) return null;
    return startSession(ctx, tx, {
      userId,
      deviceId: body.device_id,
      displayName: body.initial_device_display_name,
      refreshable: body.refresh_token === true,
    });
  });
  ctx.log.info({ userId }, 'registered user');
  return session
    ? sessionResponse(ctx, session)
    : { user_id: userId, home_server: ctx.config.serverName };
}

async function registerGuest(ctx: Ctx, args: RegisterArgs): Promise<Record<string, unknown>> {
  const userId = await generateUserId(ctx);
  ctx.rateLimiter.take(`register:${args.clientIp}`, ctx.config.rateLimits.registration);
  const session = await ctx.writer.transaction('register_guest', async (tx) => {
    await createUser(ctx, tx, { userId, passwordHash: null, isGuest: true });
    return startSession(ctx, tx, {
      userId,
      displayName: args.body.initial_device_display_name,
      refreshable: args.body.refresh_token === true,
    });
  });
  return sessionResponse(ctx, session);
}

/** A free numeric localpart, as Synapse gives to guests and to registrations without a name. */
async function generateUserId(ctx: Ctx): Promise<string> {
  for (;;) {
    const n = ctx.random.bytes(6).readUIntBE(0, 6) % 2 ** 47;
    const userId = makeUserId(String(100_000 + n), ctx.config.serverName);
    if (!(await store.getUser(ctx.db, userId))) return userId;
  }
}
