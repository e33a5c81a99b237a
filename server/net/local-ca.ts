import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type Forge from 'node-forge';

/**
 * node-forge, loaded on first use: it is large, and only `hearth demo` and tests make
 * certificates, so the server (one bundle, dist/hearth.mjs) neither holds its source nor
 * loads it at start. A require built at run time is left alone by the bundler.
 */
let forgeModule: typeof Forge | undefined;
function forgeLib(): typeof Forge {
  forgeModule ??= createRequire(import.meta.url)('node-forge') as typeof Forge;
  return forgeModule;
}

/**
 * A small certificate authority for federating Hearths that the public CAs cannot vouch
 * for: tests, `hearth demo`, a private federation. Keys come from node:crypto (fast,
 * native); node-forge only builds and signs the X.509 structures (docs/decisions.md says
 * why this library).
 */

/** A certificate and its private key, both PEM. */
export interface PemPair {
  cert: string;
  key: string;
}

export interface LocalCa extends PemPair {
  /** Issues a server certificate for `names` (DNS names and IP addresses), signed by this CA. */
  issue(names: string[], opts?: { validDays?: number }): PemPair;
}

const DAY_MS = 86_400_000;

/** Creates a new CA (RSA 2048, SHA-256), valid for `validDays` (default 10 years). */
export function createLocalCa(opts: { commonName?: string; validDays?: number } = {}): LocalCa {
  const { privatePem, keyPem, publicKey } = newKeyPair();
  const cert = forgeLib().pki.createCertificate();
  cert.publicKey = publicKey;
  setValidity(cert, opts.validDays ?? 3650);
  const subject = [{ name: 'commonName', value: opts.commonName ?? 'Hearth local CA' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const signingKey = forgeLib().pki.privateKeyFromPem(privatePem) as Forge.pki.rsa.PrivateKey;
  cert.sign(signingKey, forgeLib().md.sha256.create());
  return loadedCa(forgeLib().pki.certificateToPem(cert), keyPem, cert, signingKey);
}

/** A CA from PEM files written earlier (createLocalCa + writePemPair). */
export function loadLocalCa(pair: PemPair): LocalCa {
  const cert = forgeLib().pki.certificateFromPem(pair.cert);
  const key = forgeLib().pki.privateKeyFromPem(pair.key) as Forge.pki.rsa.PrivateKey;
  return loadedCa(pair.cert, pair.key, cert, key);
}

/**
 * Writes `<name>.crt` and `<name>.key` into `dir` (the key readable by the owner only).
 * Returns their paths, as tls_certificate_path / tls_private_key_path want them.
 */
export function writePemPair(
  dir: string,
  name: string,
  pair: PemPair,
): { certPath: string; keyPath: string } {
  mkdirSync(dir, { recursive: true });
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  writeFileSync(certPath, pair.cert);
  writeFileSync(keyPath, pair.key, { mode: 0o600 });
  return { certPath, keyPath };
}

function loadedCa(
  caPem: string,
  caKeyPem: string,
  caCert: Forge.pki.Certificate,
  caKey: Forge.pki.rsa.PrivateKey,
): LocalCa {
  return {
    cert: caPem,
    key: caKeyPem,
    issue(names, opts = {}) {
      if (!names.length) throw new Error('a certificate needs at least one name');
      const { keyPem, publicKey } = newKeyPair();
      const cert = forgeLib().pki.createCertificate();
      cert.publicKey = publicKey;
      setValidity(cert, opts.validDays ?? 825);
      cert.setSubject([{ name: 'commonName', value: names[0]! }]);
      cert.setIssuer(caCert.subject.attributes);
      cert.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
        // Certificates are checked against these names only (RFC 6125), never the CN.
        {
          name: 'subjectAltName',
          altNames: names.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })),
        },
        { name: 'subjectKeyIdentifier' },
        {
          name: 'authorityKeyIdentifier',
          keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes(),
        },
      ]);
      cert.sign(caKey, forgeLib().md.sha256.create());
      return { cert: forgeLib().pki.certificateToPem(cert), key: keyPem };
    },
  };
}

function newKeyPair(): { privatePem: string; keyPem: string; publicKey: Forge.pki.PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: forgeLib().pki.publicKeyFromPem(
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    ),
  };
}

function setValidity(cert: Forge.pki.Certificate, days: number): void {
  // A positive serial (high bit clear) of 16 random bytes, as RFC 5280 asks.
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  cert.serialNumber = serial.toString('hex');
  // An hour of slack for clocks that are a little behind.
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + days * DAY_MS);
}
