import { Type, type TSchema } from '@sinclair/typebox';
import { MEDIA_CORE_KEYS } from './media-core.js';
import { URL_PREVIEW_KEYS } from './url-preview.js';
import { THUMBNAIL_KEYS } from './thumbnails.js';
import { ACME_KEYS } from './acme.js';
import { PORT_MAPPING_KEYS } from './port-mapping.js';
import { REACHABILITY_KEYS } from './reachability.js';
import { VOIP_KEYS } from './voip.js';

/**
 * The shape of homeserver.yaml, in Synapse's vocabulary. Validated at start: a wrong type
 * fails with the key's path and what was expected; a key not listed here only warns (other
 * Synapse keys may be present in a moved-over config).
 */

const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String()], {
  description: 'a duration: milliseconds, or a string like "5m", "1d"',
});
const Size = Type.Union([Type.Integer({ minimum: 0 }), Type.String()], {
  description: 'a size: bytes, or a string like "50M"',
});

const RateLimit = Type.Object({
  per_second: Type.Optional(Type.Number({ minimum: 0 })),
  burst_count: Type.Optional(Type.Number({ minimum: 0 })),
});

const Resource = Type.Object({
  names: Type.Array(
    Type.Union([
      Type.Literal('client'),
      Type.Literal('federation'),
      Type.Literal('media'),
      Type.Literal('keys'),
      Type.Literal('static'),
      Type.Literal('webclient'),
      Type.Literal('health'),
      Type.Literal('openid'),
      Type.Literal('metrics'),
      Type.Literal('replication'),
      Type.Literal('consent'),
    ]),
  ),
  compress: Type.Optional(Type.Boolean()),
});

const Listener = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  bind_addresses: Type.Optional(Type.Array(Type.String())),
  type: Type.Optional(Type.Literal('http')),
  tls: Type.Optional(Type.Boolean()),
  x_forwarded: Type.Optional(Type.Boolean()),
  resources: Type.Optional(Type.Array(Resource)),
});

const TrustedKeyServer = Type.Object({
  server_name: Type.String(),
  verify_keys: Type.Optional(Type.Record(Type.String(), Type.String())),
  accept_keys_insecurely: Type.Optional(Type.Boolean()),
});

