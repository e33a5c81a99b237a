import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { parseDuration } from './units.js';

/**
 * TURN for VoIP calls, in Synapse's keys (its "TURN" section): clients get credentials for
 * the TURN servers from GET /_matrix/client/v3/voip/turnServer (server/voip/).
 */
export const VOIP_KEYS = {
  turn_uris: Type.Optional(Type.Array(Type.String({ pattern: '^turns?:' }))),
  turn_shared_secret: Type.Optional(Type.String({ minLength: 1 })),
  turn_shared_secret_path: Type.Optional(Type.String({ minLength: 1 })),
  turn_username: Type.Optional(Type.String()),
  turn_password: Type.Optional(Type.String()),
  turn_user_lifetime: Type.Optional(Type.Union([Type.Number({ minimum: 0 }), Type.String()])),
  turn_allow_guests: Type.Optional(Type.Boolean()),
};

export interface VoipConfig {
  turn: {
    uris: string[];
    /** coturn's `static-auth-secret` (its REST API): per-user credentials with an expiry. */
    sharedSecret: string | null;
    /** Fixed credentials, used only without a shared secret. */
    username: string | null;
    password: string | null;
    /** How long shared-secret credentials stay valid (default 1 hour). */
    userLifetimeMs: number;
    allowGuests: boolean;
  };
}

interface RawVoip {
  turn_uris?: string[];
  turn_shared_secret?: string;
  turn_shared_secret_path?: string;
  turn_username?: string;
  turn_password?: string;
  turn_user_lifetime?: number | string;
  turn_allow_guests?: boolean;
}

export function resolveVoipConfig(
  c: RawVoip,
  later: string[],
  path: (p: string) => string,
): VoipConfig {
  let sharedSecret = c.turn_shared_secret ?? null;
  if (c.turn_shared_secret && c.turn_shared_secret_path) {
    later.push('turn_shared_secret and turn_shared_secret_path: give only one');
  } else if (c.turn_shared_secret_path) {
    try {
      sharedSecret = readFileSync(path(c.turn_shared_secret_path), 'utf8').trim();
    } catch (err) {
      later.push(`turn_shared_secret_path: cannot read it (${(err as Error).message})`);
    }
  }
  let userLifetimeMs = 3_600_000;
  if (c.turn_user_lifetime !== undefined) {
    const ms = parseDuration(c.turn_user_lifetime);
    if (ms === null || ms < 1000)
      later.push('turn_user_lifetime: expected a duration such as "1h"');
    else userLifetimeMs = ms;
  }
  return {
    turn: {
      uris: c.turn_uris ?? [],
      sharedSecret,
      username: c.turn_username ?? null,
      password: c.turn_password ?? null,
      userLifetimeMs,
      allowGuests: c.turn_allow_guests ?? true,
    },
  };
}
