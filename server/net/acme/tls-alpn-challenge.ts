import { createSecureContext, createServer, type SecureContext, type Server } from 'node:tls';
import type { Logger } from '../../core/logger.js';
import { closeAll, listenOnEach } from './challenge-listen.js';

/**
 * The TLS-ALPN-01 responder (RFC 8737): for where port 80 is not available. A TLS listener
 * on acme.port (the router forwards public port 443 to it), open only while issuing, that
 * offers only the "acme-tls/1" protocol and presents, for the name asked by SNI, the
 * self-signed certificate carrying the key authorization. It serves nothing else: after the
 * handshake the connection is closed, as the RFC expects.
 */
export class TlsAlpnChallengeResponder {
  private readonly contexts = new Map<string, SecureContext>();
  private servers: Server[] = [];

  /** Opens the listener; throws ChallengePortError when it cannot. */
  static async open(
    port: number,
    hosts: string[],
    log: Logger,
  ): Promise<TlsAlpnChallengeResponder> {
    const r = new TlsAlpnChallengeResponder();
    r.servers = await listenOnEach(
      () => {
        const server = createServer({
          ALPNProtocols: ['acme-tls/1'],
          SNICallback: (name, cb) => cb(null, r.contexts.get(name.toLowerCase())),
        });
        server.on('secureConnection', (socket) => socket.end());
        server.on('tlsClientError', (err) => log.debug({ err }, 'TLS-ALPN-01 handshake failed'));
        return server;
      },
      port,
      hosts,
      log,
    );
    return r;
  }

  /** Presents `cert` (with `key`) to connections naming `domain`. */
  set(domain: string, cert: string, key: string): void {
    this.contexts.set(domain.toLowerCase(), createSecureContext({ cert, key }));
  }

  remove(domain: string): void {
    this.contexts.delete(domain.toLowerCase());
  }

  private closing: Promise<void> | null = null;

  /** Closes the listener (once; later calls get the same promise). */
  close(): Promise<void> {
    this.closing ??= closeAll(this.servers);
    return this.closing;
  }
}