export const ConfigSchema = Type.Object({
  server_name: Type.String({ minLength: 1 }),
  public_baseurl: Type.Optional(Type.String()),
  pid_file: Type.Optional(Type.String()),
  listeners: Type.Optional(Type.Array(Listener)),
  database: Type.Optional(
    Type.Object({
      name: Type.Union([Type.Literal('sqlite3'), Type.Literal('psycopg2')]),
      args: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      allow_unsafe_locale: Type.Optional(Type.Boolean()),
      txn_limit: Type.Optional(Type.Integer()),
    }),
  ),
  media_store_path: Type.Optional(Type.String()),
  signing_key_path: Type.Optional(Type.String()),
  old_signing_keys: Type.Optional(
    Type.Union([
      Type.Null(),
      Type.Record(Type.String(), Type.Object({ key: Type.String(), expired_ts: Type.Integer() })),
    ]),
  ),
  key_refresh_interval: Type.Optional(Duration),
  tls_certificate_path: Type.Optional(Type.String()),
  tls_private_key_path: Type.Optional(Type.String()),
  enable_registration: Type.Optional(Type.Boolean()),
  enable_registration_without_verification: Type.Optional(Type.Boolean()),
  registration_requires_token: Type.Optional(Type.Boolean()),
  registration_shared_secret: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  registration_shared_secret_path: Type.Optional(Type.String()),
  allow_guest_access: Type.Optional(Type.Boolean()),
  macaroon_secret_key: Type.Optional(Type.String()),
  form_secret: Type.Optional(Type.String()),
  report_stats: Type.Optional(Type.Boolean()),
  bcrypt_rounds: Type.Optional(Type.Integer({ minimum: 4, maximum: 31 })),
  password_config: Type.Optional(
    Type.Object({
      enabled: Type.Optional(Type.Union([Type.Boolean(), Type.Literal('only_for_reauth')])),
      localdb_enabled: Type.Optional(Type.Boolean()),
      pepper: Type.Optional(Type.String()),
      policy: Type.Optional(
        Type.Object({
          enabled: Type.Optional(Type.Boolean()),
          minimum_length: Type.Optional(Type.Integer({ minimum: 0 })),
          require_digit: Type.Optional(Type.Boolean()),
          require_symbol: Type.Optional(Type.Boolean()),
          require_lowercase: Type.Optional(Type.Boolean()),
          require_uppercase: Type.Optional(Type.Boolean()),
        }),
      ),
    }),
  ),
  refreshable_access_token_lifetime: Type.Optional(Duration),
  refresh_token_lifetime: Type.Optional(Type.Union([Duration, Type.Null()])),
  nonrefreshable_access_token_lifetime: Type.Optional(Type.Union([Duration, Type.Null()])),
  max_upload_size: Type.Optional(Size),
  ...MEDIA_CORE_KEYS,
  ...URL_PREVIEW_KEYS,
  ...THUMBNAIL_KEYS,
  ...ACME_KEYS,
  ...PORT_MAPPING_KEYS,
  ...REACHABILITY_KEYS,
  ...VOIP_KEYS,
  rc_message: Type.Optional(RateLimit),
  rc_registration: Type.Optional(RateLimit),
  rc_registration_token_validity: Type.Optional(RateLimit),
  rc_login: Type.Optional(
    Type.Object({
      address: Type.Optional(RateLimit),
      account: Type.Optional(RateLimit),
      failed_attempts: Type.Optional(RateLimit),
    }),
  ),
  rc_admin_redaction: Type.Optional(RateLimit),
  rc_joins: Type.Optional(
    Type.Object({ local: Type.Optional(RateLimit), remote: Type.Optional(RateLimit) }),
  ),
  rc_joins_per_room: Type.Optional(RateLimit),
  rc_invites: Type.Optional(
    Type.Object({
      per_room: Type.Optional(RateLimit),
      per_user: Type.Optional(RateLimit),
      per_issuer: Type.Optional(RateLimit),
    }),
  ),
  rc_3pid_validation: Type.Optional(RateLimit),
  rc_third_party_invite: Type.Optional(RateLimit),
  rc_media_create: Type.Optional(RateLimit),
  rc_room_creation: Type.Optional(RateLimit),
  rc_presence: Type.Optional(Type.Object({ per_user: Type.Optional(RateLimit) })),
  presence: Type.Optional(Type.Object({ enabled: Type.Optional(Type.Boolean()) })),
  rc_reports: Type.Optional(RateLimit),
  rc_federation: Type.Optional(
    Type.Object({
      window_size: Type.Optional(Type.Integer({ minimum: 0 })),
      sleep_limit: Type.Optional(Type.Integer({ minimum: 0 })),
      sleep_delay: Type.Optional(Type.Integer({ minimum: 0 })),
      reject_limit: Type.Optional(Type.Integer({ minimum: 0 })),
      concurrent: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
  ),
  trusted_key_servers: Type.Optional(Type.Array(TrustedKeyServer)),
  suppress_key_server_warning: Type.Optional(Type.Boolean()),
  allow_device_name_lookup_over_federation: Type.Optional(Type.Boolean()),
  federation_verify_certificates: Type.Optional(Type.Boolean()),
  federation_custom_ca_list: Type.Optional(Type.Array(Type.String())),
  federation_domain_whitelist: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  ip_range_blacklist: Type.Optional(Type.Array(Type.String())),
  federation_ip_range_blacklist: Type.Optional(Type.Array(Type.String())),
  ip_range_whitelist: Type.Optional(Type.Array(Type.String())),
  serve_server_wellknown: Type.Optional(Type.Boolean()),
  serve_client_wellknown: Type.Optional(Type.Boolean()),
  default_room_version: Type.Optional(Type.String()),
  user_directory: Type.Optional(
    Type.Object({
      enabled: Type.Optional(Type.Boolean()),
      search_all_users: Type.Optional(Type.Boolean()),
    }),
  ),
  caches: Type.Optional(
    Type.Object({
      global_factor: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      per_cache_factors: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0 }))),
    }),
  ),
  log_level: Type.Optional(
    Type.Union(
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map((l) => Type.Literal(l)),
    ),
  ),
  log_config: Type.Optional(Type.String()),
});

/** Keys Synapse configs carry that Hearth accepts without using (no warning for them). */
export const ACCEPTED_UNUSED_KEYS = new Set(['report_stats', 'log_config']);

export type ConfigSchemaType = typeof ConfigSchema;
export type AnySchema = TSchema;
