import { createServer, type Server } from 'node:http';
import type { Logger } from '../../core/logger.js';
import { closeAll, listenOnEach } from './challenge-listen.js';

const PREFIX = '/.well-known/acme-challenge/';

/**
 * The HTTP-01 responder (RFC 8555 §8.3): a small listener on acme.port, open only while a
 * certificate is being issued, that answers GET /.well-known/acme-challenge/{token} with
 * the key authorization and 404 to anything else. Its own listener and not a route of the
 * app: port 80 is usually no listener of Hearth's, and nothing else should be served there.
 */
export class HttpChallengeResponder {
  private readonly tokens = new Map<string, string>();
  private servers: Server[] = [];
  /** Tokens the certificate authority fetched (for the log: it reached this machine). */
  readonly fetched = new Set<string>();

  private constructor(private readonly log: Logger) {}

  /** Opens the listener; throws ChallengePortError when it cannot. */
  static async open(port: number, hosts: string[], log: Logger): Promise<HttpChallengeResponder> {
    const r = new HttpChallengeResponder(log);
    r.servers = await listenOnEach(
      () =>
        createServer((req, res) => {
          const path = (req.url ?? '').split('?')[0]!;
          const token = path.startsWith(PREFIX) ? path.slice(PREFIX.length) : '';
          const answer = r.tokens.get(token);
          if ((req.method !== 'GET' && req.method !== 'HEAD') || !answer) {
            res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
            return;
          }
          r.fetched.add(token);
          r.log.debug({ token, from: req.socket.remoteAddress }, 'ACME challenge fetched');
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end(answer);
        }),
      port,
      hosts,
      log,
    );
    return r;
  }

  set(token: string, keyAuthorization: string): void {
    this.tokens.set(token, keyAuthorization);
  }

  remove(token: string): void {
    this.tokens.delete(token);
  }

  private closing: Promise<void> | null = null;

  /** Closes the listener (once; later calls get the same promise). */
  close(): Promise<void> {
    if (!this.closing) {
      for (const s of this.servers) s.closeAllConnections();
      this.closing = closeAll(this.servers);
    }
    return this.closing;
  }
}
