import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Kind, type TSchema } from '@sinclair/typebox';
import { Check } from '@sinclair/typebox/value';
import { Errors } from '@sinclair/typebox/errors';
import { parse as parseYaml } from 'yaml';
import { KNOWN_ROOM_VERSIONS, RECOMMENDED_ROOM_VERSION } from '../room-versions.js';
import { parseSigningKeyFile } from '../signing.js';
import { ACCEPTED_UNUSED_KEYS, ConfigSchema } from './schema.js';
import { RATE_LIMIT_DEFAULTS, resolveRateLimits } from './rate-limits.js';
import type { Config, ListenerConfig, ResourceName } from './types.js';
import type { LogLevel } from '../logger.js';
import { parseDuration, parseSize } from './units.js';
import { resolveMediaCoreConfig } from './media-core.js';
import { resolveUrlPreviewConfig } from './url-preview.js';
import { resolveThumbnailConfig } from './thumbnails.js';
import { resolvePortMappingConfig } from './port-mapping.js';
import { resolveReachabilityConfig } from './reachability.js';
import { resolveVoipConfig } from './voip.js';
import { resolveAcmeConfig } from './acme.js';
import { DEFAULT_IP_RANGE_BLACKLIST, isIpRange } from './ip-range-defaults.js';
import type { Static } from '@sinclair/typebox';

export type RawConfig = Static<typeof ConfigSchema>;

/** A config that cannot be used; `problems` name each key's path and what was expected. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid config:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: Config;
  warnings: string[];
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Skip reading the signing key file (tests that build a config in memory pass keys). */
  signingKeys?: Config['signingKeys'];
}

/** Reads, validates and resolves homeserver.yaml. Throws ConfigError with every problem found. */
export function loadConfigFile(path: string, opts: LoadOptions = {}): LoadedConfig {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new ConfigError([`config file ${abs} does not exist`]);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(abs, 'utf8'));
  } catch (err) {
    throw new ConfigError([`${abs} is not valid YAML: ${(err as Error).message}`]);
  }
  return resolveConfig(raw, abs, opts);
}

