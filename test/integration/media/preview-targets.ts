import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One page of a target site: the handler answers as a web server would. */
export type Page = (req: IncomingMessage, res: ServerResponse) => void;

export interface TargetSite {
  /** http://HOST:PORT */
  base: string;
  port: number;
  /** Paths requested, in order ("/page"). */
  hits: string[];
  /** Sets the page at `path` (exact path, query ignored). */
  page(path: string, handler: Page): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on a loopback address, playing a web site previews are made of. Unknown
 * paths answer 404. `port` 0 picks a free port; a second site may share a port on another
 * loopback address (127.0.0.2), as a DNS-rebinding target must.
 */
export async function startTargetSite(host = '127.0.0.1', port = 0): Promise<TargetSite> {
  const pages = new Map<string, Page>();
  const hits: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.push(path);
    const handler = pages.get(path);
    if (handler) return handler(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(port, host, r));
  const actual = (server.address() as AddressInfo).port;
  return {
    base: `http://${host}:${actual}`,
    port: actual,
    hits,
    page: (path, handler) => void pages.set(path, handler),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A page answering `body` with `type`. */
export function serve(
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Page {
  return (_req, res) => res.writeHead(200, { 'content-type': type, ...headers }).end(body);
}

/** A redirect to `location`. */
export function redirect(location: string, status = 302): Page {
  return (_req, res) => res.writeHead(status, { location }).end();
}
