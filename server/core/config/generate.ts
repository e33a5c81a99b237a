import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { encodeBase64 } from '../base64.js';
import type { Random } from '../clock.js';
import { isValidServerName } from '../ids.js';
import { DEFAULT_IP_RANGE_BLACKLIST } from './ip-range-defaults.js';
import { formatSigningKeyLine, generateSigningKey } from '../signing.js';

export interface GenerateOptions {
  serverName: string;
  configPath: string;
  /** Where the database, media and signing key go; default: the config file's folder. */
  dataDir?: string;
  reportStats?: boolean;
  port?: number;
  random: Random;
}

export interface GeneratedFiles {
  configPath: string;
  signingKeyPath: string;
}

/**
 * Writes a new homeserver.yaml and signing key, like Synapse's --generate-config.
 * Refuses to overwrite either file. Paths inside the config are written relative to the
 * config's folder (Hearth resolves them against it), so the folder can be moved whole.
 */
export function generateConfig(opts: GenerateOptions): GeneratedFiles {
  if (!isValidServerName(opts.serverName)) {
    throw new Error(
      `"${opts.serverName}" is not a valid server name (a host name with an optional :port)`,
    );
  }
  const configPath = resolve(opts.configPath);
  const configDir = dirname(configPath);
  const dataDir = resolve(opts.dataDir ?? configDir);
  const keyFile = resolve(dataDir, `${opts.serverName.replace(/:/g, '_')}.signing.key`);
  for (const f of [configPath, keyFile]) {
    if (existsSync(f)) throw new Error(`${f} already exists; not overwriting it`);
  }
  const rel = (p: string) => relative(configDir, p) || '.';
  const secret = () => encodeBase64(opts.random.bytes(32));
  const doc = {
    server_name: opts.serverName,
    pid_file: rel(resolve(dataDir, 'homeserver.pid')),
    listeners: [
      {
        port: opts.port ?? 8008,
        tls: false,
        type: 'http',
        // Trust X-Forwarded-For only behind a reverse proxy: set it true there.
        x_forwarded: false,
        bind_addresses: ['::1', '127.0.0.1'],
        resources: [{ names: ['client', 'federation'], compress: false }],
      },
    ],
    database: { name: 'sqlite3', args: { database: rel(resolve(dataDir, 'homeserver.db')) } },
    log_level: 'info',
    media_store_path: rel(resolve(dataDir, 'media_store')),
    // URL previews stay off until turned on; the ranges they may never reach are written
    // out so that turning them on is one line (Synapse refuses previews without them).
    url_preview_enabled: false,
    url_preview_ip_range_blacklist: [...DEFAULT_IP_RANGE_BLACKLIST],
    registration_shared_secret: secret(),
    report_stats: opts.reportStats ?? false,
    macaroon_secret_key: secret(),
    form_secret: secret(),
    signing_key_path: rel(keyFile),
    trusted_key_servers: [{ server_name: 'matrix.org' }],
  };
  const header =
    `# Hearth configuration for ${opts.serverName}, in Synapse's homeserver.yaml vocabulary.\n` +
    '# Relative paths are resolved against the folder of this file.\n' +
    '# Every key is described in docs/config.md.\n';
  mkdirSync(configDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const key = generateSigningKey(opts.random);
  writeFileSync(keyFile, formatSigningKeyLine(key.version, key.seed), { mode: 0o600, flag: 'wx' });
  writeFileSync(configPath, header + stringify(doc), { mode: 0o600, flag: 'wx' });
  return { configPath, signingKeyPath: keyFile };
}
