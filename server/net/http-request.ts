import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import {
  request as httpRequest,
  type Agent as HttpAgent,
  type IncomingHttpHeaders,
} from 'node:http';

/** One outgoing HTTP(S) request, with everything that must be explicit for it. */
export interface OutgoingRequest {
  protocol: 'https:' | 'http:';
  /** Where to connect: a host name (resolved by the agent's lookup) or an IP literal. */
  host: string;
  port: number;
  method: string;
  /** Path and query string. */
  path: string;
  headers: Record<string, string>;
  /** TLS SNI and the name the certificate must match; default `host`. */
  servername?: string;
  body?: Buffer;
  /** Guarded agent (guarded-agent.ts); it sets the lookup and the TLS trust. */
  agent: HttpsAgent | HttpAgent;
  /** The whole exchange, connect to last byte, must finish within this. */
  timeoutMs: number;
  /** Answers longer than this fail with RequestFailure 'too_large'. */
  maxBytes: number;
}

export interface IncomingAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request that ended without a complete answer: timeout, too large, or a socket error. */
export class RequestFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'too_large' | 'network',
    override readonly cause?: Error,
  ) {
    super(message);
    this.name = 'RequestFailure';
  }
}

/**
 * Sends one request and reads the whole answer into memory, up to `maxBytes`. Rejects with
 * RequestFailure; for 'network' its `cause` is the socket, DNS, TLS or address-guard error.
 */
export function sendRequest(req: OutgoingRequest): Promise<IncomingAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: RequestFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
      outgoing.destroy();
    };
    const send = req.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = send({
      host: req.host,
      port: req.port,
      method: req.method,
      path: req.path,
      headers: req.headers,
      // An IP literal must not be sent as SNI (RFC 6066 section 3); Node then checks the
      // certificate against the address itself.
      ...(req.servername ? { servername: req.servername } : {}),
      agent: req.agent,
    });
    const timer = setTimeout(
      () => fail(new RequestFailure(`no complete answer within ${req.timeoutMs} ms`, 'timeout')),
      req.timeoutMs,
    );
    outgoing.on('error', (err) => fail(new RequestFailure(err.message, 'network', err)));
    outgoing.on('response', (res) => {
      const declared = Number(res.headers['content-length']);
      if (declared > req.maxBytes) {
        fail(tooLarge(req.maxBytes));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > req.maxBytes) fail(tooLarge(req.maxBytes));
        else chunks.push(chunk);
      });
      res.on('error', (err) => fail(new RequestFailure(err.message, 'network', err)));
      res.on('close', () => {
        if (!res.complete) fail(new RequestFailure('the connection closed mid-answer', 'network'));
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    outgoing.end(req.body);
  });
}

function tooLarge(max: number): RequestFailure {
  return new RequestFailure(`the answer is larger than ${max} bytes`, 'too_large');
}
