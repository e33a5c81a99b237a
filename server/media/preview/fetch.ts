import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { isUrlBlacklisted, type UrlBlacklist } from './url-blacklist.js';
import type { PreviewNet } from './preview-net.js';

/** Why fetching a URL for a preview failed; preview-errors.ts turns it into an answer. */
export type FetchFailure =
  | 'blocked_address'
  | 'blacklisted'
  | 'bad_scheme'
  | 'redirects'
  | 'http_status'
  | 'timeout'
  | 'too_large'
  | 'dns'
  | 'network';

export class PreviewFetchError extends Error {
  constructor(
    readonly kind: FetchFailure,
    message: string,
    /** The upstream status, for 'http_status'. */
    readonly upstreamStatus?: number,
  ) {
    super(message);
    this.name = 'PreviewFetchError';
  }
}

/** An answer whose body is still to be read (and must be, or closed). */
export interface OpenedUrl {
  /** Where the answer came from, after redirects. */
  url: URL;
  headers: IncomingHttpHeaders;
  /** The body, cut off with a 'too_large' error past maxBytes, a 'timeout' past the deadline. */
  body: Readable;
  /** Ends the exchange (reading done or given up); idempotent. */
  close(): void;
  /**
   * From now on the body ends quietly at maxBytes instead of failing (an HTML page is
   * previewed from what fits; an image must never be stored cut short).
   */
  truncateAtLimit(): void;
}

export interface OpenOptions {
  blacklist: UrlBlacklist;
  /** Absolute time (Date.now()) by which the whole exchange, body included, must end. */
  deadline: number;
  maxBytes: number;
  headers: Record<string, string>;
}

const MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Throws 'bad_scheme' or 'blacklisted' for a URL a preview may not fetch. */
export function assertFetchable(url: URL, blacklist: UrlBlacklist): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PreviewFetchError(
      'bad_scheme',
      `only http and https URLs are previewed, not ${url.protocol}`,
    );
  }
  if (isUrlBlacklisted(blacklist, url)) {
    throw new PreviewFetchError('blacklisted', 'URL blocked by url_preview_url_blacklist');
  }
}

/**
 * GETs `url` through the preview guard, following up to 10 redirects, each target checked
 * again (scheme, URL blacklist, and, at connect, its addresses). Resolves once a 2xx answer's
 * headers arrive; rejects with PreviewFetchError. No cookies are kept or sent.
 */
export async function openUrl(net: PreviewNet, start: URL, opts: OpenOptions): Promise<OpenedUrl> {
  const seen = new Set<string>();
  let current = start;
  for (let hop = 0; ; hop++) {
    if (hop > 0 && current.protocol !== 'http:' && current.protocol !== 'https:') {
      // The client asked for an http(s) URL: the remote side sent us elsewhere.
      throw new PreviewFetchError('redirects', `redirect to a ${current.protocol} URL refused`);
    }
    assertFetchable(current, opts.blacklist);
    if (seen.has(current.href))
      throw new PreviewFetchError('redirects', `redirect loop at ${current.href}`);
    seen.add(current.href);
    const opened = await openOnce(net, current, opts);
    const location = opened.headers.location;
    if (!REDIRECTS.has(opened.status) || !location) {
      if (opened.status < 200 || opened.status > 299) {
        opened.close();
        throw new PreviewFetchError('http_status', `Got error ${opened.status}`, opened.status);
      }
      return opened;
    }
    opened.close();
    if (hop >= MAX_REDIRECTS) {
      throw new PreviewFetchError('redirects', `more than ${MAX_REDIRECTS} redirects`);
    }
    try {
      current = new URL(location, current);
    } catch {
      throw new PreviewFetchError('redirects', `redirect to an invalid URL: ${location}`);
    }
  }
}

/** One request: resolves with the status, headers and a limited body. */
function openOnce(
  net: PreviewNet,
  url: URL,
  opts: OpenOptions,
): Promise<OpenedUrl & { status: number }> {
  return new Promise((resolve, reject) => {
    const left = opts.deadline - Date.now();
    if (left <= 0) return reject(timedOut());
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const https = url.protocol === 'https:';
    const req = (https ? httpsRequest : httpRequest)({
      host,
      port: url.port ? Number(url.port) : https ? 443 : 80,
      method: 'GET',
      path: url.pathname + url.search,
      headers: opts.headers,
      agent: https ? net.https : net.http,
      ...(https && !isIP(host) ? { servername: host } : {}),
    });
    let res: IncomingMessage | null = null;
    const close = () => {
      clearTimeout(timer);
      req.destroy();
      res?.destroy();
    };
    // Past the deadline: before the answer, the promise fails; after it, the body does
    // (the error surfaces where the body is read, however late the reader starts).
    const timer = setTimeout(() => {
      if (res) res.destroy(timedOut());
      else {
        reject(timedOut());
        req.destroy();
      }
    }, left);
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (res) return;
      clearTimeout(timer);
      reject(fromSocketError(err));
    });
    req.on('response', (r) => {
      res = r;
      const status = r.statusCode ?? 0;
      const declared = Number(r.headers['content-length']);
      if (declared > opts.maxBytes && status >= 200 && status < 300) {
        close();
        return reject(tooLarge(opts.maxBytes));
      }
      const state = { truncate: false };
      const body = Readable.from(limited(r, opts.maxBytes, state), { objectMode: false });
      body.on('close', close);
      resolve({
        url,
        status,
        headers: r.headers,
        body,
        close,
        truncateAtLimit: () => void (state.truncate = true),
      });
    });
    req.end();
  });
}

/**
 * The answer's bytes up to `max`. Past it: an error ('too_large'), or with `truncate` the
 * bytes within the limit and a normal end. Read lazily, so every failure (the limit, the
 * deadline, a lost connection) reaches the reader, whenever it starts reading.
 */
async function* limited(
  r: IncomingMessage,
  max: number,
  state: { truncate: boolean },
): AsyncGenerator<Buffer> {
  let size = 0;
  try {
    for await (const chunk of r as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) {
        if (!state.truncate) throw tooLarge(max);
        yield chunk.subarray(0, chunk.length - (size - max));
        return;
      }
      yield chunk;
    }
  } catch (err) {
    throw err instanceof PreviewFetchError ? err : fromSocketError(err as NodeJS.ErrnoException);
  }
}

function timedOut(): PreviewFetchError {
  return new PreviewFetchError('timeout', 'the URL did not answer in time');
}

function tooLarge(max: number): PreviewFetchError {
  return new PreviewFetchError('too_large', `Requested file is too large > ${max} bytes`);
}

function fromSocketError(err: NodeJS.ErrnoException): PreviewFetchError {
  if (err instanceof PreviewFetchError) return err;
  if (err.code === 'EBLOCKEDADDRESS') {
    return new PreviewFetchError(
      'blocked_address',
      err.message.replace('ip_range_blacklist', 'url_preview_ip_range_blacklist'),
    );
  }
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'ENODATA') {
    return new PreviewFetchError('dns', 'DNS resolution failure during URL preview generation');
  }
  return new PreviewFetchError('network', `Failed to download content: ${err.message}`);
}
