import type { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import { RequestFailure, sendRequest, type IncomingAnswer } from './http-request.js';

export interface HttpsGetOptions {
  /** A guarded agent (guarded-agent.ts) carrying the TLS trust to use. */
  agent: HttpsAgent;
  /** For the whole chain of requests, redirects included. */
  timeoutMs: number;
  maxBytes: number;
  /** 30x answers followed at most (default 5). */
  maxRedirects?: number;
  headers?: Record<string, string>;
}

/** A redirect that cannot be followed: a loop, too many, or to a non-HTTPS URL. */
export class RedirectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedirectError';
  }
}

/**
 * GETs an https: URL, following 30x redirects to other https: URLs (never to http:, which
 * would drop the TLS guarantees) and refusing loops. Rejects with RequestFailure or
 * RedirectError; any non-redirect status is returned as it is.
 */
export async function httpsGet(
  url: string,
  opts: HttpsGetOptions,
): Promise<IncomingAnswer & { url: string }> {
  const deadline = Date.now() + opts.timeoutMs;
  const seen = new Set<string>();
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'https:') {
      throw new RedirectError(`refusing to follow a redirect to ${current.protocol} (${current})`);
    }
    if (seen.has(current.href)) throw new RedirectError(`redirect loop at ${current}`);
    seen.add(current.href);
    const left = deadline - Date.now();
    if (left <= 0) throw new RequestFailure(`no answer within ${opts.timeoutMs} ms`, 'timeout');
    const host = current.hostname.replace(/^\[(.*)\]$/, '$1');
    const answer = await sendRequest({
      protocol: 'https:',
      host,
      port: current.port ? Number(current.port) : 443,
      method: 'GET',
      path: current.pathname + current.search,
      headers: { Host: current.host, Accept: 'application/json', ...opts.headers },
      ...(isIP(host) ? {} : { servername: host }),
      agent: opts.agent,
      timeoutMs: left,
      maxBytes: opts.maxBytes,
    });
    const location = answer.headers.location;
    if (answer.status < 300 || answer.status > 399 || answer.status === 304 || !location) {
      return { ...answer, url: current.href };
    }
    if (hop >= (opts.maxRedirects ?? 5)) {
      throw new RedirectError(`more than ${opts.maxRedirects ?? 5} redirects from ${url}`);
    }
    current = new URL(location, current);
  }
}
