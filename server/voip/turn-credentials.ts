import { createHmac } from 'node:crypto';
import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';

/** The answer of GET /voip/turnServer; `{}` when this server offers no TURN. */
export type TurnCredentials =
  { username: string; password: string; uris: string[]; ttl: number } | Record<string, never>;

/**
 * TURN credentials for a user, as Synapse gives them:
 * - with turn_shared_secret, coturn's REST API scheme: username `<expiry>:<user id>` (expiry
 *   in seconds since the epoch), password base64(HMAC-SHA1(secret, username)), so the TURN
 *   server checks them without asking this one;
 * - else the fixed turn_username/turn_password;
 * - `{}` without turn_uris or credentials, and for guests when turn_allow_guests is false.
 */
export function turnCredentials(ctx: Ctx, requester: Requester): TurnCredentials {
  const t = ctx.config.turn;
  if (!t.uris.length) return {};
  if (requester.isGuest && !t.allowGuests) return {};
  const ttl = Math.floor(t.userLifetimeMs / 1000);
  if (t.sharedSecret) {
    const expiry = Math.floor((ctx.clock.now() + t.userLifetimeMs) / 1000);
    const username = `${expiry}:${requester.userId}`;
    const password = createHmac('sha1', t.sharedSecret).update(username).digest('base64');
    return { username, password, uris: t.uris, ttl };
  }
  if (t.username !== null && t.password !== null) {
    return { username: t.username, password: t.password, uris: t.uris, ttl };
  }
  return {};
}
