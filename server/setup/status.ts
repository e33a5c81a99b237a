import type { Ctx } from '../context.js';
import { countServerAdmins } from '../accounts/users.js';
import { registrationModeOf, type RegistrationMode } from './config-file.js';
import { setupAccess, type SetupRequest } from './access.js';
import { hasAnyLocalUser, hasAnyRoom } from './store.js';

/** The first-run wizard runs while the server has no admin account. */
export async function needsSetup(ctx: Ctx): Promise<boolean> {
  return (await countServerAdmins(ctx)) === 0;
}

export interface SetupStatus {
  needs_setup: boolean;
  server_name: string;
  /** Whether this request may run setup (from this machine, or with the setup token). */
  may_setup: boolean;
  /** Why not, in words for a person; absent when it may. */
  reason?: string;
  /** True when a setup token is what would let this request in. */
  token_required: boolean;
  /** 'desktop': the Electron app runs this server; 'headless': a server run by hand. */
  mode: 'headless' | 'desktop';
  /** Whether the server name may still change (no accounts and no rooms yet). */
  server_name_changeable: boolean;
  registration: RegistrationMode;
  /** The port of the listener serving clients, for reverse-proxy snippets (null: chosen at start). */
  client_port: number | null;
  public_baseurl: string;
}

/** The desktop app starts the server as an Electron utility process, which has a parentPort. */
function runMode(): 'headless' | 'desktop' {
  return (process as { parentPort?: unknown }).parentPort ? 'desktop' : 'headless';
}

/** What the wizard needs to know before its first step. */
export async function setupStatus(ctx: Ctx, req: SetupRequest): Promise<SetupStatus> {
  const needs = await needsSetup(ctx);
  const access = await setupAccess(ctx, req);
  const changeable = !(await hasAnyLocalUser(ctx.db)) && !(await hasAnyRoom(ctx.db));
  const port = ctx.config.listeners.find((l) => l.resources.has('client'))?.port ?? 0;
  return {
    needs_setup: needs,
    server_name: ctx.config.serverName,
    may_setup: access.allowed,
    ...(access.allowed ? {} : { reason: access.reason }),
    token_required: needs && !access.allowed,
    mode: runMode(),
    server_name_changeable: needs && changeable,
    registration: registrationModeOf(ctx.config),
    client_port: port || null,
    public_baseurl: ctx.config.publicBaseUrl,
  };
}
