import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectPageErrors } from '../../helpers/browser.js';
import type { ListeningTestServer } from '../../helpers/listen.js';

/** Shared by the chat-shell browser tests: a fresh browser profile and the sign-in form. */

export const PASSWORD = 'correct horse battery staple';

export interface Tab {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

export async function openTab(
  browser: Browser,
  server: ListeningTestServer,
  opts: { width?: number; height?: number; hash?: string; dark?: boolean; init?: string } = {},
): Promise<Tab> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    colorScheme: opts.dark ? 'dark' : 'light',
  });
  // Runs before the app's scripts (through the DevTools protocol: the page's CSP allows it).
  if (opts.init) await context.addInitScript(opts.init);
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.baseUrl}/${opts.hash ?? ''}`);
  // The first screen is either the sign-in form or (with a stored session) the chat.
  try {
    await page.locator('.auth-card, .chat-shell').first().waitFor({ timeout: 30_000 });
  } catch (err) {
    const shown = await page
      .locator('body')
      .innerText()
      .catch(() => '(no page)');
    throw new Error(
      `the app did not start; the page shows: ${shown.slice(0, 500)}; ${errors.join('; ')}`,
      { cause: err },
    );
  }
  return { context, page, errors };
}

/** Fills the sign-in form and waits for the room list. */
export async function signIn(page: Page, user: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  try {
    await page.getByRole('navigation', { name: 'Rooms and people' }).waitFor({ timeout: 60_000 });
  } catch (err) {
    // Say what the page showed instead: the failure is then readable from the log alone.
    const shown = await page
      .locator('#root')
      .innerText()
      .catch(() => '(no page)');
    throw new Error(`the room list did not appear; the page shows: ${shown.slice(0, 500)}`, {
      cause: err,
    });
  }
}

/** Uncaught exceptions in the page (console noise from expected 4xx answers aside). */
export function pageErrors(errors: string[]): string[] {
  return errors.filter((e) => e.startsWith('pageerror:'));
}

// Page-side code is passed as strings: the test project's TypeScript has no DOM types.

/** The session the app stored (shared/session.ts), or null. */
export async function storedSession(
  page: Page,
): Promise<{ userId: string; accessToken: string } | null> {
  return JSON.parse(
    await page.evaluate<string>(`localStorage.getItem('hearth.session') ?? 'null'`),
  );
}

/** Goes to an app route, as following a link would. */
export async function goTo(page: Page, segments: string[]): Promise<void> {
  const hash = '#/' + segments.map(encodeURIComponent).join('/');
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
}

/** The page's full width: wider than the viewport means a sideways scroll. */
export function scrollWidth(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth');
}
