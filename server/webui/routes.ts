import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { Reply, route } from '../http/route.js';

/**
 * GET / — the web app (renderer/). The page talks to the server only through the Matrix
 * APIs, like any other client.
 */
export const getWebApp = route({
  method: 'GET',
  paths: ['/'],
  auth: 'none',
  handler: async () => {
    const html = await readFile(join(packageRoot(), 'renderer', 'index.html'), 'utf8');
    return new Reply(200, html, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy':
        "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'",
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

export const webuiRoutes = [getWebApp, getHealth];
