import type { IncomingMessage } from 'node:http';
import type { Requester } from '../accounts/requester.js';
import { authenticateAccessToken } from '../accounts/tokens.js';
import { noteDeviceSeen } from '../accounts/devices.js';
import type { Ctx } from '../context.js';
import { MatrixError } from '../core/errors.js';
import { federationPausedError, isFederationPaused } from '../federation/pause.js';
import { noteDestinationUp } from '../federation/sender/queue.js';
import { authenticateFederationRequest } from '../federation/x-matrix.js';
import { clientIp } from './client-ip.js';
import type { AuthKind } from './route.js';

/**
 * The access token of a request: `Authorization: Bearer <token>`, or the deprecated
 * `access_token` query parameter (spec: "Using access tokens").
 */
export function extractAccessToken(
  req: IncomingMessage,
  query: Record<string, unknown>,
): string | null {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) {
      throw new MatrixError(
        'M_MISSING_TOKEN',
        'Invalid Authorization header: expected "Bearer <token>"',
        401,
      );
    }
    return m[1]!;
  }
  const q = query.access_token;
  return typeof q === 'string' && q ? q : null;
}

/**
 * Resolves the requester for a route's auth kind (for 'federation', the requesting server,
 * from its X-Matrix signature over the request and its parsed `body`); throws the spec's
 * 401/403 errors.
 */
export async function authenticateRequest(
  ctx: Ctx,
  req: IncomingMessage,
  query: Record<string, unknown>,
  kind: AuthKind,
  body?: unknown,
): Promise<{ requester: Requester | null; token: string | null; origin: string | null }> {
  if (kind === 'none') return { requester: null, token: null, origin: null };
  if (kind === 'federation') {
    if (isFederationPaused(ctx)) throw federationPausedError();
    const origin = await authenticateFederationRequest(ctx, {
      method: req.method ?? 'GET',
      uri: req.url ?? '/',
      authorization: req.headers.authorization,
      body,
    });
    noteDestinationUp(ctx, origin);
    return { requester: null, token: null, origin };
  }
  const token = extractAccessToken(req, query);
  if (!token) {
    if (kind === 'optional') return { requester: null, token: null, origin: null };
    throw new MatrixError('M_MISSING_TOKEN', 'Missing access token', 401);
  }
  const requester = await authenticateAccessToken(ctx, token);
  if (kind === 'admin' && !requester.isAdmin) {
    throw new MatrixError('M_FORBIDDEN', 'You are not a server admin', 403);
  }
  noteDeviceSeen(ctx, requester, clientIp(req), req.headers['user-agent'] ?? null);
  return { requester, token, origin: null };
}
