import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startListeners } from '../../server/http/listeners.js';
import { createLocalCa, writePemPair, type LocalCa } from '../../server/net/local-ca.js';
import { createTestServer, type TestServer } from './server.js';

/** A CA for one test file, its PEM on disk, and leaf certificates issued on demand. */
export interface TestPki {
  ca: LocalCa;
  /** The CA certificate's file, for federation_custom_ca_list. */
  caPath: string;
  /** Issues a certificate for `names` and writes it; returns the two PEM files and PEMs. */
  issue(names: string[]): { certPath: string; keyPath: string; cert: string; key: string };
  /** Removes the files. */
  close(): void;
}

let counter = 0;

export function createTestPki(commonName = 'Hearth test CA'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-pki-'));
  const ca = createLocalCa({ commonName });
  const { certPath: caPath } = writePemPair(dir, 'ca', ca);
  return {
    ca,
    caPath,
    issue(names) {
      const pair = ca.issue(names);
      return { ...pair, ...writePemPair(dir, `leaf-${++counter}`, pair) };
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TlsTestServer extends TestServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A real Hearth whose only listener serves `federation` over TLS (tls: true with
 * tls_certificate_path / tls_private_key_path), on `host` and a free port unless given.
 */
export async function listenTlsTestServer(
  pki: TestPki,
  opts: { host: string; port?: number; names: string[]; config?: Record<string, unknown> },
): Promise<TlsTestServer> {
  const leaf = pki.issue(opts.names);
  const server = await createTestServer({
    listeners: [
      {
        port: opts.port ?? 0,
        bind_addresses: [opts.host],
        type: 'http',
        tls: true,
        resources: [{ names: ['federation'] }],
      },
    ],
    tls_certificate_path: leaf.certPath,
    tls_private_key_path: leaf.keyPath,
    ...opts.config,
  });
  let listeners;
  try {
    listeners = await startListeners(server.app, server.ctx.config, server.ctx.log);
  } catch (err) {
    await server.close();
    throw err;
  }
  const closeServer = server.close;
  return Object.assign(server, {
    host: opts.host,
    port: listeners.addresses[0]!.port,
    async close() {
      await listeners.close();
      await closeServer();
    },
  });
}

/** What a plain HTTPS test server saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** The SNI the client sent (false: none). */
  servername: string | false;
  body: string;
}

export interface HttpsTestServer {
  port: number;
  seen: SeenRequest[];
  /** TCP connections accepted (TLS handshakes or not). */
  connections: number;
  close(): Promise<void>;
}

/**
 * A plain HTTPS server (not Hearth) with a certificate for `names`, answering with
 * `handler`: for .well-known delegations, redirects, and checking what a client sends.
 */
export async function startHttpsServer(
  pki: TestPki,
  opts: {
    host: string;
    port?: number;
    names: string[];
    handler: (req: SeenRequest, res: ServerResponse) => void;
  },
): Promise<HttpsTestServer> {
  const leaf = pki.issue(opts.names);
  const seen: SeenRequest[] = [];
  const state = { connections: 0 };
  const server: Server = createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        servername: (req.socket as TLSSocket).servername ?? false,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(entry);
      opts.handler(entry, res);
    });
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Answers JSON with `status` and extra headers. */
export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A loopback port free now. */
export async function freeLoopbackPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * A Hearth named localhost:`port` serving TLS on it with a certificate of `pki`, trusting
 * `pki`'s CA for federation (a server named localhost reaches loopback by itself), as
 * `hearth demo` sets its servers up; `config` adds homeserver.yaml keys.
 */
export function listenLocalhostTlsServer(
  pki: TestPki,
  port: number,
  config: Record<string, unknown> = {},
): Promise<TlsTestServer> {
  return listenTlsTestServer(pki, {
    host: '127.0.0.1',
    port,
    names: ['localhost', '127.0.0.1', '::1'],
    config: {
      server_name: `localhost:${port}`,
      federation_custom_ca_list: [pki.caPath],
      ...config,
    },
  });
}
