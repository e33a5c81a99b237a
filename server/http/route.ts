import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Static, TSchema } from '@sinclair/typebox';
import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';
import { MatrixError } from '../core/errors.js';
import { authenticateRequest } from './auth.js';
import { JSON_BODY_LIMIT } from './body.js';
import { clientIp } from './client-ip.js';
import { compileValidator, isOptionalSchema, type Validator } from './validation.js';

/**
 * A route is a plain object: method, spec paths (`{param}` as the spec writes them, so an
 * endpoint is one grep away from endpoints.tsv), the auth it needs, schemas for its input,
 * and a handler that calls one domain function and shapes the answer.
 */

/** 'federation': another homeserver, authenticated by its X-Matrix signature. */
export type AuthKind = 'none' | 'optional' | 'required' | 'admin' | 'federation';
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface Schemas {
  body?: TSchema;
  query?: TSchema;
  params?: TSchema;
}

type In<S, K extends keyof Schemas> = S extends { [P in K]: infer T extends TSchema }
  ? Static<T>
  : undefined;
type Who<A extends AuthKind> = A extends 'required' | 'admin'
  ? Requester
  : A extends 'optional'
    ? Requester | null
    : null;

export interface RouteRequest<S extends Schemas, A extends AuthKind> {
  body: In<S, 'body'>;
  query: In<S, 'query'>;
  params: In<S, 'params'>;
  requester: Who<A>;
  /** The requesting server's name, for 'federation' routes (checked X-Matrix signature). */
  origin: A extends 'federation' ? string : null;
  clientIp: string;
  userAgent: string | null;
  /** The bearer token as sent, for endpoints that act on it. */
  accessToken: string | null;
  /** Aborts when the client goes away or the server shuts down (ends long-polls early). */
  signal: AbortSignal;
  /** The request's headers (lower-case names). */
  headers: IncomingHttpHeaders;
  /**
   * The request body as a stream, unread: only for `rawBody` routes (elsewhere the body
   * was already read into `body`, and this stream is empty).
   */
  bodyStream: Readable;
}

/** A non-200 answer, or one with headers; a handler's plain return value is sent as 200 JSON. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

export interface RouteSpec<S extends Schemas, A extends AuthKind> {
  method: Method;
  paths: string[];
  auth: A;
  schema?: S;
  /** Body size limit in bytes, when it differs from the JSON default. */
  bodyLimit?: number;
  /**
   * True: the body is not read nor parsed as JSON before the handler runs; the handler
   * streams it from `req.bodyStream` and enforces its own limit (media uploads). A body
   * schema has no meaning then.
   */
  rawBody?: boolean;
  handler(ctx: Ctx, req: RouteRequest<S, A>): Promise<unknown>;
}

/**
 * An answer whose body is a stream (a media file), sent as it is read: never held whole in
 * memory. `headers` should carry its Content-Type and Content-Length; `stream` null sends
 * no body (304, 416). Not compressed.
 */
export class StreamReply {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly stream: Readable | null,
  ) {}
}

/** What the HTTP app needs to know of a route to dispatch to it. */
export interface Route {
  method: Method;
  paths: string[];
  bodyLimit: number;
  /** The handler reads the body itself (RouteSpec.rawBody). */
  rawBody: boolean;
  /** Checks, authenticates and runs the handler; resolves with what to send. */
  run(ctx: Ctx, input: RouteInput): Promise<unknown>;
}

export interface RouteInput {
  req: IncomingMessage;
  res: ServerResponse;
  /** The app's set of live abort controllers (aborted when the server closes). */
  aborts: Set<AbortController>;
  body: unknown;
  query: Record<string, string | string[]>;
  params: Record<string, string | undefined>;
}

/** Declares a route. */
export function route<const S extends Schemas, const A extends AuthKind>(
  spec: RouteSpec<S, A>,
): Route {
  const check: Partial<Record<keyof Schemas, Validator>> = {};
  if (spec.schema?.params) check.params = compileValidator(spec.schema.params, 'params');
  if (spec.schema?.query) check.query = compileValidator(spec.schema.query, 'query');
  if (spec.schema?.body) check.body = compileValidator(spec.schema.body, 'body');
  // A body schema marked Type.Optional accepts an empty body (Synapse reads it as {}).
  const optionalBody = spec.schema?.body ? isOptionalSchema(spec.schema.body) : true;
  return {
    method: spec.method,
    paths: withLegacyAliases(spec.paths),
    bodyLimit: spec.bodyLimit ?? JSON_BODY_LIMIT,
    rawBody: spec.rawBody ?? false,
    async run(ctx, input) {
      const auth = await authenticateRequest(ctx, input.req, input.query, spec.auth, input.body);
      let body = input.body;
      if (body === undefined) {
        if (!optionalBody)
          throw new MatrixError('M_NOT_JSON', 'Content not JSON: expected a JSON object', 400);
        if (spec.schema?.body) body = {};
      }
      const failed =
        check.params?.(input.params) ?? check.query?.(input.query) ?? check.body?.(body) ?? null;
      if (failed) throw failed;
      return spec.handler(
        ctx,
        new HandlerRequest(
          input,
          body,
          auth.requester,
          auth.token,
          auth.origin,
        ) as unknown as RouteRequest<S, A>,
      );
    },
  };
}

/**
 * What a handler receives. A class rather than an object literal so that the abort signal
 * is a getter on the prototype: most requests never ask for it, and making one (an
 * AbortController and a 'close' listener) for every request cost a quarter of the
 * throughput of small requests.
 */
class HandlerRequest {
  readonly query: Record<string, string | string[]>;
  readonly params: Record<string, string | undefined>;
  readonly clientIp: string;
  readonly userAgent: string | null;
  private abort: AbortController | null = null;

  constructor(
    private readonly input: RouteInput,
    readonly body: unknown,
    readonly requester: Requester | null,
    readonly accessToken: string | null,
    readonly origin: string | null,
  ) {
    this.query = input.query;
    this.params = input.params;
    this.clientIp = clientIp(input.req);
    this.userAgent = input.req.headers['user-agent'] ?? null;
  }

  get headers(): IncomingHttpHeaders {
    return this.input.req.headers;
  }

  get bodyStream(): Readable {
    return this.input.req;
  }

  /** Aborts when the client goes away or the server shuts down. */
  get signal(): AbortSignal {
    if (!this.abort) {
      const abort = (this.abort = new AbortController());
      const { res, aborts } = this.input;
      aborts.add(abort);
      res.once('close', () => {
        aborts.delete(abort);
        if (!res.writableFinished) abort.abort();
      });
    }
    return this.abort.signal;
  }
}

/**
 * Client-server paths are also served under the older r0 prefix, as Synapse does, for
 * clients that predate v3.
 */
function withLegacyAliases(paths: string[]): string[] {
  const out = new Set(paths);
  for (const p of paths) {
    if (p.startsWith('/_matrix/client/v3/')) out.add(p.replace('/v3/', '/r0/'));
  }
  return [...out];
}
