import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemRandom } from '../../server/core/clock.js';
import { generateConfig } from '../../server/core/config/generate.js';
import { ConfigError, loadConfigFile } from '../../server/core/config/load.js';

/**
 * Config files on disk: loadConfigFile, and `hearth generate-config` (Synapse's
 * --generate-config) writing files Hearth itself accepts.
 */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-generate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

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

describe('generateConfig', () => {
  it.each([
    ['the config folder', 'example.com', undefined],
    ['a separate data folder', 'example.com:8448', 'data'],
  ])('writes a config that loads without warnings, data in %s', (_name, serverName, data) => {
    const configPath = join(dir, 'conf', 'homeserver.yaml');
    const dataDir = data ? join(dir, data) : join(dir, 'conf');
    const files = generateConfig({ serverName, configPath, dataDir, random: systemRandom });
    expect(files.configPath).toBe(configPath);

    const { config, warnings } = loadConfigFile(configPath, { env: {} });
    expect(warnings).toEqual([]);
    expect(config.serverName).toBe(serverName);
    expect(config.signingKeyPath).toBe(files.signingKeyPath);
    expect(config.signingKeys).toHaveLength(1);
    expect(config.database).toEqual({ engine: 'sqlite', path: join(dataDir, 'homeserver.db') });
    expect(config.mediaStorePath).toBe(join(dataDir, 'media_store'));
    expect(config.registrationSharedSecret).toMatch(/^[A-Za-z0-9+/]{43}$/);
    expect(config.listeners.map((l) => l.port)).toEqual([8008]);
  });

  it('writes paths relative to the config folder', () => {
    const configPath = join(dir, 'homeserver.yaml');
    generateConfig({
      serverName: 'example.com',
      configPath,
      dataDir: join(dir, 'data'),
      random: systemRandom,
    });
    const text = readFileSync(configPath, 'utf8');
    expect(text).toContain('signing_key_path: data/example.com.signing.key');
    expect(text).not.toContain(dir);
  });

  it('writes the key file in Synapse format with mode 0600', () => {
    const { signingKeyPath } = generateConfig({
      serverName: 'example.com',
      configPath: join(dir, 'homeserver.yaml'),
      dataDir: dir,
      random: systemRandom,
    });
    expect(signingKeyPath).toBe(join(dir, 'example.com.signing.key'));
    expect(readFileSync(signingKeyPath, 'utf8')).toMatch(
      /^ed25519 a_[A-Za-z0-9]{4} [A-Za-z0-9+/]{43}\n$/,
    );
    expect(statSync(signingKeyPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'homeserver.yaml')).mode & 0o777).toBe(0o600);
  });

  it('gives each config its own secrets', () => {
    const a = generateConfig({
      serverName: 'a.example',
      configPath: join(dir, 'a', 'h.yaml'),
      random: systemRandom,
    });
    const b = generateConfig({
      serverName: 'a.example',
      configPath: join(dir, 'b', 'h.yaml'),
      random: systemRandom,
    });
    const secretOf = (p: string) => loadConfigFile(p, { env: {} }).config.registrationSharedSecret;
    expect(secretOf(a.configPath)).not.toBe(secretOf(b.configPath));
  });

  it.each([
    ['the config', 'homeserver.yaml'],
    ['the key', 'example.com.signing.key'],
  ])('refuses to overwrite %s', (_name, existing) => {
    const opts = {
      serverName: 'example.com',
      configPath: join(dir, 'homeserver.yaml'),
      random: systemRandom,
    };
    generateConfig(opts);
    const before = readFileSync(join(dir, existing), 'utf8');
    if (existing === 'example.com.signing.key') rmSync(join(dir, 'homeserver.yaml'));
    expect(() => generateConfig(opts)).toThrow(/already exists/);
    expect(readFileSync(join(dir, existing), 'utf8')).toBe(before);
  });

  it.each([
    ['empty', ''],
    ['a space', 'my server'],
    ['a bad port', 'example.com:99999'],
    ['a user id', '@a:b'],
  ])('rejects %s as a server name and writes nothing', (_name, serverName) => {
    const configPath = join(dir, 'homeserver.yaml');
    expect(() => generateConfig({ serverName, configPath, random: systemRandom })).toThrow(
      /not a valid server name/,
    );
    expect(existsSync(configPath)).toBe(false);
  });
});

describe('loadConfigFile', () => {
  it('refuses a missing file', () => {
    expect(problemsOf(() => loadConfigFile(join(dir, 'absent.yaml'))).join()).toMatch(
      /does not exist/,
    );
  });

  it('refuses invalid YAML', () => {
    const p = join(dir, 'bad.yaml');
    writeFileSync(p, 'server_name: [unclosed\n  : :\n');
    expect(problemsOf(() => loadConfigFile(p)).join()).toMatch(/not valid YAML/);
  });

  it('names signing_key_path when the key file is missing', () => {
    const p = join(dir, 'nokey.yaml');
    writeFileSync(p, 'server_name: example.com\nsigning_key_path: missing.key\n');
    const problems = problemsOf(() => loadConfigFile(p, { env: {} }));
    expect(problems.join()).toMatch(/^signing_key_path: .*missing\.key/);
  });

  it('loads a file with its signing key', () => {
    const p = join(dir, 'ok.yaml');
    writeFileSync(
      join(dir, 'ok.key'),
      `ed25519 a_abcd ${Buffer.alloc(32, 3).toString('base64')}\n`,
    );
    writeFileSync(p, 'server_name: example.com\nsigning_key_path: ok.key\nmax_upload_size: 10M\n');
    const { config, warnings } = loadConfigFile(p, { env: {} });
    expect(warnings).toEqual([]);
    expect(config.configPath).toBe(p);
    expect(config.signingKeys.map((k) => k.keyId)).toEqual(['ed25519:a_abcd']);
    expect(config.maxUploadSize).toBe(10 * 1024 * 1024);
  });
});
