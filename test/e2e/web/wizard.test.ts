import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  chromiumAvailable,
  collectPageErrors,
  launchBrowser,
  screenshot,
} from '../../helpers/browser.js';
import { parse as parseYaml } from 'yaml';
import { computeRegistrationMac } from '../../../server/accounts/shared-secret.js';
import { startFreshServer, type FreshServer } from '../../integration/setup/fresh-server.js';

const AXE = join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical findings on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate<boolean>("'axe' in window"))) await page.addScriptTag({ path: AXE });
  // A string: the tests are type-checked without the DOM's types.
  const violations = await page.evaluate<unknown[]>('axe.run().then((r) => r.violations)');
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Makes a (non-admin) account the way register_new_matrix_user does. */
async function registerWithSharedSecret(s: FreshServer, username: string): Promise<void> {
  const secret = (parseYaml(s.configText()) as { registration_shared_secret: string })
    .registration_shared_secret;
  const nonce = (await s.call('GET', '/_synapse/admin/v1/register')).body.nonce as string;
  const body = { nonce, username, password: 'a long secret', admin: false };
  const res = await s.call('POST', '/_synapse/admin/v1/register', {
    body: { ...body, mac: computeRegistrationMac(secret, body) },
  });
  expect(res.status).toBe(200);
}

/** The page is no wider than the window: nothing to scroll sideways at 360 px. */
async function overflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate<boolean>(
    'document.documentElement.scrollWidth > document.documentElement.clientWidth + 1',
  );
}

/** Each step is checked the same way: screenshot, accessibility, no sideways scrolling. */
async function checkStep(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect({ name, violations: await seriousViolations(page) }).toEqual({ name, violations: [] });
  expect({ name, overflow: await overflowsSideways(page) }).toEqual({ name, overflow: false });
}

