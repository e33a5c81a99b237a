import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalCa, writePemPair } from '../../server/net/local-ca.js';

/** Debian's pebble (a real ACME server for tests; apt-get install pebble). */
export const PEBBLE_BIN = '/usr/bin/pebble';

/**
 * Whether the pebble tests run: when pebble is installed, and always under CI=true (where
 * a missing pebble must fail the tests, not skip them).
 */
export function pebbleTestsRun(): boolean {
  if (existsSync(PEBBLE_BIN)) return true;
  if (process.env.CI === 'true') return true;
  console.warn(`skipping the ACME tests: ${PEBBLE_BIN} is missing (apt-get install pebble)`);
  return false;
}

export interface Pebble {
  /** The ACME directory, https://127.0.0.1:PORT/dir. */
  directoryUrl: string;
  /** The CA of pebble's own HTTPS (made by the test), for acme.ca_bundle. */
  caBundlePath: string;
  caPem: string;
  /** The ports pebble's validation connects to on the domain's address (http-01, tls-alpn-01). */
  httpPort: number;
  tlsPort: number;
  /** The root that signs pebble's certificates (management /roots/0), PEM. */
  issuingRoot(): Promise<string>;
  /** Everything pebble wrote to stdout (its log). */
  output(): string;
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (closed again: the caller binds it soon after). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** GET over HTTPS trusting `ca`; resolves with the status and body. */
export function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ca, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Starts pebble on loopback with a CA the test makes for its HTTPS, free ports, and
 * `dnsServer` (127.0.0.1:PORT) for resolving the names it validates. close() kills it
 * and removes its files.
 */
export async function startPebble(opts: {
  dnsServer: string;
  /** Validity of the certificates it issues (default 90 days, like Let's Encrypt's). */
  validityDays?: number;
}): Promise<Pebble> {
  if (!existsSync(PEBBLE_BIN)) throw new Error(`${PEBBLE_BIN} is missing (apt-get install pebble)`);
  const dir = mkdtempSync(join(tmpdir(), 'hearth-pebble-'));
  const ca = createLocalCa({ commonName: 'Hearth test CA for pebble' });
  const { certPath: caBundlePath } = writePemPair(dir, 'ca', ca);
  const leaf = writePemPair(dir, 'pebble', ca.issue(['localhost', '127.0.0.1']));
  const [listen, management, httpPort, tlsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const configPath = join(dir, 'pebble.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${listen}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: leaf.certPath,
        privateKey: leaf.keyPath,
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        certificateValidityPeriod: (opts.validityDays ?? 90) * 86_400,
      },
    }),
  );
  const child: ChildProcess = spawn(
    PEBBLE_BIN,
    ['-config', configPath, '-dnsserver', opts.dnsServer],
    {
      env: {
        ...process.env,
        PEBBLE_VA_NOSLEEP: '1',
        PEBBLE_WFE_NONCEREJECT: '0',
        // Every order validates afresh: the tests prove real validations.
        PEBBLE_AUTHZREUSE: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const directoryUrl = `https://127.0.0.1:${listen}/dir`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await httpsGet(directoryUrl, ca.cert)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await close();
      throw new Error(`pebble did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    directoryUrl,
    caBundlePath,
    caPem: ca.cert,
    httpPort,
    tlsPort,
    async issuingRoot() {
      const res = await httpsGet(`https://127.0.0.1:${management}/roots/0`, ca.cert);
      if (res.status !== 200) throw new Error(`pebble /roots/0 answered ${res.status}`);
      return res.body;
    },
    output: () => out,
    close,
  };
}
