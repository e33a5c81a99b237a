import type { Ctx } from '../context.js';
import { MatrixError } from '../core/errors.js';
import { isValidServerName } from '../core/ids.js';
import { assertUsernameAvailable } from '../accounts/identifiers.js';
import { assertPasswordPolicy } from '../accounts/password.js';
import { hasAnyLocalUser, hasAnyRoom } from './store.js';

/** The shortest admin password the wizard accepts, whatever password_config says. */
export const MIN_ADMIN_PASSWORD_LENGTH = 8;

/** One field's verdict, as the wizard shows it under the field. */
export interface FieldCheck {
  valid: boolean;
  errcode?: string;
  error?: string;
}

function verdict(err: unknown): FieldCheck {
  if (err instanceof MatrixError) return { valid: false, errcode: err.errcode, error: err.message };
  throw err;
}

async function check(fn: () => Promise<unknown> | unknown): Promise<FieldCheck> {
  try {
    await fn();
    return { valid: true };
  } catch (err) {
    return verdict(err);
  }
}

/**
 * Throws M_INVALID_PARAM when `name` is not a server name (a host name or IP address, with
 * an optional port), or when it differs from the current one while the server already has
 * users or rooms: their ids carry the old name for ever.
 */
export async function assertServerNameUsable(ctx: Ctx, name: string): Promise<void> {
  if (!name) throw new MatrixError('M_INVALID_PARAM', 'Enter a server name.', 400);
  if (name !== name.toLowerCase() || !isValidServerName(name)) {
    throw new MatrixError(
      'M_INVALID_PARAM',
      'A server name is a lower-case domain name such as example.org (or localhost), ' +
        'optionally with a port such as example.org:8448.',
      400,
    );
  }
  if (name === ctx.config.serverName) return;
  if ((await hasAnyLocalUser(ctx.db)) || (await hasAnyRoom(ctx.db))) {
    throw new MatrixError(
      'M_INVALID_PARAM',
      `This server already has accounts or rooms under the name ${ctx.config.serverName}, ` +
        'so its name can no longer change.',
      400,
    );
  }
}

/**
 * Throws M_INVALID_USERNAME or M_USER_IN_USE when `username` cannot be the admin's name on
 * a server called `serverName` (the rules of /register).
 */
export async function assertAdminUsernameUsable(
  ctx: Ctx,
  serverName: string,
  username: string,
): Promise<string> {
  // The account is made under the new name: check it as if the server already had it.
  const asNamed: Ctx = { ...ctx, config: { ...ctx.config, serverName } };
  return assertUsernameAvailable(asNamed, username);
}

/** Throws M_WEAK_PASSWORD (or M_BAD_JSON for over-long ones) for a password not good enough. */
export function assertAdminPasswordUsable(ctx: Ctx, password: string, username?: string): void {
  if ([...password].length < MIN_ADMIN_PASSWORD_LENGTH) {
    throw new MatrixError(
      'M_WEAK_PASSWORD',
      `The password must be at least ${MIN_ADMIN_PASSWORD_LENGTH} characters long.`,
      400,
    );
  }
  if (username && password.toLowerCase() === username.toLowerCase()) {
    throw new MatrixError('M_WEAK_PASSWORD', 'The password must not be the user name.', 400);
  }
  assertPasswordPolicy(ctx, password);
}

export interface ValidateArgs {
  server_name?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

/**
 * Checks whichever fields are given, each on its own, for the wizard's as-you-type hints.
 * The user name is checked under `server_name` when that is given and valid.
 */
export async function validateSetupFields(
  ctx: Ctx,
  args: ValidateArgs,
): Promise<Record<string, FieldCheck>> {
  const out: Record<string, FieldCheck> = {};
  let serverName = ctx.config.serverName;
  if (args.server_name !== undefined) {
    const name = args.server_name;
    out.server_name = await check(() => assertServerNameUsable(ctx, name));
    if (out.server_name.valid) serverName = name;
  }
  if (args.username !== undefined) {
    const username = args.username;
    out.username = await check(() => assertAdminUsernameUsable(ctx, serverName, username));
  }
  if (args.password !== undefined) {
    const password = args.password;
    out.password = await check(() => assertAdminPasswordUsable(ctx, password, args.username));
  }
  return out;
}
