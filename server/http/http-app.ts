import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import findMyWay from 'find-my-way';
import type { Ctx } from '../context.js';
import { MatrixError } from '../core/errors.js';
import { readJsonBody } from './body.js';
import { listenerOf } from './client-ip.js';
import { toHttpError } from './errors.js';
import { Reply, StreamReply, type Route } from './route.js';

/** gzip, with node:zlib loaded on the first compressed answer (few listeners ask for it). */
let gzipAsync: ((data: Buffer | string) => Promise<Buffer>) | null = null;
async function gzipped(data: Buffer | string): Promise<Buffer> {
  gzipAsync ??= promisify((await import('node:zlib')).gzip);
  return gzipAsync(data);
}

/** The HTTP side of Hearth: one request handler that any server (or `inject`) can call. */
export interface HttpApp {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** New requests get 503 from now on; resolves when the requests in flight are answered. */
  close(): Promise<void>;
}

/** CORS on every answer (spec: client-server API, "Web Browser Clients"), as name-value pairs. */
const CORS_HEADERS: readonly string[] = [
  'Access-Control-Allow-Origin',
  '*',
  'Access-Control-Allow-Methods',
  'GET, HEAD, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers',
  'X-Requested-With, Content-Type, Authorization, Date',
  'Access-Control-Expose-Headers',
  'Retry-After',
];

/**
 * Builds the request handler for a set of routes. What every endpoint shares lives here:
 * routing (find-my-way, the router fastify uses), 404 vs 405 M_UNRECOGNIZED, CORS on every
 * answer and OPTIONS answered on every path, JSON bodies within the route's limit, Matrix
 * errors for everything that goes wrong, HEAD for every GET, gzip where the listener asks
 * for it, and a debug log line per request.
 *
 * Hearth has its own small core rather than a framework: its routes, validation and errors
 * are its own already, and the framework's start-up time and memory were a third of the
 * budget for both (docs/decisions.md).
 */
export function createHttpApp(ctx: Ctx, routes: Route[]): HttpApp {
  const router = findMyWay({ maxParamLength: 1000 });
  for (const r of routes) {
    for (const path of r.paths) router.on(r.method, toRouterPath(path), () => {}, r);
  }
  let closing = false;
  let inFlight = 0;
  let drained: (() => void) | null = null;
  // The abort controllers of requests in flight that asked for one (long-polls): aborted
  // when the server closes, so that they end at once instead of holding shutdown.
  const aborts = new Set<AbortController>();

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    try {
      if (closing) throw new MatrixError('M_UNKNOWN', 'The server is shutting down', 503);
      if (method === 'OPTIONS') return await send(req, res, 200, {});
      const found = router.find(method === 'HEAD' ? 'GET' : (method as 'GET'), path);
      if (!found) throw unrecognized(method, path);
      const route = found.store as Route;
      const hasBody =
        req.headers['content-length'] !== undefined ||
        req.headers['transfer-encoding'] !== undefined;
      const body = hasBody && !route.rawBody ? await readJsonBody(req, route.bodyLimit) : undefined;
      const out = await route.run(ctx, {
        req,
        res,
        aborts,
        body,
        query: parseQuery(q === -1 ? '' : url.slice(q + 1)),
        params: found.params,
      });
      if (out instanceof StreamReply) await sendStream(req, res, out);
      else if (out instanceof Reply) await send(req, res, out.status, out.body, out.headers);
      else await send(req, res, 200, out);
    } catch (err) {
      const e = toHttpError(err, ctx.log, { method, path });
      const headers = e.status === 413 ? { ...e.headers, Connection: 'close' } : e.headers;
      await send(req, res, e.status, e.body, headers);
    } finally {
      if (ctx.log.isLevelEnabled('debug')) {
        const ms = Math.round(performance.now() - started);
        ctx.log.debug({ method, path, status: res.statusCode, ms }, 'request');
      }
    }
  }

  function unrecognized(method: string, path: string): MatrixError {
    const allowed = (['GET', 'PUT', 'POST', 'DELETE'] as const).filter(
      (m) => m !== method && router.find(m, path),
    );
    if (!allowed.length) return new MatrixError('M_UNRECOGNIZED', 'Unrecognized request', 404);
    return new MatrixError(
      'M_UNRECOGNIZED',
      `Method ${method} not allowed here`,
      405,
      {},
      { Allow: allowed.join(', ') },
    );
  }

  return {
    handle(req, res) {
      inFlight++;
      void dispatch(req, res).finally(() => {
        inFlight--;
        if (inFlight === 0) drained?.();
      });
    },
    close() {
      closing = true;
      for (const a of aborts) a.abort();
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => {
        drained = resolve;
      });
    },
  };
}

/**
 * Sends a JSON value (or a string or bytes with their own Content-Type). The headers go to
 * Node as one flat array, with the CORS ones prebuilt: on small answers, building header
 * objects was a visible share of the time per request.
 */
function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void | Promise<void> {
  if (res.headersSent) return;
  let payload: string | Buffer;
  let type = 'application/json';
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    payload = body;
    type = headers?.['Content-Type'] ?? 'text/plain; charset=utf-8';
  } else {
    payload = JSON.stringify(body ?? {});
  }
  const out: (string | number)[] = [...CORS_HEADERS, 'Content-Type', type];
  if (headers) {
    for (const k in headers) if (k !== 'Content-Type') out.push(k, headers[k]!);
  }
  if (
    payload.length >= 1024 &&
    listenerOf(req)?.compress &&
    /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')
  ) {
    return gzipped(payload).then((zipped) => {
      out.push('Content-Encoding', 'gzip', 'Vary', 'Accept-Encoding');
      finish(req, res, status, out, zipped);
    });
  }
  finish(req, res, status, out, payload);
}

/**
 * Sends a StreamReply: the headers (with CORS), then the stream piped out with backpressure.
 * Resolves when the answer is sent or the client went away (the stream is then destroyed,
 * closing its file).
 */
async function sendStream(
  req: IncomingMessage,
  res: ServerResponse,
  out: StreamReply,
): Promise<void> {
  const headers: string[] = [...CORS_HEADERS];
  for (const k in out.headers) headers.push(k, out.headers[k]!);
  res.writeHead(out.status, headers);
  if (!out.stream || req.method === 'HEAD') {
    out.stream?.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(out.stream, res);
  } catch {
    // The client went away mid-answer: nothing more to send, nothing to report.
  }
}

function finish(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: (string | number)[],
  payload: string | Buffer,
): void {
  headers.push('Content-Length', Buffer.byteLength(payload));
  res.writeHead(status, headers as string[]);
  res.end(req.method === 'HEAD' ? undefined : payload);
}

/** The query string as an object; a repeated key gives an array. No prototype to pollute. */
function parseQuery(qs: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<
    string,
    string | string[]
  >;
  if (!qs) return out;
  for (const [k, v] of new URLSearchParams(qs)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** `/profile/{userId}` -> `/profile/:userId` (find-my-way's syntax). */
function toRouterPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
