import { OptionalKind, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';
import { authenticateRequest } from './auth.js';
import { clientIp } from './client-ip.js';

/**
 * A route is a plain object: method, spec paths (`{param}` as the spec writes them, so an
 * endpoint is one grep away from endpoints.tsv), the auth it needs, schemas for its input,
 * and a handler that calls one domain function and shapes the answer.
 */

export type AuthKind = 'none' | 'optional' | 'required' | 'admin';

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
  clientIp: string;
  userAgent: string | null;
  /** The bearer token as sent, for endpoints that act on it. */
  accessToken: string | null;
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
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  paths: string[];
  auth: A;
  schema?: S;
  /** Body size limit in bytes, when it differs from the JSON default. */
  bodyLimit?: number;
  handler(ctx: Ctx, req: RouteRequest<S, A>): Promise<unknown>;
}

export interface Route {
  method: RouteSpec<Schemas, AuthKind>['method'];
  paths: string[];
  register(app: FastifyInstance, ctx: Ctx): void;
}

/** Declares a route; `register` wires it into fastify later. */
export function route<const S extends Schemas, const A extends AuthKind>(
  spec: RouteSpec<S, A>,
): Route {
  return {
    method: spec.method,
    paths: spec.paths,
    register(app, ctx) {
      for (const path of withLegacyAliases(spec.paths)) {
        app.route({
          method: spec.method,
          url: toFastifyPath(path),
          ...(spec.bodyLimit ? { bodyLimit: spec.bodyLimit } : {}),
          // A body schema marked Type.Optional accepts an empty body (Synapse reads it as {}).
          ...(spec.schema?.body && OptionalKind in spec.schema.body
            ? {
                preValidation: async (request: FastifyRequest) => {
                  request.body ??= {};
                },
              }
            : {}),
          schema: {
            ...(spec.schema?.body ? { body: spec.schema.body } : {}),
            ...(spec.schema?.query ? { querystring: spec.schema.query } : {}),
            ...(spec.schema?.params ? { params: spec.schema.params } : {}),
          },
          handler: async (request: FastifyRequest, reply: FastifyReply) => {
            const auth = await authenticateRequest(ctx, request, spec.auth);
            const out = await spec.handler(ctx, {
              body: request.body,
              query: request.query,
              params: request.params,
              requester: auth.requester,
              accessToken: auth.token,
              clientIp: clientIp(request),
              userAgent: request.headers['user-agent'] ?? null,
            } as RouteRequest<S, A>);
            if (out instanceof Reply) {
              return reply.code(out.status).headers(out.headers).send(out.body);
            }
            return reply.send(out);
          },
        });
      }
    },
  };
}

/** `/profile/{userId}` -> `/profile/:userId` */
export function toFastifyPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

/**
 * Client-server paths are also served under the older r0 prefix, as Synapse does, for
 * clients that predate v3.
 */
function withLegacyAliases(paths: string[]): string[] {
  const out = new Set(paths);
  for (const p of paths)
    if (p.startsWith('/_matrix/client/v3/')) out.add(p.replace('/v3/', '/r0/'));
  return [...out];
}
