import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * Fetches the outside prober's JSON report (the federation tester's API by default). The
 * URL comes from homeserver.yaml, never from a request, so no address guard applies; the
 * answer is size-limited and timed out like any outgoing request.
 */
const MAX_BYTES = 1024 * 1024;

export function httpGetJson(url: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, { method: 'GET', headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BYTES) {
          req.destroy(new Error('the answer is too large'));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        if ((res.statusCode ?? 0) !== 200) {
          reject(new Error(`HTTP status ${res.statusCode}`));
          return;
        }
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new Error('the answer is not JSON'));
        }
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}
