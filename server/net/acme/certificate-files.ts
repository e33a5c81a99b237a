import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PemPair } from './certificate-source.js';

/**
 * The files of the ACME manager in its folder of the data directory (mode 0700; every file
 * 0600: a private key, and what it signs, are nobody else's business):
 * `certificate.pem` (the certificate and its chain), `private-key.pem`, `certificate.json`
 * (where it came from) and, unless acme.account_key_file says otherwise, `account.key`.
 */

export interface StoredCertificate extends PemPair {
  /** The ACME directory that issued it. */
  directoryUrl: string;
  /** Issued by a staging directory: browsers and other servers do not trust it. */
  staging: boolean;
}

const CERT = 'certificate.pem';
const KEY = 'private-key.pem';
const META = 'certificate.json';

/** Makes `dir` (and its parents) with mode 0700, and narrows it if it existed wider. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Writes `data` to `path` with mode 0600 through a temporary file, so no reader sees half. */
export function writePrivateFile(path: string, data: string): void {
  ensurePrivateDir(dirname(path));
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The stored certificate, or null when there is none (or its files are incomplete). */
export function loadStoredCertificate(dir: string): StoredCertificate | null {
  const paths = [CERT, KEY, META].map((f) => join(dir, f));
  if (!paths.every((p) => existsSync(p))) return null;
  const [cert, key, meta] = paths.map((p) => readFileSync(p, 'utf8')) as [string, string, string];
  const m = JSON.parse(meta) as { directory_url?: string; staging?: boolean };
  return { cert, key, directoryUrl: m.directory_url ?? '', staging: m.staging === true };
}

/**
 * Replaces the stored certificate. A crash between the files leaves a key that does not
 * match the certificate; the manager checks the pair when it loads it and issues anew.
 */
export function saveStoredCertificate(dir: string, c: StoredCertificate): void {
  ensurePrivateDir(dir);
  writePrivateFile(join(dir, KEY), c.key);
  writePrivateFile(join(dir, CERT), c.cert);
  writePrivateFile(
    join(dir, META),
    `${JSON.stringify({ directory_url: c.directoryUrl, staging: c.staging }, null, 2)}\n`,
  );
}

/** The account key at `path`, made by `create` and stored (0600) the first time. */
export async function loadOrCreateAccountKey(
  path: string,
  create: () => Promise<string>,
): Promise<string> {
  if (existsSync(path)) return readFileSync(path, 'utf8');
  const key = await create();
  writePrivateFile(path, key);
  return key;
}
