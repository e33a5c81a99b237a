import { existsSync, readdirSync, type Dirent } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { inject } from 'light-my-request';
import type { TestServer } from '../../helpers/server.js';

/** Helpers of the media-core tests: uploads of raw bytes, and what the media store holds. */

/** POST /_matrix/media/v3/upload through inject with raw bytes. */
export async function upload(
  s: TestServer,
  token: string,
  bytes: Buffer | string,
  opts: { contentType?: string; filename?: string } = {},
) {
  const qs = opts.filename ? `?filename=${encodeURIComponent(opts.filename)}` : '';
  const res = await inject(s.app.handle, {
    method: 'POST',
    url: `/_matrix/media/v3/upload${qs}`,
    headers: {
      authorization: `Bearer ${token}`,
      ...(opts.contentType ? { 'content-type': opts.contentType } : {}),
    },
    payload: bytes,
  });
  return res;
}

/** The media id of an mxc:// URI of test.local. */
export function mediaIdOf(contentUri: string): string {
  const m = /^mxc:\/\/test\.local\/([A-Za-z0-9_-]+)$/.exec(contentUri);
  if (!m) throw new Error(`not a local mxc URI: ${contentUri}`);
  return m[1]!;
}

/** Every file under a folder of the media store (content/ or tmp/), as relative paths. */
export function filesUnder(s: TestServer, sub: 'content' | 'tmp'): string[] {
  const root = join(s.ctx.config.mediaStorePath, sub);
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

/** How many local media rows there are. */
export async function countMediaRows(s: TestServer): Promise<number> {
  const row = await s.ctx.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM local_media');
  return row!.n;
}

/** Random bytes (incompressible, with every byte value). */
export function randomBytesOf(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += 65536) {
    const chunk = Buffer.from(
      Array.from({ length: Math.min(65536, n - i) }, () => Math.floor(Math.random() * 256)),
    );
    chunk.copy(b, i);
  }
  return b;
}

/**
 * An upload over a real socket, written in 64 KiB chunks with backpressure: `declared`
 * sets Content-Length (null: chunked), `abortAfter` cuts the connection after that many
 * bytes. Resolves with the answer (possibly before all was sent: a 413 mid-stream), or
 * null when the connection was cut.
 */
export function rawUpload(
  port: number,
  token: string,
  body: Buffer,
  opts: { declared?: number | null; abortAfter?: number; path?: string; method?: string } = {},
): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/octet-stream',
    };
    const declared = opts.declared === undefined ? body.length : opts.declared;
    if (declared !== null) headers['content-length'] = String(declared);
    const req = request({
      host: '127.0.0.1',
      port,
      method: opts.method ?? 'POST',
      path: opts.path ?? '/_matrix/media/v3/upload',
      headers,
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: '' }));
    });
    req.on('error', (err) => {
      if (opts.abortAfter !== undefined) resolve(null);
      else if (!answered) setTimeout(() => (answered ? undefined : reject(err)), 500);
    });
    let sent = 0;
    const limit = opts.abortAfter ?? body.length;
    const writeMore = () => {
      while (sent < limit && !answered && !req.destroyed) {
        const chunk = body.subarray(sent, Math.min(limit, sent + 65536));
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', writeMore);
          return;
        }
      }
      if (answered || req.destroyed) return;
      if (opts.abortAfter !== undefined) {
        // Let the server take in what was sent, then cut the connection mid-body.
        setTimeout(() => {
          req.destroy();
          resolve(null);
        }, 200);
      } else req.end();
    };
    writeMore();
  });
}

/** Waits until `check` holds (polling), or fails after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 3000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
