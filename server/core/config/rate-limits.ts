import type { RawConfig } from './load.js';
import type { RateLimitConfig, RateLimits } from './types.js';

type Rl = { per_second?: number; burst_count?: number } | undefined;

/** Synapse's defaults for the rc_* limits. */
export const RATE_LIMIT_DEFAULTS: RateLimits = {
  message: { perSecond: 0.2, burstCount: 10 },
  registration: { perSecond: 0.17, burstCount: 3 },
  registrationTokenValidity: { perSecond: 0.1, burstCount: 5 },
  loginAddress: { perSecond: 0.003, burstCount: 5 },
  loginAccount: { perSecond: 0.003, burstCount: 5 },
  loginFailedAttempts: { perSecond: 0.17, burstCount: 3 },
  joinsLocal: { perSecond: 0.1, burstCount: 10 },
  joinsRemote: { perSecond: 0.01, burstCount: 10 },
  joinsPerRoom: { perSecond: 1, burstCount: 10 },
  invitesPerRoom: { perSecond: 0.3, burstCount: 10 },
  invitesPerUser: { perSecond: 0.003, burstCount: 5 },
  invitesPerIssuer: { perSecond: 0.3, burstCount: 10 },
  threepidValidation: { perSecond: 0.003, burstCount: 5 },
  mediaCreate: { perSecond: 10, burstCount: 50 },
  roomCreation: { perSecond: 0.016, burstCount: 10 },
};

function merge(raw: Rl, dflt: RateLimitConfig): RateLimitConfig {
  return {
    perSecond: raw?.per_second ?? dflt.perSecond,
    burstCount: raw?.burst_count ?? dflt.burstCount,
  };
}

/** Applies the rc_* keys of a config over the defaults; a partial key keeps the other default. */
export function resolveRateLimits(c: RawConfig, d: RateLimits): RateLimits {
  return {
    message: merge(c.rc_message, d.message),
    registration: merge(c.rc_registration, d.registration),
    registrationTokenValidity: merge(c.rc_registration_token_validity, d.registrationTokenValidity),
    loginAddress: merge(c.rc_login?.address, d.loginAddress),
    loginAccount: merge(c.rc_login?.account, d.loginAccount),
    loginFailedAttempts: merge(c.rc_login?.failed_attempts, d.loginFailedAttempts),
    joinsLocal: merge(c.rc_joins?.local, d.joinsLocal),
    joinsRemote: merge(c.rc_joins?.remote, d.joinsRemote),
    joinsPerRoom: merge(c.rc_joins_per_room, d.joinsPerRoom),
    invitesPerRoom: merge(c.rc_invites?.per_room, d.invitesPerRoom),
    invitesPerUser: merge(c.rc_invites?.per_user, d.invitesPerUser),
    invitesPerIssuer: merge(c.rc_invites?.per_issuer, d.invitesPerIssuer),
    threepidValidation: merge(c.rc_3pid_validation, d.threepidValidation),
    mediaCreate: merge(c.rc_media_create, d.mediaCreate),
    roomCreation: merge(c.rc_room_creation, d.roomCreation),
  };
}
