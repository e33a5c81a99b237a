import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import findMyWay from 'find-my-way';
import sjson from 'secure-json-parse';
import type { Logger } from '../core/logger.js';
import { MatrixError } from '../core/errors.js';
import { listenerOf } from './client-ip.js';
import { sendHttpError, toHttpError } from './errors.js';

/** Largest JSON body accepted by default (routes may set their own limit). */
export const JSON_BODY_LIMIT = 2 * 1024 * 1024;

const gzipAsync = promisify(gzip);

/**
 * The cross-cutting behaviour every endpoint shares: JSON bodies whatever the content type
 * says (as Synapse), Matrix errors for everything that goes wrong, 404 vs 405
 * M_UNRECOGNIZED, CORS on every answer and OPTIONS answered everywhere, gzip where a
 * listener asks for it, and a debug log line per request.
 */
export function installPlumbing(app: FastifyInstance, log: Logger): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' }));
    } catch {
      done(new MatrixError('M_NOT_JSON', 'Content not JSON', 400), undefined);
    }
  });

  // A second router that knows every path, to tell "no such path" from "wrong method".
  const known = findMyWay();
  app.addHook('onRoute', (opts) => {
    const methods = Array.isArray(opts.method) ? opts.method : [opts.method];
    for (const method of methods) {
      const m = method.toUpperCase();
      if (m === 'OPTIONS' || m === 'HEAD') continue;
      if (!known.find(m as 'GET', opts.url)) known.on(m as 'GET', opts.url, () => {});
    }
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const other = ['GET', 'PUT', 'POST', 'DELETE'].filter(
      (m) => m !== request.method && known.find(m as 'GET', path),
    );
    if (other.length) {
      return sendHttpError(
        reply.header('Allow', other.join(', ')),
        new MatrixError('M_UNRECOGNIZED', `Method ${request.method} not allowed here`, 405),
      );
    }
    return sendHttpError(reply, new MatrixError('M_UNRECOGNIZED', 'Unrecognized request', 404));
  });
  app.setErrorHandler((err, request, reply) =>
    sendHttpError(reply, toHttpError(err as Error, log, request)),
  );

  app.addHook('onRequest', async (_request, reply) => {
    reply.headers({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization, Date',
      'Access-Control-Expose-Headers': 'Synapse-Trace-Id, Server, Retry-After',
    });
  });
  app.options('*', async (_request, reply) => reply.send({}));

  app.addHook('onSend', async (request, reply, payload) => {
    if (!listenerOf(request.raw)?.compress || typeof payload !== 'string' || payload.length < 1024)
      return payload;
    if (!/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return payload;
    reply.header('Content-Encoding', 'gzip').header('Vary', 'Accept-Encoding');
    reply.removeHeader('content-length');
    return gzipAsync(payload);
  });

  app.addHook('onResponse', async (request, reply) => {
    if (!log.isLevelEnabled('debug')) return;
    log.debug(
      {
        method: request.method,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
}
