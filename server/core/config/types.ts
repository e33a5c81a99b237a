import type { CacheFactors } from '../cache.js';
import type { LogLevel } from '../logger.js';
import type { SigningKey } from '../signing.js';
import type { MediaCoreConfig } from './media-core.js';
import type { UrlPreviewConfig } from './url-preview.js';
import type { ThumbnailConfig } from './thumbnails.js';
import type { PortMappingConfig } from './port-mapping.js';
import type { ReachabilityConfig } from './reachability.js';
import type { VoipConfig } from './voip.js';
import type { AcmeConfig } from './acme.js';

/** A token bucket: `perSecond` tokens refill each second, up to `burstCount`. */
export interface RateLimitConfig {
  perSecond: number;
  burstCount: number;
}

export type ResourceName =
  | 'client'
  | 'federation'
  | 'media'
  | 'keys'
  | 'static'
  | 'webclient'
  | 'health'
  | 'openid'
  | 'metrics'
  | 'replication'
  | 'consent';

export interface ListenerConfig {
  port: number;
  bindAddresses: string[];
  tls: boolean;
  xForwarded: boolean;
  resources: Set<ResourceName>;
  compress: boolean;
}

export interface RateLimits {
  message: RateLimitConfig;
  registration: RateLimitConfig;
  registrationTokenValidity: RateLimitConfig;
  loginAddress: RateLimitConfig;
  loginAccount: RateLimitConfig;
  loginFailedAttempts: RateLimitConfig;
  joinsLocal: RateLimitConfig;
  joinsRemote: RateLimitConfig;
  joinsPerRoom: RateLimitConfig;
  invitesPerRoom: RateLimitConfig;
  invitesPerUser: RateLimitConfig;
  invitesPerIssuer: RateLimitConfig;
  threepidValidation: RateLimitConfig;
  mediaCreate: RateLimitConfig;
  roomCreation: RateLimitConfig;
}

/** The resolved config: defaults applied, paths absolute, units parsed. */
export interface Config
  extends
    MediaCoreConfig,
    UrlPreviewConfig,
    ThumbnailConfig,
    PortMappingConfig,
    ReachabilityConfig,
    VoipConfig,
    AcmeConfig {
  /** Path of the file this came from; relative paths in it were resolved against its folder. */
  configPath: string | null;
  serverName: string;
  publicBaseUrl: string;
  pidFile: string | null;
  listeners: ListenerConfig[];
  database:
    { engine: 'sqlite'; path: string } | { engine: 'postgres'; args: Record<string, unknown> };
  mediaStorePath: string;
  signingKeyPath: string;
  /** Loaded at start from signingKeyPath; the first key signs. */
  signingKeys: SigningKey[];
  oldSigningKeys: Record<string, { key: string; expiredTs: number }>;
  keyRefreshIntervalMs: number;
  tlsCertificatePath: string | null;
  tlsPrivateKeyPath: string | null;
  enableRegistration: boolean;
  enableRegistrationWithoutVerification: boolean;
  registrationRequiresToken: boolean;
  registrationSharedSecret: string | null;
  allowGuestAccess: boolean;
  macaroonSecretKey: string | null;
  formSecret: string | null;
  bcryptRounds: number;
  passwordEnabled: boolean;
  passwordPepper: string;
  passwordPolicy: {
    enabled: boolean;
    minimumLength: number;
    requireDigit: boolean;
    requireSymbol: boolean;
    requireLowercase: boolean;
    requireUppercase: boolean;
  };
  refreshableAccessTokenLifetimeMs: number;
  refreshTokenLifetimeMs: number | null;
  nonrefreshableAccessTokenLifetimeMs: number | null;
  maxUploadSize: number;
  rateLimits: RateLimits;
  trustedKeyServers: { serverName: string; verifyKeys: Record<string, string> }[];
  suppressKeyServerWarning: boolean;
  /**
   * Synapse's `allow_device_name_lookup_over_federation` (default false): other servers see
   * the names of this server's users' devices. Off, device names stay with their owner.
   */
  allowDeviceNameLookupOverFederation: boolean;
  /** Synapse's `federation_verify_certificates`: off, other servers' TLS certificates are not checked. */
  federationVerifyCertificates: boolean;
  /** Synapse's `federation_custom_ca_list`: PEM files (absolute paths) trusted besides the system CAs. */
  federationCustomCaList: string[];
  /** Synapse's `federation_domain_whitelist`: when set, the only servers federated with. */
  federationDomainWhitelist: string[] | null;
  /** Synapse's `ip_range_blacklist` (alias `federation_ip_range_blacklist`): CIDRs no outgoing request may reach. */
  ipRangeBlacklist: string[];
  /** Synapse's `ip_range_whitelist`: CIDRs allowed even when a blacklist range covers them. */
  ipRangeWhitelist: string[];
  serveServerWellknown: boolean;
  serveClientWellknown: boolean;
  defaultRoomVersion: string;
  /** Synapse's `user_directory`: whether search finds anyone, and whether it finds every local user. */
  userDirectory: { enabled: boolean; searchAllUsers: boolean };
  /** Synapse's `presence.enabled`: off, presence is neither tracked nor sent in /sync. */
  presence: { enabled: boolean };
  caches: CacheFactors;
  logLevel: LogLevel;
}

/** public_baseurl without its trailing slash, as clients are given it. */
export function clientBaseUrl(config: Pick<Config, 'publicBaseUrl'>): string {
  return config.publicBaseUrl.replace(/\/$/, '');
}
