import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { collectPageErrors, screenshot } from '../../helpers/browser.js';
import type { ListeningTestServer } from '../../helpers/listen.js';

/**
 * Shared by the admin views' browser tests (admin*.test.ts): accounts made over HTTP, a
 * browser profile signed in as one of them, and an axe-core check.
 */

export const PW = 'correct horse battery staple';

export interface Account {
  userId: string;
  token: string;
  deviceId: string;
}

/** An account made with the shared secret (register_new_matrix_user), admin or not. */
export async function sharedSecretUser(
  server: ListeningTestServer,
  username: string,
  admin: boolean,
): Promise<Account> {
  const nonceRes = await fetch(`${server.baseUrl}/_synapse/admin/v1/register`);
  const { nonce } = (await nonceRes.json()) as { nonce: string };
  const mac = createHmac('sha1', 'test-shared-secret')
    .update([nonce, username, PW, admin ? 'admin' : 'notadmin'].join('\0'))
    .digest('hex');
  const b = await http(server, 'POST', '/_synapse/admin/v1/register', {
    body: { nonce, username, password: PW, admin, mac },
  });
  expect(b.status).toBe(200);
  return { userId: b.json.user_id, token: b.json.access_token, deviceId: b.json.device_id };
}

/** A request as another client would make it; the answer's status and JSON. */
export async function http(
  server: ListeningTestServer,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; json: Record<string, any> }> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

/** POST /login with a password: the status and errcode a client would see. */
export async function login(server: ListeningTestServer, user: string, password: string) {
  return http(server, 'POST', '/_matrix/client/v3/login', {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password },
  });
}

/** Pages opened by the current test, shot on failure (failShots) to show what went wrong. */
const openPages: Page[] = [];

/** For afterEach: a screenshot of each page the test left open if it failed; then forget them. */
export async function failShots(name: string, failed: boolean): Promise<void> {
  const pages = openPages.splice(0);
  if (!failed) return;
  let i = 0;
  for (const page of pages) {
    if (page.isClosed()) continue;
    await screenshot(page, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}-${i++}`).catch(
      () => undefined,
    );
  }
}

export interface Profile {
  context: BrowserContext;
  /** Opens a page at `hash` (e.g. "#/admin/users"); its errors are collected. */
  open(hash: string): Promise<{ page: Page; errors: string[] }>;
}

/**
 * A browser profile. With `account`, it is signed in already (the session the web app keeps
 * in localStorage, shared/session.ts), unless the page replaced or removed it.
 * `bypassCSP` only for the axe check, whose script is injected inline.
 */
export async function profile(
  browser: Browser,
  server: ListeningTestServer,
  opts: {
    account?: Account;
    width?: number;
    height?: number;
    bypassCSP?: boolean;
    dark?: boolean;
  } = {},
): Promise<Profile> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 860 },
    bypassCSP: opts.bypassCSP ?? false,
    colorScheme: opts.dark ? 'dark' : 'light',
  });
  // A missing element fails in seconds, naming its locator, not at the test's timeout.
  context.setDefaultTimeout(10_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
  if (opts.account) {
    const stored = JSON.stringify({
      homeserverUrl: server.baseUrl,
      userId: opts.account.userId,
      accessToken: opts.account.token,
      deviceId: opts.account.deviceId,
    });
    // Page code, passed as text (no DOM types in the test's TypeScript).
    await context.addInitScript(
      `if (!sessionStorage.getItem('adm-test-seeded')) { sessionStorage.setItem('adm-test-seeded', '1'); localStorage.setItem('hearth.session', ${JSON.stringify(stored)}); }`,
    );
  }
  return {
    context,
    async open(hash) {
      const page = await context.newPage();
      openPages.push(page);
      const errors = collectPageErrors(page);
      await gotoBuilt(page, `${server.baseUrl}/${hash}`);
      return { page, errors };
    },
  };
}

/**
 * Opens the page until a screen (an h1) shows, waiting out a rebuild of dist/: while
 * scripts/build.js runs the server answers / with 503, or the page's lazily loaded chunk
 * is gone (new hashes) and nothing renders. Only matters when something rebuilds while the
 * tests run, as on a machine shared by several people.
 */
export async function gotoBuilt(page: Page, url: string): Promise<void> {
  for (let i = 0; ; i++) {
    const res = await page.goto(url);
    const rendered = await page
      .locator('#root h1')
      .first()
      .waitFor({ timeout: 15_000 })
      .then(() => true)
      .catch(() => false);
    if ((rendered && res?.status() !== 503) || i >= 20) return;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's serious and critical violations on the page as it is now (ids and nodes). */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const found = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ')))`)) as string[];
  return found;
}

/** The page is not wider than its window (nothing to scroll sideways at 360 px). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return (await page.evaluate(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  )) as number;
}

/**
 * Page errors other than Chromium's note on each HTTP error status (a 404 while checking
 * that a name is free, a 403 for a non-admin): those are answers the page expects.
 */
export function pageFaults(errors: string[]): string[] {
  return errors.filter(
    (e) => !/Failed to load resource: the server responded with a status of/.test(e),
  );
}
