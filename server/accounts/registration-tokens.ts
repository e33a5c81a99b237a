import { randomString } from '../core/clock.js';
import { errors } from '../core/errors.js';
import type { Ctx } from '../context.js';
import * as uiaStore from './uia-store.js';

/** Registration tokens (m.login.registration_token), managed through Synapse's admin API. */

export interface RegistrationToken {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

const TOKEN_RE = /^[A-Za-z0-9._~-]{1,64}$/;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-';

function isValid(ctx: Ctx, t: uiaStore.RegistrationTokenRow): boolean {
  return (
    (t.expiry_time === null || t.expiry_time > ctx.clock.now()) &&
    (t.uses_allowed === null || t.pending + t.completed < t.uses_allowed)
  );
}

export async function listRegistrationTokens(
  ctx: Ctx,
  valid?: boolean,
): Promise<RegistrationToken[]> {
  const rows = await uiaStore.listRegistrationTokens(ctx.db);
  return valid === undefined ? rows : rows.filter((t) => isValid(ctx, t) === valid);
}

export async function getRegistrationToken(ctx: Ctx, token: string): Promise<RegistrationToken> {
  const row = await uiaStore.getRegistrationToken(ctx.db, token);
  if (!row) throw errors.notFound('No such registration token');
  return row;
}

export async function createRegistrationToken(
  ctx: Ctx,
  args: {
    token?: string | undefined;
    length?: number | undefined;
    usesAllowed?: number | null | undefined;
    expiryTime?: number | null | undefined;
  },
): Promise<RegistrationToken> {
  if (args.token !== undefined && !TOKEN_RE.test(args.token)) {
    throw errors.invalidParam('token must be 1 to 64 characters of A-Z a-z 0-9 . _ ~ -');
  }
  if (args.expiryTime != null && args.expiryTime < ctx.clock.now()) {
    throw errors.invalidParam('expiry_time must not be in the past');
  }
  const token = args.token ?? randomString(ctx.random, args.length ?? 16, TOKEN_ALPHABET);
  const inserted = await ctx.writer.transaction('create_registration_token', (tx) =>
    uiaStore.insertRegistrationToken(tx, {
      token,
      usesAllowed: args.usesAllowed ?? null,
      expiryTime: args.expiryTime ?? null,
    }),
  );
  if (!inserted) throw errors.invalidParam(`Token already exists: ${token}`);
  return getRegistrationToken(ctx, token);
}

export async function updateRegistrationToken(
  ctx: Ctx,
  token: string,
  args: { usesAllowed?: number | null | undefined; expiryTime?: number | null | undefined },
): Promise<RegistrationToken> {
  const current = await getRegistrationToken(ctx, token);
  await ctx.writer.transaction('update_registration_token', (tx) =>
    uiaStore.updateRegistrationToken(tx, token, {
      usesAllowed: args.usesAllowed === undefined ? current.uses_allowed : args.usesAllowed,
      expiryTime: args.expiryTime === undefined ? current.expiry_time : args.expiryTime,
    }),
  );
  return getRegistrationToken(ctx, token);
}

export async function deleteRegistrationToken(ctx: Ctx, token: string): Promise<void> {
  const deleted = await ctx.writer.transaction('delete_registration_token', (tx) =>
    uiaStore.deleteRegistrationToken(tx, token),
  );
  if (!deleted) throw errors.notFound('No such registration token');
}