/** Validates a parsed YAML document and resolves it against the folder of `configPath`. */
export function resolveConfig(
  raw: unknown,
  configPath: string | null,
  opts: LoadOptions = {},
): LoadedConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(['the config must be a YAML mapping of keys to values']);
  }
  const problems = [...Errors(ConfigSchema, raw)].map(
    (e) => `${keyPath(e.path)}: ${e.schema.description ?? e.message.toLowerCase()}`,
  );
  if (problems.length) throw new ConfigError(dedupe(problems));
  const warnings = unknownKeys(ConfigSchema, raw, '').map(
    (k) => `unknown config key ${k} (ignored)`,
  );
  const c = raw as RawConfig;
  const env = opts.env ?? process.env;
  const base = configPath ? dirname(configPath) : process.cwd();
  const path = (p: string) => resolve(base, p);
  const later: string[] = [];

  const listeners = (c.listeners ?? defaultListeners()).map(resolveListener);
  const clientListener = listeners.find((l) => l.resources.has('client'));
  const duration = (key: string, v: unknown, dflt: number): number => {
    if (v === undefined) return dflt;
    const ms = parseDuration(v);
    if (ms === null) later.push(`${key}: expected a duration such as "5m" or milliseconds`);
    return ms ?? dflt;
  };
  const ipRanges = (key: string, list: readonly string[]): string[] => {
    list.forEach((r, i) => {
      if (!isIpRange(r)) later.push(`${key}[${i}]: "${r}" is not an IP address or CIDR range`);
    });
    return [...list];
  };
  const nullableDuration = (key: string, v: unknown): number | null =>
    v === undefined || v === null ? null : duration(key, v, 0);

  const maxUploadSize =
    c.max_upload_size === undefined ? 50 * 1024 * 1024 : parseSize(c.max_upload_size);
  if (maxUploadSize === null) later.push('max_upload_size: expected a size such as "50M" or bytes');

  if (
    c.enable_registration &&
    !c.enable_registration_without_verification &&
    !c.registration_requires_token
  ) {
    later.push(
      'enable_registration: open registration without any verification is refused; ' +
        'set registration_requires_token: true, or enable_registration_without_verification: true ' +
        'if you really want anyone to register',
    );
  }
  const defaultRoomVersion = c.default_room_version ?? RECOMMENDED_ROOM_VERSION;
  if (!KNOWN_ROOM_VERSIONS.includes(defaultRoomVersion)) {
    later.push(`default_room_version: "${defaultRoomVersion}" is not a known room version`);
  }
  let sharedSecret = c.registration_shared_secret ?? null;
  if (!sharedSecret && c.registration_shared_secret_path) {
    try {
      sharedSecret = readFileSync(path(c.registration_shared_secret_path), 'utf8').trim();
    } catch (err) {
      later.push(`registration_shared_secret_path: cannot read it (${(err as Error).message})`);
    }
  }
  const signingKeyPath = path(
    c.signing_key_path ?? `${c.server_name.replace(/:/g, '_')}.signing.key`,
  );
  let signingKeys = opts.signingKeys ?? [];
  if (!opts.signingKeys) {
    try {
      signingKeys = parseSigningKeyFile(readFileSync(signingKeyPath, 'utf8'));
    } catch (err) {
      later.push(`signing_key_path: cannot load ${signingKeyPath} (${(err as Error).message})`);
    }
  }
  const publicBaseUrl = withSlash(
    c.public_baseurl ??
      (/^localhost(:\d+)?$/.test(c.server_name) || /^127\.0\.0\.1(:\d+)?$/.test(c.server_name)
        ? `http://localhost:${clientListener?.port ?? 8008}/`
        : `https://${c.server_name}/`),
  );
  if (!/^https?:\/\/[^/]+/.test(publicBaseUrl)) {
    later.push('public_baseurl: expected an http(s) URL such as https://matrix.example.com/');
  }
  const envFactor = Number(env.SYNAPSE_CACHE_FACTOR);
  const policy = c.password_config?.policy ?? {};

  const config: Config = {
    configPath,
    serverName: c.server_name,
    publicBaseUrl,
    pidFile: c.pid_file ? path(c.pid_file) : null,
    listeners,
    database:
      c.database?.name === 'psycopg2'
        ? { engine: 'postgres', args: c.database.args ?? {} }
        : { engine: 'sqlite', path: sqlitePath(c.database?.args?.database, path) },
    mediaStorePath: path(c.media_store_path ?? 'media_store'),
    signingKeyPath,
    signingKeys,
    oldSigningKeys: Object.fromEntries(
      Object.entries(c.old_signing_keys ?? {}).map(([id, k]) => [
        id,
        { key: k.key, expiredTs: k.expired_ts },
      ]),
    ),
    keyRefreshIntervalMs: duration('key_refresh_interval', c.key_refresh_interval, 86_400_000),
    tlsCertificatePath: c.tls_certificate_path ? path(c.tls_certificate_path) : null,
    tlsPrivateKeyPath: c.tls_private_key_path ? path(c.tls_private_key_path) : null,
    enableRegistration: c.enable_registration ?? false,
    enableRegistrationWithoutVerification: c.enable_registration_without_verification ?? false,
    registrationRequiresToken: c.registration_requires_token ?? false,
    registrationSharedSecret: sharedSecret,
    allowGuestAccess: c.allow_guest_access ?? false,
    macaroonSecretKey: c.macaroon_secret_key ?? null,
    formSecret: c.form_secret ?? null,
    bcryptRounds: c.bcrypt_rounds ?? 12,
    passwordEnabled:
      c.password_config?.enabled !== false && c.password_config?.localdb_enabled !== false,
    passwordPepper: c.password_config?.pepper ?? '',
    passwordPolicy: {
      enabled: policy.enabled ?? false,
      minimumLength: policy.minimum_length ?? 0,
      requireDigit: policy.require_digit ?? false,
      requireSymbol: policy.require_symbol ?? false,
      requireLowercase: policy.require_lowercase ?? false,
      requireUppercase: policy.require_uppercase ?? false,
    },
    refreshableAccessTokenLifetimeMs: duration(
      'refreshable_access_token_lifetime',
      c.refreshable_access_token_lifetime,
      5 * 60_000,
    ),
    refreshTokenLifetimeMs: nullableDuration('refresh_token_lifetime', c.refresh_token_lifetime),
    nonrefreshableAccessTokenLifetimeMs: nullableDuration(
      'nonrefreshable_access_token_lifetime',
      c.nonrefreshable_access_token_lifetime,
    ),
    maxUploadSize: maxUploadSize ?? 0,
    ...resolveMediaCoreConfig(c, later),
    ...resolveUrlPreviewConfig(c, later, path),
    ...resolveThumbnailConfig(c, later),
    ...resolvePortMappingConfig(c, later),
    ...resolveReachabilityConfig(c, later),
    ...resolveVoipConfig(c, later, path),
    ...resolveAcmeConfig(c, later, path, dirname(sqlitePath(c.database?.args?.database, path))),
    rateLimits: resolveRateLimits(c, RATE_LIMIT_DEFAULTS),
    trustedKeyServers: (c.trusted_key_servers ?? [{ server_name: 'matrix.org' }]).map((s) => ({
      serverName: s.server_name,
      verifyKeys: s.verify_keys ?? {},
    })),
    suppressKeyServerWarning: c.suppress_key_server_warning ?? false,
    allowDeviceNameLookupOverFederation: c.allow_device_name_lookup_over_federation ?? false,
    federationVerifyCertificates: c.federation_verify_certificates ?? true,
    federationCustomCaList: (c.federation_custom_ca_list ?? []).map((p, i) => {
      if (!existsSync(path(p)))
        later.push(`federation_custom_ca_list[${i}]: ${path(p)} does not exist`);
      return path(p);
    }),
    federationDomainWhitelist: c.federation_domain_whitelist ?? null,
    ipRangeBlacklist: ipRanges(
      c.ip_range_blacklist === undefined && c.federation_ip_range_blacklist
        ? 'federation_ip_range_blacklist'
        : 'ip_range_blacklist',
      c.ip_range_blacklist ?? c.federation_ip_range_blacklist ?? DEFAULT_IP_RANGE_BLACKLIST,
    ),
    ipRangeWhitelist: ipRanges('ip_range_whitelist', c.ip_range_whitelist ?? []),
    serveServerWellknown: c.serve_server_wellknown ?? false,
    serveClientWellknown: c.serve_client_wellknown ?? true,
    defaultRoomVersion,
    userDirectory: {
      enabled: c.user_directory?.enabled ?? true,
      searchAllUsers: c.user_directory?.search_all_users ?? false,
    },
    presence: { enabled: c.presence?.enabled ?? true },
    caches: {
      globalFactor: c.caches?.global_factor ?? (envFactor > 0 ? envFactor : 0.5),
      perCacheFactors: c.caches?.per_cache_factors ?? {},
    },
    logLevel: (c.log_level ?? 'info') as LogLevel,
  };
  if (later.length) throw new ConfigError(later);
  if (config.database.engine === 'postgres') {
    throw new ConfigError([
      'database.name: psycopg2 (PostgreSQL) is reserved and not supported yet; use sqlite3',
    ]);
  }
  if (c.log_config) warnings.push('log_config is not used by Hearth; set log_level instead');
  return { config, warnings };
}

