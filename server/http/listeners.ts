import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config, ListenerConfig, ResourceName } from '../core/config/types.js';
import type { Logger } from '../core/logger.js';
import type { TlsCertificateSource } from '../net/acme/certificate-source.js';
import { tagListener } from './client-ip.js';
import type { HttpApp } from './http-app.js';

/** Which listener resources may serve a path (Synapse's resource names). */
function resourcesFor(path: string): ResourceName[] | null {
  if (path.startsWith('/_matrix/client/v1/media/')) return ['client', 'media'];
  if (path.startsWith('/_matrix/client/') || path.startsWith('/_synapse/')) return ['client'];
  if (path.startsWith('/_matrix/media/')) return ['media', 'client', 'federation'];
  if (path.startsWith('/_matrix/federation/')) return ['federation'];
  if (path.startsWith('/_matrix/key/')) return ['keys', 'federation'];
  if (path === '/.well-known/matrix/client') return ['client'];
  if (path === '/.well-known/matrix/server') return ['client', 'federation'];
  if (path === '/health') return null;
  return ['client', 'static', 'webclient'];
}

export interface BoundAddress {
  host: string;
  port: number;
  tls: boolean;
}

export interface RunningListeners {
  addresses: BoundAddress[];
  close(): Promise<void>;
}

/**
 * Binds every configured listener to the one app. Each listener serves only the resources
 * it lists; a path of another resource gets 404 M_UNRECOGNIZED, as on Synapse. An IPv6
 * address that the machine lacks is skipped with a warning when another address bound.
 */
export async function startListeners(
  app: HttpApp,
  config: Config,
  log: Logger,
  opts: {
    /** The ACME certificate, for TLS listeners when tls_certificate_path is not set. */
    certificates?: TlsCertificateSource | null;
  } = {},
): Promise<RunningListeners> {
  const servers: Server[] = [];
  const addresses: BoundAddress[] = [];
  try {
    for (const listener of config.listeners) {
      let port = listener.port;
      const bound: BoundAddress[] = [];
      for (const host of listener.bindAddresses) {
        const server = await makeServer(app, config, listener, opts.certificates ?? null);
        try {
          port = await listen(server, host, port);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (host.includes(':') && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) {
            log.warn({ host }, 'IPv6 address not available here; skipping it');
            continue;
          }
          throw new Error(`cannot listen on ${host}:${port}: ${(err as Error).message}`);
        }
        servers.push(server);
        bound.push({ host, port, tls: listener.tls });
      }
      if (!bound.length)
        throw new Error(`listener on port ${listener.port} could not bind any address`);
      addresses.push(...bound);
      log.info({ addresses: bound, resources: [...listener.resources] }, 'listening');
    }
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }
  return {
    addresses,
    close: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
}

async function makeServer(
  app: HttpApp,
  config: Config,
  listener: ListenerConfig,
  certificates: TlsCertificateSource | null,
): Promise<Server> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    tagListener(req, listener);
    const path = (req.url ?? '/').split('?')[0]!;
    const allowed = resourcesFor(path);
    if (allowed && !allowed.some((r) => listener.resources.has(r))) {
      res.writeHead(404, {
        'Content-Type': 'application/json',
        'Access-Control-Allow-Origin': '*',
      });
      res.end(JSON.stringify({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }));
      return;
    }
    app.handle(req, res);
  };
  if (!listener.tls) return createHttpServer(handler);
  if (!config.tlsCertificatePath && certificates) {
    // Until the first certificate is issued the listener is bound but refuses handshakes;
    // each new one (a renewal) is swapped in without a restart.
    const { createServer: createHttpsServer } = await import('node:https');
    const server = createHttpsServer({ ...certificates.current() }, handler);
    const unsubscribe = certificates.subscribe((pair) => server.setSecureContext(pair));
    server.once('close', unsubscribe);
    return server;
  }
  if (!config.tlsCertificatePath || !config.tlsPrivateKeyPath) {
    throw new Error(
      `listener on port ${listener.port} has tls: true but tls_certificate_path or tls_private_key_path is not set (or enable acme: for a certificate from Let's Encrypt)`,
    );
  }
  // node:https (with TLS) is loaded only for a TLS listener: it is a few MiB of a process
  // that serves plain HTTP behind a reverse proxy, as most do.
  const { createServer: createHttpsServer } = await import('node:https');
  return createHttpsServer(
    { cert: readFileSync(config.tlsCertificatePath), key: readFileSync(config.tlsPrivateKeyPath) },
    handler,
  );
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
