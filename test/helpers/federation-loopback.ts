import { ALL_ROUTES } from '../../server/app.js';
import type { Clock } from '../../server/core/clock.js';
import type { Ctx } from '../../server/context.js';
import { createHttpApp } from '../../server/http/http-app.js';
import { startListeners } from '../../server/http/listeners.js';
import type { Route } from '../../server/http/route.js';
import {
  startFederationSender,
  type FederationSender,
} from '../../server/federation/sender/sender.js';
import { createRequestSigner } from '../../server/federation/x-matrix.js';
import {
  FederationTransportError,
  type FederationClient,
  type FederationRequest,
  type FederationResponse,
  type RequestSigner,
} from '../../server/federation/types.js';
import { createTestServer, type TestServer } from './server.js';

/**
 * A FederationClient for tests: it reaches other test servers over plain HTTP on
 * loopback, by a map of server name -> port (the real transport, with discovery and TLS,
 * replaces it later). Signed requests carry the X-Matrix header `signer` makes. Every
 * request is recorded in `sent`, so a test can tell whether a server was asked at all.
 */
export interface LoopbackFederation extends FederationClient {
  /** server name -> port; tests add and remove servers as they start and stop them. */
  ports: Map<string, number>;
  sent: { destination: string; method: string; path: string }[];
}

export function loopbackFederation(
  ports: Record<string, number> | Map<string, number> = {},
  signer?: RequestSigner,
): LoopbackFederation {
  const map = ports instanceof Map ? ports : new Map(Object.entries(ports));
  const sent: LoopbackFederation['sent'] = [];
  return {
    ports: map,
    sent,
    async request(destination: string, req: FederationRequest): Promise<FederationResponse> {
      sent.push({ destination, method: req.method, path: req.path });
      const port = map.get(destination);
      if (port === undefined) {
        throw new FederationTransportError(
          `no test server named ${destination}`,
          destination,
          'dns',
        );
      }
      const headers: Record<string, string> = {};
      if (!req.unsigned && signer) {
        headers.authorization = signer(destination, req.method, req.path, req.body);
      }
      let payload: string | undefined;
      if (req.body !== undefined) {
        payload = JSON.stringify(req.body);
        headers['content-type'] = 'application/json';
      }
      let res: Response;
      try {
        res = await fetch(`http://127.0.0.1:${port}${req.path}`, {
          method: req.method,
          headers,
          ...(payload !== undefined ? { body: payload } : {}),
          signal: AbortSignal.timeout(req.timeoutMs ?? 10_000),
        });
      } catch (err) {
        const e = err as Error;
        const timedOut = e.name === 'TimeoutError';
        throw new FederationTransportError(
          `${destination}: ${e.message}`,
          destination,
          timedOut ? 'timeout' : 'connect',
        );
      }
      const bytes = Buffer.from(await res.arrayBuffer());
      const text = bytes.toString('utf8');
      if (req.maxBytes !== undefined && bytes.length > req.maxBytes) {
        throw new FederationTransportError(
          `${destination}: answer too large`,
          destination,
          'too_large',
        );
      }
      if (req.raw) {
        return {
          status: res.status,
          body: undefined,
          headers: Object.fromEntries(res.headers),
          rawBody: bytes,
        };
      }
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        throw new FederationTransportError(
          `${destination}: answer is not JSON`,
          destination,
          'bad_response',
        );
      }
      return { status: res.status, body, headers: Object.fromEntries(res.headers) };
    },
  };
}

export interface FederatedTestServer extends TestServer {
  serverName: string;
  port: number;
  baseUrl: string;
  /** Its own client to the other test servers (signing with its key). */
  federation: LoopbackFederation;
}

/**
 * A real Hearth named `serverName`, listening on a loopback port that is entered in
 * `ports` (shared by the servers of a test, so they reach each other by name), with a
 * loopback FederationClient as ctx.federation. `extraRoutes` are served beside every
 * route of the app (tests that need an endpoint of their own). trusted_key_servers is []
 * unless `config` says otherwise. close() stops it and takes it out of `ports`.
 */
export async function startFederatedServer(
  serverName: string,
  ports: Map<string, number>,
  opts: { config?: Record<string, unknown>; clock?: Clock; extraRoutes?: Route[] } = {},
): Promise<FederatedTestServer> {
  const server = await createTestServer(
    {
      server_name: serverName,
      trusted_key_servers: [],
      listeners: [
        {
          port: 0,
          bind_addresses: ['127.0.0.1'],
          type: 'http',
          resources: [{ names: ['client', 'federation'] }],
        },
      ],
      ...opts.config,
    },
    opts.clock ? { clock: opts.clock } : {},
  );
  const federation = loopbackFederation(ports, createRequestSigner(server.ctx.config));
  server.ctx.federation = federation;
  const app = opts.extraRoutes
    ? createHttpApp(server.ctx, [...ALL_ROUTES, ...opts.extraRoutes])
    : server.app;
  let listeners;
  try {
    listeners = await startListeners(app, server.ctx.config, server.ctx.log);
  } catch (err) {
    await server.close();
    throw err;
  }
  const port = listeners.addresses[0]!.port;
  ports.set(serverName, port);
  const closeServer = server.close;
  return Object.assign(server, {
    serverName,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    federation,
    async close() {
      if (ports.get(serverName) === port) ports.delete(serverName);
      await listeners.close();
      if (app !== server.app) await app.close();
      await closeServer();
    },
  });
}

/**
 * The outgoing queue of a test server over its own ctx.federation, retrying fast (50 ms,
 * doubling up to `maxMs`) so that tests that cut and heal links do not wait long.
 */
export function startTestSender(ctx: Ctx, maxMs = 500): Promise<FederationSender> {
  return startFederationSender(ctx, {
    client: ctx.federation,
    backoff: { minMs: 50, multiplier: 2, maxMs },
  });
}

/**
 * Polls `what` every 50 ms until it gives a value (anything but undefined or false), for
 * what travels between servers in the background; throws after `ms`.
 */
export async function until<T>(
  what: () => Promise<T | undefined | false>,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