function resolveListener(l: NonNullable<RawConfig['listeners']>[number]): ListenerConfig {
  const resources = new Set<ResourceName>();
  let compress = false;
  for (const r of l.resources ?? []) {
    for (const n of r.names) resources.add(n);
    compress ||= r.compress ?? false;
  }
  return {
    port: l.port,
    bindAddresses: l.bind_addresses?.length ? l.bind_addresses : ['::1', '127.0.0.1'],
    tls: l.tls ?? false,
    xForwarded: l.x_forwarded ?? false,
    resources,
    compress,
  };
}

function defaultListeners(): NonNullable<RawConfig['listeners']> {
  return [
    {
      port: 8008,
      bind_addresses: ['::1', '127.0.0.1'],
      type: 'http',
      x_forwarded: false,
      resources: [{ names: ['client', 'federation'], compress: false }],
    },
  ];
}

function sqlitePath(value: unknown, path: (p: string) => string): string {
  if (value === ':memory:') return value;
  return path(typeof value === 'string' && value ? value : 'homeserver.db');
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** `/listeners/0/port` -> `listeners[0].port` */
function keyPath(pointer: string): string {
  if (!pointer) return '(top level)';
  return pointer
    .slice(1)
    .split('/')
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i ? `.${p}` : p))
    .join('');
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** Keys present in `value` that `schema` does not describe, as dotted paths. */
function unknownKeys(schema: TSchema, value: unknown, prefix: string): string[] {
  if (typeof value !== 'object' || value === null) return [];
  if (schema[Kind] === 'Union') {
    const branch = (schema.anyOf as TSchema[]).find((s) => Check(s, value));
    return branch ? unknownKeys(branch, value, prefix) : [];
  }
  if (schema[Kind] === 'Array' && Array.isArray(value)) {
    return value.flatMap((v, i) => unknownKeys(schema.items as TSchema, v, `${prefix}[${i}]`));
  }
  if (schema[Kind] !== 'Object' || !schema.properties) return [];
  const props = schema.properties as Record<string, TSchema>;
  return Object.entries(value).flatMap(([k, v]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    if (!(k in props)) return prefix || !ACCEPTED_UNUSED_KEYS.has(k) ? [p] : [];
    return unknownKeys(props[k]!, v, p);
  });
}