// The first-run wizard on a fresh Hearth (the real runner on a generated homeserver.yaml),
// driven in Chromium from start to the chat client, as a person would.
describe.runIf(chromiumAvailable())('setup wizard in the browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('at full size, with a domain, going back and fixing mistakes', () => {
    let s: FreshServer;
    let context: BrowserContext;
    beforeAll(async () => {
      s = await startFreshServer();
      // axe is injected as a script; the page's CSP (scripts from 'self' only) would refuse it.
      context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        bypassCSP: true,
      });
    });
    afterAll(async () => {
      await context?.close();
      await s?.close();
    });

    it('runs all four steps and lands signed in', { timeout: 120_000 }, async () => {
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`${s.baseUrl}/`);
      await page.getByRole('heading', { name: 'Set up your Hearth server' }).waitFor();
      await expect.poll(() => page.getByText('Step 1 of 4').isVisible()).toBe(true);
      await checkStep(page, 'wizard-1-server-name');

      // Step 1: a domain; a bad one is refused as it is typed.
      await page.getByLabel(/A domain I own/).check();
      const domain = page.getByLabel('Domain name');
      await domain.fill('my server');
      await page.getByText(/A server name is a lower-case domain name/).waitFor();
      await expect.poll(() => domain.getAttribute('aria-invalid')).toBe('true');
      // Next does not go on while the name is wrong.
      await page.getByRole('button', { name: 'Next' }).click();
      await expect.poll(() => page.getByText('Step 1 of 4').isVisible()).toBe(true);
      await checkStep(page, 'wizard-1-server-name-error');
      await domain.fill('chat.example.org');
      await page.getByText('A valid server name.').waitFor();
      await page.getByText('Your address will be @admin:chat.example.org').waitFor();
      await page.getByRole('button', { name: 'Next' }).click();

      // Step 2: the admin account.
      await page.getByText('Step 2 of 4').waitFor();
      await page.getByLabel('User name').fill('Boss Person');
      await page.getByText(/User ID can only contain/).waitFor();
      await page.getByLabel('User name').fill('boss');
      await page.getByText('Available: you will be @boss:chat.example.org').waitFor();
      await page.getByLabel('Display name (optional)').fill('The Boss');
      await page.getByLabel('Password', { exact: true }).fill('short');
      await page.getByText('Strength: Too short').waitFor();
      await page.getByText('The password must be at least 8 characters long.').waitFor();
      await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple');
      await page.getByText(/Strength: (Good|Strong)/).waitFor();
      await page.getByLabel('Password again').fill('correct horse battery');
      await page.getByText('The passwords are not the same.').waitFor();
      await page.getByRole('button', { name: 'Next' }).click();
      await expect.poll(() => page.getByText('Step 2 of 4').isVisible()).toBe(true);
      await checkStep(page, 'wizard-2-admin-error');
      await page.getByLabel('Password again').fill('correct horse battery staple');
      await page.getByText('The passwords match.').waitFor();
      await checkStep(page, 'wizard-2-admin');

      // Back to step 1: what was entered is still there.
      await page.getByRole('button', { name: 'Back' }).click();
      await page.getByText('Step 1 of 4').waitFor();
      expect(await page.getByLabel('Domain name').inputValue()).toBe('chat.example.org');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByText('Step 2 of 4').waitFor();
      expect(await page.getByLabel('User name').inputValue()).toBe('boss');
      await page.getByRole('button', { name: 'Next' }).click();

      // Step 3: who may register.
      await page.getByText('Step 3 of 4').waitFor();
      expect(await page.getByLabel(/Nobody else/).isChecked()).toBe(true);
      await page.getByLabel(/People with an invite token/).check();
      await checkStep(page, 'wizard-3-registration');
      await page.getByRole('button', { name: 'Next' }).click();

      // Step 4: headless with a domain: reverse proxy and .well-known, exactly.
      await page.getByText('Step 4 of 4').waitFor();
      await page.getByText('Caddy (gets certificates by itself)').click();
      await page.getByText('nginx', { exact: true }).click();
      const code = await page.locator('pre code').allTextContents();
      expect(code.join('\n')).toContain('chat.example.org:8448 {');
      expect(code.join('\n')).toContain(`reverse_proxy localhost:`);
      expect(code.join('\n')).toContain('listen 8448 ssl;');
      expect(code).toContain(JSON.stringify({ 'm.server': 'chat.example.org:443' }, null, 2));
      await page.getByLabel('Host where Hearth runs').fill('matrix.chat.example.org');
      const client = JSON.parse(
        (await page.locator('pre code').allTextContents()).find((c) => c.includes('m.homeserver'))!,
      ) as unknown;
      expect(client).toEqual({ 'm.homeserver': { base_url: 'https://matrix.chat.example.org' } });
      await page.getByText('@boss:chat.example.org').first().waitFor();
      await checkStep(page, 'wizard-4-network');

      // The reachability check belongs to the desktop work (issue 8), built in parallel: an
      // answer of its documented shape stands in for it here, so this test does not depend
      // on its findings about this machine's network. The wizard asks it as the new admin.
      let reachAuth = '';
      await page.route('**/_hearth/admin/v1/reachability', (route) => {
        reachAuth = route.request().headers().authorization ?? '';
        return route.fulfill({
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({
            summary: 'Other servers cannot reach this one yet.',
            items: [
              { id: 'dns', label: 'DNS points here', ok: true, detail: 'chat.example.org' },
              {
                id: 'port',
                label: 'Port 8448 is open',
                ok: false,
                detail: 'Nothing answered from outside.',
                fix: 'Forward TCP port 8448 on your router to this computer.',
              },
            ],
            checked_ts: 0,
          }),
        });
      });
      await page.getByRole('button', { name: 'Create my server' }).click();
      await page.getByRole('heading', { name: 'Your server is ready' }).waitFor();
      await page.getByText('@boss:chat.example.org').first().waitFor();
      await page.getByText('Forward TCP port 8448 on your router to this computer.').waitFor();
      await page.getByText('Other servers cannot reach this one yet.').waitFor();
      await checkStep(page, 'wizard-5-done');
      // The wizard itself ran without script errors (the reachability check may 404).
      expect(errors.filter((e) => !/404/.test(e))).toEqual([]);

      // Signed in: the session is saved and works against the server.
      const session = JSON.parse(
        (await page.evaluate<string | null>("localStorage.getItem('hearth.session')")) ?? '{}',
      ) as { userId?: string; accessToken?: string };
      expect(session.userId).toBe('@boss:chat.example.org');
      const who = await s.call('GET', '/_matrix/client/v3/account/whoami', {
        token: session.accessToken!,
      });
      expect(who.body.user_id).toBe('@boss:chat.example.org');
      expect(reachAuth).toBe(`Bearer ${session.accessToken!}`);

      await page.getByRole('button', { name: 'Start chatting' }).click();
      await page
        .getByRole('heading', { name: 'Your server is ready' })
        .waitFor({ state: 'detached' });
      await expect.poll(() => page.evaluate<string>('location.hash')).toBe('#/');
      // The chat client, signed in: its room list, and no sign-in form.
      await page.getByRole('navigation', { name: 'Rooms and people' }).waitFor({ timeout: 60_000 });
      expect(await page.locator('input[type=password]').count()).toBe(0);
      await screenshot(page, 'wizard-6-chat');

      // The server took the settings: token registration, the new name.
      const reg = await s.call('POST', '/_matrix/client/v3/register', { body: {} });
      expect(reg.status).toBe(401);
      expect(JSON.stringify(reg.body.flows)).toContain('m.login.registration_token');
      // A reload stays signed in, and setup is over.
      await page.reload();
      await page.getByRole('navigation', { name: 'Rooms and people' }).waitFor({ timeout: 60_000 });
      expect(await page.getByRole('heading', { name: 'Set up your Hearth server' }).count()).toBe(
        0,
      );
      await page.close();
    });
  });

  describe('at 360 px in dark mode, for this computer only', () => {
    let s: FreshServer;
    let context: BrowserContext;
    beforeAll(async () => {
      s = await startFreshServer();
      context = await browser.newContext({
        viewport: { width: 360, height: 740 },
        colorScheme: 'dark',
        bypassCSP: true,
      });
    });
    afterAll(async () => {
      await context?.close();
      await s?.close();
    });

    it('fits the screen at every step, keyboard only', { timeout: 90_000 }, async () => {
      const page = await context.newPage();
      await page.goto(`${s.baseUrl}/`);
      await page.getByText('Step 1 of 4').waitFor();
      await checkStep(page, 'wizard-360-1-server-name');
      expect(await page.getByLabel(/Just this computer/).isChecked()).toBe(true);
      await page.getByRole('button', { name: 'Next' }).focus();
      await page.keyboard.press('Enter');
      await page.getByText('Step 2 of 4').waitFor();
      // The heading of the new step has the focus (screen readers announce it).
      await expect
        .poll(() => page.evaluate<string | undefined>('document.activeElement?.textContent'))
        .toBe('Your admin account');
      await page.keyboard.press('Tab');
      await page.keyboard.type('admin', { delay: 0 });
      await page.getByLabel('User name').fill('me');
      await page.getByLabel('Password', { exact: true }).fill('a rather long passphrase');
      await page.getByLabel('Password again').fill('a rather long passphrase');
      await page.getByText('Available: you will be @me:localhost').waitFor();
      await checkStep(page, 'wizard-360-2-admin');
      await page.getByLabel('Password again').press('Enter');
      await page.getByText('Step 3 of 4').waitFor();
      await checkStep(page, 'wizard-360-3-registration');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByText('Step 4 of 4').waitFor();
      await page.getByText('Federation is off.').waitFor();
      await checkStep(page, 'wizard-360-4-network');
      // Meanwhile someone takes the name (shared-secret registration, not an admin): the
      // apply is refused and the wizard goes back to the step with the field to fix.
      await registerWithSharedSecret(s, 'me');
      await page.getByRole('button', { name: 'Create my server' }).click();
      await page.getByText('Step 2 of 4').waitFor();
      await page
        .getByRole('alert')
        .getByText('That user name was taken meanwhile. Choose another one.')
        .waitFor();
      await checkStep(page, 'wizard-360-2-admin-taken');
      await page.getByLabel('User name').fill('me2');
      await page.getByText('Available: you will be @me2:localhost').waitFor();
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByText('Step 3 of 4').waitFor();
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByText('Step 4 of 4').waitFor();
      await page.getByRole('button', { name: 'Create my server' }).click();
      await page.getByRole('heading', { name: 'Your server is ready' }).waitFor();
      await page.getByText('@me2:localhost').waitFor();
      await checkStep(page, 'wizard-360-5-done');
      await page.getByRole('button', { name: 'Start chatting' }).click();
      await expect.poll(() => page.evaluate<string>('location.hash')).toBe('#/');
      const reg = await s.call('POST', '/_matrix/client/v3/register', { body: {} });
      expect([reg.status, reg.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
      await page.close();
    });
  });

  describe('from another machine', () => {
    let s: FreshServer;
    let context: BrowserContext;
    beforeAll(async () => {
      // Behind a reverse proxy that says the browser is elsewhere.
      s = await startFreshServer({ xForwarded: true });
      context = await browser.newContext({
        viewport: { width: 1024, height: 800 },
        bypassCSP: true,
        extraHTTPHeaders: { 'X-Forwarded-For': '198.51.100.7' },
      });
    });
    afterAll(async () => {
      await context?.close();
      await s?.close();
    });

    it(
      'asks for the setup token, refuses a wrong one and goes on with the right one',
      { timeout: 60_000 },
      async () => {
        const page = await context.newPage();
        await page.goto(`${s.baseUrl}/`);
        await page.getByRole('heading', { name: 'Prove this is your server' }).waitFor();
        await checkStep(page, 'wizard-token');
        await page.getByLabel('Setup token').fill('wrongtoken');
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByText('That token is not right.').waitFor();
        const token = (await import('node:fs'))
          .readFileSync(join(s.dir, 'setup-token'), 'utf8')
          .trim();
        await page.getByLabel('Setup token').fill(token);
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByText('Step 1 of 4').waitFor();
        // The address the log prints (#/setup/TOKEN) opens the wizard directly.
        const other = await context.newPage();
        await other.goto(`${s.baseUrl}/#/setup/${token}`);
        await other.getByText('Step 1 of 4').waitFor();
        expect(await other.evaluate<string>('location.hash')).toBe('#/setup');
        await other.close();
        await page.close();
      },
    );
  });
});
