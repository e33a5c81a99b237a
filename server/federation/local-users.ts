import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { parseUserId } from '../core/ids.js';

/**
 * 400 M_INVALID_PARAM for a malformed user id or one of another server: what other servers
 * ask of users (profiles, devices, keys) must name this server's users (the spec asks for
 * local users only; Synapse answers 400 too).
 */
export function assertLocalUserId(ctx: Ctx, userId: string): void {
  const parsed = parseUserId(userId);
  if (!parsed) throw errors.invalidParam(`Invalid user id: ${userId}`);
  if (parsed.serverName !== ctx.config.serverName) {
    throw errors.invalidParam(`User ${userId} is not hosted on this server`);
  }
}
