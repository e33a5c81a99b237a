import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isMap, isScalar, parseDocument } from 'yaml';
import { systemRandom } from '../../core/clock.js';
import { loadConfigFile } from '../../core/config/load.js';
import { formatSigningKeyLine, generateSigningKey } from '../../core/signing.js';
import { requireString, type Command } from '../usage.js';

/**
 * hearth rotate-signing-key: replaces the signing key with a new one and lists the old
 * one(s) under homeserver.yaml's old_signing_keys with expired_ts = now (Synapse's
 * format), so that after a restart /_matrix/key/v2/server publishes them under
 * old_verify_keys and other servers can still check events signed with them.
 *
 * homeserver.yaml is rewritten first (its comments kept), then the key file; each through
 * a temporary file renamed over the original, so a crash leaves either file whole.
 */
export const rotateSigningKeyCommand: Command = {
  name: 'rotate-signing-key',
  summary: 'replace the signing key, keeping the old one as an old_signing_keys entry',
  usage: 'hearth rotate-signing-key --config FILE',
  options: {
    config: { type: 'string', short: 'c' },
  },
  async run(values) {
    const configPath = requireString(values, 'config');
    const { config } = loadConfigFile(configPath);
    const now = Date.now();
    let fresh = generateSigningKey(systemRandom);
    const taken = new Set([
      ...config.signingKeys.map((k) => k.keyId),
      ...Object.keys(config.oldSigningKeys),
    ]);
    while (taken.has(`ed25519:${fresh.version}`)) fresh = generateSigningKey(systemRandom);

    const doc = parseDocument(readFileSync(config.configPath!, 'utf8'));
    const retired = Object.fromEntries(
      config.signingKeys.map((k) => [k.keyId, { key: k.publicKeyBase64, expired_ts: now }]),
    );
    const existing = doc.get('old_signing_keys', true);
    if (isMap(existing)) {
      for (const [id, entry] of Object.entries(retired)) {
        doc.setIn(['old_signing_keys', id], doc.createNode(entry));
      }
    } else if (existing === undefined || (isScalar(existing) && existing.value === null)) {
      doc.set('old_signing_keys', doc.createNode(retired));
    } else {
      throw new Error(`${config.configPath}: old_signing_keys is not a mapping; fix it first`);
    }
    replaceFile(config.configPath!, doc.toString(), 0o600);
    replaceFile(config.signingKeyPath, formatSigningKeyLine(fresh.version, fresh.seed), 0o600);

    process.stdout.write(
      `New signing key ed25519:${fresh.version} written to ${config.signingKeyPath}\n` +
        `Moved to old_signing_keys in ${config.configPath}: ${Object.keys(retired).join(', ')}\n` +
        'Restart the server to start signing with the new key.\n',
    );
    return 0;
  },
};

function replaceFile(path: string, text: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}
