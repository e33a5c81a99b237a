import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { errors } from '../core/errors.js';
import { packageRoot } from '../paths.js';
import { Reply, route } from '../http/route.js';

/**
 * The web app (renderer/, built by Vite into dist/renderer): one page at / and its hashed
 * assets under /assets/. The app talks to the server only through HTTP APIs, like any
 * other client.
 */
const webRoot = () => join(packageRoot(), 'dist', 'renderer');

/**
 * The page's policy: scripts only from this origin ('wasm-unsafe-eval' lets the Rust crypto
 * WebAssembly compile), images also from blob: and data: (decrypted media, previews), no
 * framing, no plugins.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // The page is small and names the current assets: always ask again.
  'Cache-Control': 'no-cache',
};

export const getWebApp = route({
  method: 'GET',
  paths: ['/'],
  auth: 'none',
  handler: async () => {
    let html: string;
    try {
      html = await readFile(join(webRoot(), 'index.html'), 'utf8');
    } catch {
      return new Reply(503, 'The web app is not built. Run `npm run build`, then reload.\n', {
        'Content-Type': 'text/plain; charset=utf-8',
      });
    }
    return new Reply(200, html, PAGE_HEADERS);
  },
});

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** GET /assets/{file} — the app's built files; names carry a content hash, so immutable. */
export const getWebAsset = route({
  method: 'GET',
  paths: ['/assets/{file}'],
  auth: 'none',
  schema: { params: Type.Object({ file: Type.String() }) },
  handler: async (_ctx, req) => {
    const file = req.params.file;
    // Only plain names Vite writes: no separators, no dot-files, a known type.
    const type = TYPES[extname(file)];
    if (!/^[A-Za-z0-9._-]+$/.test(file) || file.startsWith('.') || !type) {
      throw errors.notFound('No such file');
    }
    let data: Buffer;
    try {
      data = await readFile(join(webRoot(), 'assets', file));
    } catch {
      throw errors.notFound('No such file');
    }
    return new Reply(200, data, {
      'Content-Type': type,
      'Cache-Control': 'public, max-age=31536000, immutable',
      'X-Content-Type-Options': 'nosniff',
    });
  },
});

/** GET /health — 200 OK while the server runs (Synapse's health resource). */
export const getHealth = route({
  method: 'GET',
  paths: ['/health'],
  auth: 'none',
  handler: async () => new Reply(200, 'OK', { 'Content-Type': 'text/plain' }),
});

export const webuiRoutes = [getWebApp, getWebAsset, getHealth];
