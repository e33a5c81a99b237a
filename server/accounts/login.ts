import { clientBaseUrl } from '../core/config/types.js';
import { errors, MatrixError } from '../core/errors.js';
import type { Ctx } from '../context.js';
import { resolveLoginUser } from './identifiers.js';
import { checkPassword } from './password.js';
import { sessionResponse, startSession } from './sessions.js';
import * as store from './store.js';

export interface LoginArgs {
  body: Record<string, unknown> & {
    type: string;
    password?: string | undefined;
    device_id?: string | undefined;
    initial_device_display_name?: string | undefined;
    refresh_token?: boolean | undefined;
  };
  clientIp: string;
}

/** GET /login: the login types this server accepts. */
export function loginFlows(ctx: Ctx): { type: string }[] {
  return ctx.config.passwordEnabled ? [{ type: 'm.login.password' }] : [];
}

const INVALID = 'Invalid username or password';

/**
 * POST /login with m.login.password. Rate limits: rc_login.address per client IP,
 * rc_login.account per account, rc_login.failed_attempts per account on wrong passwords.
 * A wrong user and a wrong password give the same answer, after the same bcrypt work.
 */
export async function login(ctx: Ctx, args: LoginArgs): Promise<Record<string, unknown>> {
  const { body } = args;
  const limits = ctx.config.rateLimits;
  const byIp = ctx.rateLimiter.take(`login-ip:${args.clientIp}`, limits.loginAddress);
  if (byIp) throw errors.limitExceeded(byIp);
  if (body.type !== 'm.login.password' || !ctx.config.passwordEnabled) {
    throw new MatrixError('M_UNKNOWN', `Unknown login type ${body.type}`, 400);
  }
  const ident = body.identifier as Record<string, unknown> | undefined;
  if (ident && ident.type !== 'm.id.user') {
    throw errors.forbidden(
      'Only m.id.user identifiers are supported: this server has no third-party ids',
    );
  }
  if (typeof body.password !== 'string') throw errors.missingParam('Missing param: password');
  const userId = await resolveLoginUser(ctx, body);
  const accountKey = userId ?? `unknown:${JSON.stringify(ident?.user ?? body.user)}`;
  const failed = ctx.rateLimiter.take(`login-failed:${accountKey}`, limits.loginFailedAttempts, {
    dryRun: true,
  });
  if (failed) throw errors.limitExceeded(failed);
  const byAccount = ctx.rateLimiter.take(`login-account:${accountKey}`, limits.loginAccount);
  if (byAccount) throw errors.limitExceeded(byAccount);

  const user = userId ? await store.getUser(ctx.db, userId) : undefined;
  if (user?.deactivated)
    throw new MatrixError('M_USER_DEACTIVATED', 'This account has been deactivated', 403);
  if (!user || !(await checkPassword(ctx, body.password, user.password_hash))) {
    ctx.rateLimiter.take(`login-failed:${accountKey}`, limits.loginFailedAttempts);
    throw errors.forbidden(INVALID);
  }
  ctx.rateLimiter.reset(`login-failed:${accountKey}`);
  const session = await ctx.writer.transaction('login', (tx) =>
    startSession(ctx, tx, {
      userId: user.user_id,
      deviceId: body.device_id,
      displayName: body.initial_device_display_name,
      refreshable: body.refresh_token === true,
    }),
  );
  return {
    ...sessionResponse(ctx, session),
    well_known: { 'm.homeserver': { base_url: clientBaseUrl(ctx.config) } },
  };
}
