import type { Ctx } from '../context.js';
import { MatrixError } from '../core/errors.js';
import { hashPassword } from '../accounts/password.js';
import { sessionResponse, startSession } from '../accounts/sessions.js';
import { countServerAdmins, createUser } from '../accounts/users.js';
import {
  readConfigText,
  updatedConfigText,
  writeConfigText,
  type NetworkMode,
  type RegistrationMode,
} from './config-file.js';
import { removeSetupToken } from './token.js';
import {
  assertAdminPasswordUsable,
  assertAdminUsernameUsable,
  assertServerNameUsable,
} from './validate.js';

export interface ApplyArgs {
  serverName: string;
  admin: { username: string; password: string; displayname?: string | undefined };
  registration: RegistrationMode;
  network?: NetworkMode;
}

/**
 * One apply at a time in this process: two wizards (two tabs) must not both write the
 * config and both make an admin. A module-level chain because the context itself is
 * replaced by the apply it guards.
 */
let applying: Promise<unknown> = Promise.resolve();

/**
 * Finishes the first-run setup: checks everything first (nothing is written on bad input),
 * writes homeserver.yaml, has the runner rebuild the server on it (the new server name and
 * registration mode hold from the next request on, no restart), then creates the admin
 * account and its first session on the new context. Throws M_FORBIDDEN once an admin exists.
 */
export function applySetup(ctx: Ctx, args: ApplyArgs): Promise<Record<string, unknown>> {
  const run = applying.then(() => applyNow(ctx, args));
  applying = run.catch(() => {});
  return run;
}

async function applyNow(ctx: Ctx, args: ApplyArgs): Promise<Record<string, unknown>> {
  // Checked again inside the queue: an apply that waited may find the work done.
  if ((await countServerAdmins(ctx)) > 0) {
    throw new MatrixError('M_FORBIDDEN', 'This server is already set up.', 403);
  }
  const { serverName, admin, registration } = args;
  const network = args.network ?? 'manual';
  if (network === 'automatic' && /^(localhost|\[|\d+\.\d+\.\d+\.\d+)/.test(serverName)) {
    throw new MatrixError(
      'M_INVALID_PARAM',
      'Automatic network set-up needs a domain name: certificates are issued for names.',
      400,
    );
  }
  await assertServerNameUsable(ctx, serverName);
  const userId = await assertAdminUsernameUsable(ctx, serverName, admin.username);
  assertAdminPasswordUsable(ctx, admin.password, admin.username);
  const displayName = admin.displayname?.trim() || admin.username;
  if (displayName.length > 256) {
    throw new MatrixError('M_INVALID_PARAM', 'The display name is too long.', 400);
  }
  const reload = ctx.reloadConfig;
  if (!reload) {
    throw new MatrixError(
      'M_UNKNOWN',
      'This server cannot apply settings while running; edit homeserver.yaml and restart it.',
      500,
    );
  }
  const before = readConfigText(ctx.config);
  const after = updatedConfigText(ctx.config, before, { serverName, registration, network });
  const passwordHash = await hashPassword(ctx, admin.password);

  writeConfigText(ctx.config.configPath!, after);
  let next: Ctx;
  try {
    next = await reload();
  } catch (err) {
    // The server keeps running on the old settings: put their file back too.
    writeConfigText(ctx.config.configPath!, before);
    ctx.log.error({ err }, 'setup: the new settings could not be applied; kept the old ones');
    throw new MatrixError('M_UNKNOWN', 'The new settings could not be applied.', 500);
  }
  const session = await next.writer.transaction('setup_create_admin', async (tx) => {
    await createUser(next, tx, { userId, passwordHash, admin: true, displayName });
    return startSession(next, tx, {
      userId,
      displayName: 'Hearth setup',
      refreshable: false,
    });
  });
  removeSetupToken(next.config);
  next.log.info({ serverName, userId, registration }, 'setup finished: the admin account exists');
  return {
    ...sessionResponse(next, session),
    server_name: serverName,
    registration,
    network,
  };
}
