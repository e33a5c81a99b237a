import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, resolveConfig } from '../core/config/load.js';
import type { Config } from '../core/config/types.js';
import { MatrixError } from '../core/errors.js';

/** Who may create an account by /register: nobody, people with a token, or anyone. */
export type RegistrationMode = 'closed' | 'token' | 'open';

/**
 * How other servers reach this one: 'automatic' has Hearth do it (a certificate over ACME,
 * the router's ports over UPnP, a TLS listener on 8448): a machine on a home network with
 * no reverse proxy, the desktop app's case. 'manual': the person sets up a reverse proxy or
 * port forwarding themselves (nothing is written).
 */
export type NetworkMode = 'automatic' | 'manual';

export interface SetupSettings {
  serverName: string;
  registration: RegistrationMode;
  network?: NetworkMode;
}

/** The federation (and client) TLS port of the automatic set-up: the spec's default. */
export const AUTOMATIC_TLS_PORT = 8448;
/**
 * The local port of the ACME HTTP-01 challenge: an unprivileged one (a desktop app may not
 * bind port 80); the router forwards port 80 to it while a certificate is issued.
 */
export const AUTOMATIC_ACME_PORT = 8080;

/** Writes the automatic network set-up into the document, keeping what is there already. */
function setAutomaticNetwork(doc: ReturnType<typeof parseDocument>, serverName: string): void {
  const host = serverName.replace(/:\d+$/, '');
  // A value the person wrote in homeserver.yaml before setup is theirs: kept.
  if (!doc.hasIn(['acme', 'enabled'])) doc.setIn(['acme', 'enabled'], true);
  if (!doc.hasIn(['acme', 'port'])) doc.setIn(['acme', 'port'], AUTOMATIC_ACME_PORT);
  if (!doc.hasIn(['port_mapping', 'enabled'])) doc.setIn(['port_mapping', 'enabled'], true);
  const listeners = (doc.toJS() as { listeners?: { port?: number; tls?: boolean }[] }).listeners;
  if (!listeners?.some((l) => l.tls)) {
    const listener = doc.createNode({
      port: AUTOMATIC_TLS_PORT,
      tls: true,
      type: 'http',
      x_forwarded: false,
      bind_addresses: ['0.0.0.0'],
      resources: [{ names: ['client', 'federation'], compress: false }],
    });
    if (doc.has('listeners')) doc.addIn(['listeners'], listener);
    else doc.set('listeners', doc.createNode([listener]));
  }
  if (!doc.has('public_baseurl'))
    doc.set('public_baseurl', `https://${host}:${AUTOMATIC_TLS_PORT}/`);
}

/** The registration keys of homeserver.yaml (Synapse's names) for each mode. */
const REGISTRATION_KEYS: Record<RegistrationMode, Record<string, boolean>> = {
  closed: { enable_registration: false, registration_requires_token: false },
  token: { enable_registration: true, registration_requires_token: true },
  open: {
    enable_registration: true,
    registration_requires_token: false,
    enable_registration_without_verification: true,
  },
};

/** Which mode a resolved config is in. */
export function registrationModeOf(config: Config): RegistrationMode {
  if (!config.enableRegistration) return 'closed';
  return config.registrationRequiresToken ? 'token' : 'open';
}

/**
 * The new text of homeserver.yaml: the same document (every other key, its comments and
 * order kept, through yaml's Document API) with the server name and registration keys set.
 * Checked by the config resolver before anything is written, so a config the server would
 * refuse at its next start is never written. Throws MatrixError M_UNKNOWN (500) if not.
 */
export function updatedConfigText(config: Config, text: string, s: SetupSettings): string {
  const configPath = config.configPath!;
  const doc = parseDocument(text);
  if (doc.errors.length) {
    throw new MatrixError('M_UNKNOWN', `${configPath} is not valid YAML`, 500);
  }
  // Without the key, the signing key file's name follows the server name: pin the file
  // this server already signs with, so a new name does not look for a missing key.
  if (!doc.has('signing_key_path')) {
    const rel = relative(dirname(configPath), config.signingKeyPath);
    doc.set('signing_key_path', isAbsolute(rel) ? config.signingKeyPath : rel);
  }
  doc.set('server_name', s.serverName);
  for (const [key, value] of Object.entries(REGISTRATION_KEYS[s.registration])) {
    doc.set(key, value);
  }
  if (s.network === 'automatic') setAutomaticNetwork(doc, s.serverName);
  const out = doc.toString();
  try {
    resolveConfig(doc.toJS(), configPath);
  } catch (err) {
    const why = err instanceof ConfigError ? err.problems.join('; ') : (err as Error).message;
    throw new MatrixError(
      'M_UNKNOWN',
      `The new settings would make an invalid config: ${why}`,
      500,
    );
  }
  return out;
}

/** Reads the config file this server was started from (500 if it has none). */
export function readConfigText(config: Config): string {
  if (!config.configPath) {
    throw new MatrixError('M_UNKNOWN', 'This server was not started from a config file', 500);
  }
  try {
    return readFileSync(config.configPath, 'utf8');
  } catch (err) {
    throw new MatrixError(
      'M_UNKNOWN',
      `Cannot read ${config.configPath}: ${(err as Error).message}`,
      500,
    );
  }
}

/**
 * Replaces the config file's text at once (a temporary file renamed over it, keeping its
 * mode): a crash leaves the old file or the new one, never half of either.
 */
export function writeConfigText(configPath: string, text: string): void {
  let mode = 0o600;
  try {
    mode = statSync(configPath).mode & 0o777;
  } catch {
    // A file that vanished meanwhile is written with the mode new configs get.
  }
  const tmp = `${configPath}.setup-${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, configPath);
}
