import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../server/core/config/load.js';
import { RATE_LIMIT_DEFAULTS } from '../../server/core/config/rate-limits.js';

/** homeserver.yaml validation and resolution (Synapse's keys, Hearth's defaults). */

const CONFIG_PATH = '/srv/hearth/homeserver.yaml';
const dir = mkdtempSync(join(tmpdir(), 'hearth-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function resolve(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  return resolveConfig({ server_name: 'example.com', ...raw }, CONFIG_PATH, {
    signingKeys: [],
    env,
  });
}

/** The problems of the ConfigError that `fn` throws. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig: defaults', () => {
  const { config, warnings } = resolve({});

  it('has no warnings for a minimal config', () => expect(warnings).toEqual([]));

  it.each([
    ['one listener on port 8008', config.listeners.map((l) => l.port), [8008]],
    [
      'client and federation on it',
      [...config.listeners[0]!.resources].sort(),
      ['client', 'federation'],
    ],
    ['loopback binds', config.listeners[0]!.bindAddresses, ['::1', '127.0.0.1']],
    ['registration off', config.enableRegistration, false],
    ['room version 12', config.defaultRoomVersion, '12'],
    ['50 MiB uploads', config.maxUploadSize, 50 * 1024 * 1024],
    [
      'sqlite beside the config',
      config.database,
      { engine: 'sqlite', path: '/srv/hearth/homeserver.db' },
    ],
    ['media beside the config', config.mediaStorePath, '/srv/hearth/media_store'],
    ['key file beside the config', config.signingKeyPath, '/srv/hearth/example.com.signing.key'],
    ['cache factor 0.5', config.caches.globalFactor, 0.5],
    ['key refresh daily', config.keyRefreshIntervalMs, 86_400_000],
    ['no shared secret', config.registrationSharedSecret, null],
    ['Synapse rate limits', config.rateLimits, RATE_LIMIT_DEFAULTS],
    [
      'matrix.org as key server',
      config.trustedKeyServers,
      [{ serverName: 'matrix.org', verifyKeys: {} }],
    ],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it.each([
    ['localhost', {}, 'http://localhost:8008/'],
    ['localhost:8448', {}, 'http://localhost:8008/'],
    ['127.0.0.1', {}, 'http://localhost:8008/'],
    [
      'localhost',
      { listeners: [{ port: 9000, resources: [{ names: ['client'] }] }] },
      'http://localhost:9000/',
    ],
    ['example.com', {}, 'https://example.com/'],
    ['example.com:8448', {}, 'https://example.com:8448/'],
    [
      'example.com',
      { public_baseurl: 'https://matrix.example.com' },
      'https://matrix.example.com/',
    ],
  ])('publicBaseUrl for %s %j is %s', (serverName, extra, url) => {
    expect(resolve({ server_name: serverName, ...extra }).config.publicBaseUrl).toBe(url);
  });

  it.each([
    ['relative', 'data/hs.db', '/srv/hearth/data/hs.db'],
    ['absolute', '/var/lib/hs.db', '/var/lib/hs.db'],
    ['in memory', ':memory:', ':memory:'],
  ])('resolves a %s sqlite path', (_name, database, path) => {
    const { config } = resolve({ database: { name: 'sqlite3', args: { database } } });
    expect(config.database).toEqual({ engine: 'sqlite', path });
  });
});

describe('resolveConfig: refused configs', () => {
  it.each([
    ['a port as a string', { listeners: [{ port: 'abc' }] }, 'listeners[0].port'],
    ['a port out of range', { listeners: [{ port: 70000 }] }, 'listeners[0].port'],
    ['a missing port', { listeners: [{}] }, 'listeners[0].port'],
    [
      'an unknown resource',
      { listeners: [{ port: 1, resources: [{ names: ['bogus'] }] }] },
      'listeners[0].resources[0].names[0]',
    ],
    ['a boolean as a string', { enable_registration: 'yes' }, 'enable_registration'],
    [
      'a nested wrong type',
      { rc_login: { address: { per_second: 'fast' } } },
      'rc_login.address.per_second',
    ],
    ['a bad log level', { log_level: 'loud' }, 'log_level'],
    ['a missing server_name', { server_name: undefined }, 'server_name'],
    ['an empty server_name', { server_name: '' }, 'server_name'],
    ['a negative duration', { key_refresh_interval: -1 }, 'key_refresh_interval'],
    ['a zero cache factor', { caches: { global_factor: 0 } }, 'caches.global_factor'],
    ['bcrypt rounds too low', { bcrypt_rounds: 2 }, 'bcrypt_rounds'],
  ])('%s names %s', (_name, raw, key) => {
    const problems = problemsOf(() => resolve(raw));
    expect(problems.some((p) => p.startsWith(`${key}:`))).toBe(true);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(() =>
      resolve({ listeners: [{ port: 'x' }], enable_registration: 1 }),
    );
    expect(problems.join('\n')).toMatch(/listeners\[0\]\.port/);
    expect(problems.join('\n')).toMatch(/enable_registration/);
  });

  it.each([
    ['a string', 'config'],
    ['an array', []],
    ['null', null],
  ])('refuses %s as the document', (_n, raw) => {
    expect(() => resolveConfig(raw, CONFIG_PATH, { signingKeys: [], env: {} })).toThrow(
      ConfigError,
    );
  });

  it.each([
    ['key_refresh_interval', { key_refresh_interval: 'soon' }],
    ['refreshable_access_token_lifetime', { refreshable_access_token_lifetime: '5 minutes' }],
    ['refresh_token_lifetime', { refresh_token_lifetime: '1x' }],
    ['max_upload_size', { max_upload_size: 'big' }],
    ['max_upload_size', { max_upload_size: '1.5M' }],
  ])('a bad value names %s', (key, raw) => {
    const problems = problemsOf(() => resolve(raw));
    expect(problems.some((p) => p.startsWith(`${key}:`))).toBe(true);
  });

  it.each([
    ['open registration', { enable_registration: true }, false],
    ['with a token', { enable_registration: true, registration_requires_token: true }, true],
    [
      'without verification',
      { enable_registration: true, enable_registration_without_verification: true },
      true,
    ],
    ['closed', { enable_registration: false }, true],
  ])('registration: %s accepted=%s', (_name, raw, ok) => {
    if (ok) expect(() => resolve(raw)).not.toThrow();
    else
      expect(problemsOf(() => resolve(raw)).join('\n')).toMatch(
        /enable_registration.*registration_requires_token/,
      );
  });

  it.each([
    ['1', true],
    ['10', true],
    ['12', true],
    ['13', false],
    ['org.example.custom', false],
  ])('default_room_version %s accepted=%s', (v, ok) => {
    if (ok) expect(resolve({ default_room_version: v }).config.defaultRoomVersion).toBe(v);
    else
      expect(problemsOf(() => resolve({ default_room_version: v })).join()).toMatch(
        /default_room_version/,
      );
  });

  it('refuses psycopg2 with a clear message', () => {
    const problems = problemsOf(() =>
      resolve({ database: { name: 'psycopg2', args: { user: 'x' } } }),
    );
    expect(problems.join()).toMatch(/psycopg2.*not supported.*sqlite3/);
  });
});

describe('resolveConfig: warnings, units and overrides', () => {
  it.each([
    ['a top-level key', { frobnicate: 1 }, ['frobnicate']],
    ['a listener key', { listeners: [{ port: 8008, foo: true }] }, ['listeners[0].foo']],
    [
      'a second listener key',
      { listeners: [{ port: 1 }, { port: 2, bar: 1 }] },
      ['listeners[1].bar'],
    ],
    [
      'a resource key',
      { listeners: [{ port: 1, resources: [{ names: ['client'], x: 1 }] }] },
      ['listeners[0].resources[0].x'],
    ],
    [
      'a nested rate limit key',
      { rc_login: { address: { per_minute: 1 } } },
      ['rc_login.address.per_minute'],
    ],
    ['report_stats (accepted)', { report_stats: true }, []],
  ])('warns for unknown %s', (_name, raw, keys) => {
    const { warnings } = resolve(raw);
    expect(warnings).toHaveLength(keys.length);
    keys.forEach((k, i) => expect(warnings[i]).toContain(k));
  });

  it('points log_config users to log_level', () => {
    expect(resolve({ log_config: 'log.yaml' }).warnings.join()).toMatch(/log_level/);
  });

  it.each([
    ['5m', 300_000],
    ['1h', 3_600_000],
    [1500, 1500],
    ['250', 250],
  ])('duration %j is %i ms', (value, ms) => {
    expect(resolve({ key_refresh_interval: value }).config.keyRefreshIntervalMs).toBe(ms);
  });

  it.each([
    ['10M', 10 * 1024 * 1024],
    ['512K', 512 * 1024],
    [1000, 1000],
  ])('size %j is %i bytes', (value, bytes) => {
    expect(resolve({ max_upload_size: value }).config.maxUploadSize).toBe(bytes);
  });

  it('keeps null lifetimes null', () => {
    const { config } = resolve({
      refresh_token_lifetime: null,
      nonrefreshable_access_token_lifetime: '1d',
    });
    expect(config.refreshTokenLifetimeMs).toBeNull();
    expect(config.nonrefreshableAccessTokenLifetimeMs).toBe(86_400_000);
  });

  it.each([
    ['default', {}, {}, 0.5],
    ['env only', {}, { SYNAPSE_CACHE_FACTOR: '2' }, 2],
    ['config wins', { caches: { global_factor: 1.5 } }, { SYNAPSE_CACHE_FACTOR: '2' }, 1.5],
    ['junk env ignored', {}, { SYNAPSE_CACHE_FACTOR: 'lots' }, 0.5],
    ['zero env ignored', {}, { SYNAPSE_CACHE_FACTOR: '0' }, 0.5],
  ])('cache factor: %s', (_name, raw, env, factor) => {
    expect(resolve(raw, env).config.caches.globalFactor).toBe(factor);
  });

  it('overrides half of rc_login.address and keeps the other default', () => {
    const { rateLimits } = resolve({ rc_login: { address: { per_second: 1 } } }).config;
    expect(rateLimits.loginAddress).toEqual({
      perSecond: 1,
      burstCount: RATE_LIMIT_DEFAULTS.loginAddress.burstCount,
    });
    expect(rateLimits.loginAccount).toEqual(RATE_LIMIT_DEFAULTS.loginAccount);
  });

  it('reads registration_shared_secret_path relative to the config', () => {
    writeFileSync(join(dir, 'secret.txt'), '  s3cret\n');
    const raw = { server_name: 'example.com', registration_shared_secret_path: 'secret.txt' };
    const { config } = resolveConfig(raw, join(dir, 'homeserver.yaml'), {
      signingKeys: [],
      env: {},
    });
    expect(config.registrationSharedSecret).toBe('s3cret');
  });

  it('names registration_shared_secret_path when the file is missing', () => {
    const problems = problemsOf(() => resolve({ registration_shared_secret_path: 'nope.txt' }));
    expect(problems.join()).toMatch(/^registration_shared_secret_path:/);
  });
});
