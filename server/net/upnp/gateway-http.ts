import { request } from 'node:http';

/** Descriptions and SOAP answers are a few KiB; anything much larger is not a router talking. */
const MAX_BODY_BYTES = 256 * 1024;

export interface GatewayResponse {
  status: number;
  body: string;
}

/**
 * One plain-HTTP request to a device on the local network (routers serve UPnP over HTTP
 * only). Not through the outgoing address guard (server/net/guarded-lookup.ts): that guard
 * keeps remote-controlled requests off the LAN, while these go to the LAN on purpose, to
 * the address the router itself announced. Rejects on a network error, a timeout or an
 * oversized answer.
 */
export function gatewayRequest(
  url: URL,
  opts: {
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: string;
    timeoutMs: number;
  },
): Promise<GatewayResponse> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body, 'utf8');
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        headers: {
          ...opts.headers,
          ...(body ? { 'Content-Length': String(body.length) } : {}),
          Connection: 'close',
        },
        timeout: opts.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(
              new Error(`the answer from ${url.host} is larger than ${MAX_BODY_BYTES} bytes`),
            );
            return;
          }
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${url.host} did not answer within ${opts.timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}
