import type { Ctx } from '../../context.js';
import { isObject } from '../../core/is-object.js';
import { FederationTransportError, type FederationRequest } from '../../federation/types.js';

/**
 * One federation request on behalf of a client's /keys/query or /keys/claim, bounded by the
 * client's timeout: the answer, or the entry the server gets under `failures` (Synapse's
 * shape, which clients show: `{"status": 503, "message": "..."}`; the server's own status
 * when it answered with an error).
 */

export type Failure = { status: number; message: string };

export type Answer = { ok: true; body: Record<string, unknown> } | { ok: false; failure: Failure };

/**
 * POSTs `body` to `path` of `server`, giving up after `timeoutMs` (the transport is told the
 * same, and the wait is bounded here too, so a server that never answers cannot hold the
 * client's request). Never throws.
 */
export async function askServer(
  ctx: Ctx,
  server: string,
  path: string,
  body: Record<string, unknown>,
  timeoutMs: number,
): Promise<Answer> {
  const allowed = ctx.config.federationDomainWhitelist;
  if (allowed && !allowed.includes(server)) {
    return { ok: false, failure: { status: 403, message: 'Federation denied' } };
  }
  const req: FederationRequest = { method: 'POST', path, body, timeoutMs };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Answer>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          failure: { status: 503, message: `Timed out after ${timeoutMs} ms` },
        }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([send(ctx, server, req), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

async function send(ctx: Ctx, server: string, req: FederationRequest): Promise<Answer> {
  try {
    const res = await ctx.federation.request(server, req);
    if (res.status !== 200) {
      const b = isObject(res.body) ? res.body : {};
      const detail = [b.errcode, b.error].filter((x) => typeof x === 'string').join(': ');
      return {
        ok: false,
        failure: { status: res.status, message: detail || `HTTP ${res.status}` },
      };
    }
    if (!isObject(res.body)) {
      return { ok: false, failure: { status: 503, message: 'Malformed answer' } };
    }
    return { ok: true, body: res.body };
  } catch (err) {
    const message =
      err instanceof FederationTransportError
        ? err.reason === 'timeout'
          ? `Timed out after ${req.timeoutMs} ms`
          : err.message
        : 'Request failed';
    if (!(err instanceof FederationTransportError)) {
      ctx.log.warn({ err, server, path: req.path }, 'key request to another server failed');
    }
    return { ok: false, failure: { status: 503, message } };
  }
}
