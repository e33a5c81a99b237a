import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, collectPageErrors, launchBrowser } from '../../helpers/browser.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';

// The web app is served at / with its assets, under a strict Content-Security-Policy, and
// its first screen depends on whether the server has an admin yet.
describe.runIf(chromiumAvailable())('web app shell', () => {
  let server: ListeningTestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await listenTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves the page with a CSP and hashed, immutable assets', async () => {
    const page = await fetch(`${server.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    const asset = /\/assets\/[A-Za-z0-9._-]+\.js/.exec(html)?.[0];
    expect(asset).toBeDefined();
    const js = await fetch(`${server.baseUrl}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
  });

  it('refuses asset paths outside the built assets', async () => {
    for (const p of ['/assets/..%2Fpackage.json', '/assets/.hidden.js', '/assets/x.exe']) {
      const res = await fetch(`${server.baseUrl}${p}`);
      expect(res.status).toBe(404);
    }
  });

  it('reports setup as needed until an admin exists', async () => {
    const res = await fetch(`${server.baseUrl}/_hearth/v1/setup`);
    expect(await res.json()).toEqual({ needs_setup: true });
  });

  it('renders in Chromium without script errors', async () => {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${server.baseUrl}/`);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });
});
