import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Locator, Page, Response } from 'playwright-core';
import { expect } from 'vitest';
import { collectPageErrors, screenshot } from '../../helpers/browser.js';
import type { ListeningTestServer } from '../../helpers/listen.js';

/**
 * Shared by the encryption browser tests (e2ee*.test.ts, scenario*.test.ts): a person's
 * browser profile signed in to a real Hearth, an axe-core check, and sign-ins that make
 * a new device.
 */

export const PASSWORD = 'correct horse battery staple';

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors so far. */
  errors: string[];
  /** Every response the page received (to check the wasm's type, or what was uploaded). */
  responses: Response[];
}

export interface StoredSession {
  userId: string;
  token: string;
  deviceId: string;
}

/**
 * A fresh browser profile (its own IndexedDB and localStorage) at `hash`. With `session`,
 * it is signed in already, as after a reload (shared/session.ts's localStorage entry).
 */
export async function openPerson(
  browser: Browser,
  server: ListeningTestServer,
  opts: { session?: StoredSession; hash?: string; width?: number; dark?: boolean } = {},
): Promise<Person> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: 860 },
    acceptDownloads: true,
    colorScheme: opts.dark ? 'dark' : 'light',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
  if (opts.session) {
    const stored = JSON.stringify({
      homeserverUrl: server.baseUrl,
      userId: opts.session.userId,
      accessToken: opts.session.token,
      deviceId: opts.session.deviceId,
    });
    // Page code (no DOM types here): keep a session the page replaced (signed out or in again).
    await context.addInitScript(
      `if (!localStorage.getItem('hearth.session')) localStorage.setItem('hearth.session', ${JSON.stringify(stored)});`,
    );
  }
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  const responses: Response[] = [];
  page.on('response', (r) => responses.push(r));
  await page.goto(`${server.baseUrl}/${opts.hash ?? ''}`);
  return { context, page, errors, responses };
}

/** Signs in with the password (a new device), as a second browser or app would. */
export async function signInNewDevice(
  server: ListeningTestServer,
  user: string,
): Promise<StoredSession> {
  const res = await fetch(`${server.baseUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user },
      password: PASSWORD,
    }),
  });
  const b = (await res.json()) as { user_id: string; access_token: string; device_id: string };
  expect(res.status).toBe(200);
  return { userId: b.user_id, token: b.access_token, deviceId: b.device_id };
}

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core on the part of the page under `selector`; returns the serious and critical
 * violations as readable lines. axe is evaluated through the DevTools protocol, which the
 * page's CSP (scripts only from 'self') does not apply to, so the page under test keeps
 * its real policy.
 */
export async function seriousAxeViolations(page: Page, selector: string): Promise<string[]> {
  if (!(await page.evaluate('typeof axe !== "undefined"'))) await page.evaluate(axeSource);
  const violations = await page.evaluate(
    `axe.run({ include: [${JSON.stringify(selector)}] }, { resultTypes: ['violations'] }).then((r) => r.violations)`,
  );
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
    );
}

/** GET or POST on the client API as `token`, for what the server holds. */
export async function clientApi<T = Record<string, unknown>>(
  server: ListeningTestServer,
  token: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await server.req(body === undefined ? 'GET' : 'POST', path, { token, body });
  if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
  return res.json() as T;
}

/** The page errors that matter (not the expected 4xx answers the client logs). */
export function unexpectedErrors(errors: string[]): string[] {
  return errors.filter(
    (e) =>
      // The browser logs every non-2xx answer; the client asks for things that may not
      // exist yet (a key backup, account data) and gets 404s it expects.
      !/Failed to load resource: the server responded with a status of 40[134]/.test(e) &&
      // Hearth has no TURN server configured in tests; the SDK logs that once.
      !/Failed to get TURN URIs/.test(e) &&
      // matrix-js-sdk's call-session manager logs this (at error level) when a room's state
      // arrives in the same sync that creates the room; nothing is wrong.
      !/MatrixRTCSessionManager Got room state event for unknown room/.test(e),
  );
}

/**
 * A screenshot with `part` scrolled into view: the chat's panes scroll inside the page, so
 * a full-page shot alone would show only their top.
 */
export async function screenshotAt(page: Page, part: Locator, name: string): Promise<void> {
  await part.scrollIntoViewIfNeeded();
  await screenshot(page, name);
}
