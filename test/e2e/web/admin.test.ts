import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, screenshot } from '../../helpers/browser.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';
import {
  axeViolations,
  failShots,
  horizontalOverflow,
  pageFaults,
  http,
  login,
  profile,
  PW,
  sharedSecretUser,
  type Account,
  type Profile,
} from './admin-helpers.js';

// The admin views' users and registration tokens, driven in Chromium against a real Hearth
// that requires a registration token to sign up: what the admin sees, and what the server
// then does for other clients over HTTP.
// Room for gotoBuilt to wait out a rebuild of dist/ by someone else; a missing element
// still fails within the pages' own 10 s.
vi.setConfig({ testTimeout: 150_000 });

describe.runIf(chromiumAvailable())('admin views: users and tokens', () => {
  let server: ListeningTestServer;
  let browser: Browser;
  let admin: Account;
  let mallory: Account;
  let signedIn: Profile;
  beforeAll(async () => {
    server = await listenTestServer({ registration_requires_token: true });
    admin = await sharedSecretUser(server, 'root', true);
    mallory = await sharedSecretUser(server, 'mallory', false);
    browser = await launchBrowser();
    signedIn = await profile(browser, server, { account: admin });
  }, 60_000);
  afterEach((ctx) => failShots(ctx.task.name, ctx.task.result?.state === 'fail'));
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const heading = (page: Page, name: string) =>
    page.getByRole('heading', { level: 1, name, exact: true }).waitFor();

  it('an admin signs in with the sign-in form and lands on Users', async () => {
    const p = await profile(browser, server);
    const { page, errors } = await p.open('#/admin');
    await page.getByLabel('Username').fill('root');
    await page.getByLabel('Password', { exact: true }).fill(PW);
    await screenshot(page, 'admin-sign-in');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading(page, 'Users');
    await expect(page.getByRole('navigation', { name: 'Admin sections' })).toBeTruthy();
    expect(await page.getByRole('link', { name: 'Back to chat' }).getAttribute('href')).toBe('#/');
    expect(pageFaults(errors)).toEqual([]);
    // Signing out ends the session on the server as well.
    const token = JSON.parse(
      (await page.evaluate(`localStorage.getItem('hearth.session')`)) as string,
    ).accessToken as string;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Username').waitFor();
    expect((await http(server, 'GET', '/_matrix/client/v3/account/whoami', { token })).status).toBe(
      401,
    );
    await p.context.close();
  });

  it('lists users and searches by name', async () => {
    const { page, errors } = await signedIn.open('#/admin/users');
    await heading(page, 'Users');
    const table = page.getByRole('table');
    // Display names link to the accounts; their IDs show beneath.
    await table.getByRole('link', { name: 'mallory', exact: true }).waitFor();
    await table.getByRole('link', { name: 'root', exact: true }).waitFor();
    await table.getByText('@mallory:test.local').waitFor();
    await expect(page.getByText('1–2 of 2').isVisible()).resolves.toBe(true);
    await screenshot(page, 'admin-users');
    await page.getByRole('searchbox', { name: 'Search users by name or ID' }).fill('mall');
    await page.getByText('1–1 of 1').waitFor();
    expect(await table.getByRole('link').allTextContents()).toEqual(['mallory']);
    await page.getByRole('searchbox').fill('nobody-like-this');
    await page.getByText('No user matches “nobody-like-this”.').waitFor();
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('validates the new-user form, then creates a user who can log in', async () => {
    const { page, errors } = await signedIn.open('#/admin/users');
    await page.getByRole('button', { name: 'New user' }).click();
    const name = page.getByLabel('User name');
    await name.fill('Carol');
    await page.getByText('User names are lower case.').waitFor();
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    await name.fill('mallory');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByText('Use at least 8 characters.').waitFor();
    await page.getByLabel('Password', { exact: true }).fill(PW);
    await page.getByLabel('Repeat password').fill(PW);
    await page.getByRole('button', { name: 'Create user' }).click();
    // An existing name is refused, and mallory's password is left alone.
    await page.getByText('That user name is taken.').waitFor();
    expect((await login(server, 'mallory', PW)).status).toBe(200);

    await name.fill('carol');
    await page.getByLabel('Display name (optional)').fill('Carol Danvers');
    await screenshot(page, 'admin-user-create');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('status').filter({ hasText: 'Created @carol:test.local' }).waitFor();
    await page.getByRole('link', { name: 'Carol Danvers' }).waitFor();
    const res = await login(server, 'carol', PW);
    expect(res.status).toBe(200);
    expect(res.json.user_id).toBe('@carol:test.local');
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('resets a password: the new one logs in, the old one does not', async () => {
    const { page, errors } = await signedIn.open('#/admin/users/@carol:test.local');
    await heading(page, 'Carol Danvers');
    await screenshot(page, 'admin-user-detail');
    await page.getByLabel('New password', { exact: true }).fill('new secret 1234');
    await page.getByLabel('Repeat new password').fill('new secret 12');
    await page.getByText('The two passwords do not match.').waitFor();
    await page.getByLabel('Repeat new password').fill('new secret 1234');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'password of @carol:test.local was changed' })
      .waitFor();
    expect((await login(server, 'carol', 'new secret 1234')).status).toBe(200);
    const old = await login(server, 'carol', PW);
    expect(old.status).toBe(403);
    expect(old.json.errcode).toBe('M_FORBIDDEN');
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('makes a user a server admin', async () => {
    const { page, errors } = await signedIn.open('#/admin/users/@carol:test.local');
    await page.getByRole('button', { name: 'Make admin' }).click();
    await page.getByRole('status').filter({ hasText: 'is now a server admin' }).waitFor();
    await page.getByRole('button', { name: 'Remove admin rights' }).waitFor();
    const r = await http(server, 'GET', '/_synapse/admin/v1/users/@carol:test.local/admin', {
      token: admin.token,
    });
    expect(r.json).toEqual({ admin: true });
    // One's own admin rights cannot be removed from here.
    await page.goto(`${server.baseUrl}/#/admin/users/@root:test.local`);
    await page.getByRole('button', { name: 'Remove admin rights' }).waitFor();
    expect(await page.getByRole('button', { name: 'Remove admin rights' }).isDisabled()).toBe(true);
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('deactivates a user only after confirming; they can no longer log in', async () => {
    const { page, errors } = await signedIn.open('#/admin/users/@carol:test.local');
    await page.getByRole('button', { name: 'Deactivate…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Deactivate @carol:test.local?' });
    await dialog.waitFor();
    await screenshot(page, 'admin-user-deactivate-dialog');
    // Escape cancels; nothing happened.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect((await login(server, 'carol', 'new secret 1234')).status).toBe(200);

    await page.getByRole('button', { name: 'Deactivate…' }).click();
    // Cancel has the focus first: Enter alone does not destroy anything.
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Deactivate', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page
      .getByRole('status')
      .filter({ hasText: '@carol:test.local was deactivated.' })
      .waitFor();
    await page.getByText('Deactivated', { exact: true }).first().waitFor();
    const res = await login(server, 'carol', 'new secret 1234');
    expect(res.status).toBe(403);
    expect(res.json.errcode).toBe('M_USER_DEACTIVATED');
    // The list hides deactivated accounts unless asked.
    await page.goto(`${server.baseUrl}/#/admin/users`);
    await page.getByText('1–2 of 2').waitFor();
    await page.getByLabel('Show deactivated').check();
    await page.getByText('1–3 of 3').waitFor();
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('creates a token with uses and an expiry date; a new user registers with it', async () => {
    const { page, errors } = await signedIn.open('#/admin/tokens');
    await heading(page, 'Registration tokens');
    const uses = page.getByLabel('Uses allowed');
    await uses.fill('0');
    await page.getByText('Allow at least one use, or leave empty for unlimited.').waitFor();
    expect(await page.getByRole('button', { name: 'Create token' }).isDisabled()).toBe(true);
    await uses.fill('2');
    // A week ahead in the browser's own calendar.
    const day = (await page.evaluate(`(() => {
      const d = new Date(Date.now() + 7 * 86400000);
      return [d.getFullYear(), String(d.getMonth() + 1).padStart(2, '0'), String(d.getDate()).padStart(2, '0')].join('-');
    })()`)) as string;
    await page.getByLabel('Expires after').fill(day);
    await page.getByText(/^Works until the end of/).waitFor();
    await page.getByRole('button', { name: 'Create token' }).click();
    const made = page.getByRole('status').filter({ hasText: 'New token' });
    await made.waitFor();
    const token = (await made.locator('code').textContent())!;
    expect(token).toMatch(/^[A-Za-z0-9._~-]{16}$/);
    await screenshot(page, 'admin-tokens');

    // Copy puts the token on the clipboard.
    await made.getByRole('button', { name: `Copy token: ${token}` }).click();
    await made.getByText('Copied').waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);

    // What the server stored: 2 uses, expiring at the end of the chosen day (browser time).
    const endOfDay = (await page.evaluate(
      `(() => { const [y, m, d] = '${day}'.split('-').map(Number); return new Date(y, m - 1, d, 23, 59, 59, 999).getTime(); })()`,
    )) as number;
    const stored = await http(server, 'GET', `/_synapse/admin/v1/registration_tokens/${token}`, {
      token: admin.token,
    });
    expect(stored.json).toEqual({
      token,
      uses_allowed: 2,
      pending: 0,
      completed: 0,
      expiry_time: endOfDay,
    });

    // A new person registers over HTTP with the token (m.login.registration_token).
    const reg = (body: unknown) => http(server, 'POST', '/_matrix/client/v3/register', { body });
    const first = await reg({ username: 'dora', password: PW });
    expect(first.status).toBe(401);
    const session = first.json.session as string;
    const withToken = await reg({ auth: { type: 'm.login.registration_token', token, session } });
    expect(withToken.json.completed).toEqual(['m.login.registration_token']);
    const done = await reg({ auth: { type: 'm.login.dummy', session } });
    expect(done.status).toBe(200);
    expect(done.json.user_id).toBe('@dora:test.local');

    // Away and back: the list loads afresh.
    await page.getByRole('link', { name: 'Users' }).click();
    await heading(page, 'Users');
    await page.getByRole('link', { name: 'Tokens' }).click();
    const row = page.getByRole('row').filter({ hasText: token });
    await row.getByText('1 of 2').waitFor();
    await row.getByText('Valid').waitFor();
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('revokes a token after confirming; it no longer registers anyone', async () => {
    const made = await http(server, 'POST', '/_synapse/admin/v1/registration_tokens/new', {
      token: admin.token,
      body: { token: 'revoke-me', uses_allowed: null },
    });
    expect(made.status).toBe(200);
    const { page, errors } = await signedIn.open('#/admin/tokens');
    const row = page.getByRole('row').filter({ hasText: 'revoke-me' });
    await row.getByText('of unlimited').waitFor();
    await row.getByRole('button', { name: 'Revoke token revoke-me' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this token?' });
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.waitFor({ state: 'detached' });
    const validity = await http(
      server,
      'GET',
      '/_matrix/client/v1/register/m.login.registration_token/validity?token=revoke-me',
    );
    expect(validity.json).toEqual({ valid: false });
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('a signed-in non-admin sees a plain refusal', async () => {
    const p = await profile(browser, server, { account: mallory });
    const { page, errors } = await p.open('#/admin/users');
    await heading(page, 'This account is not a server admin');
    await page.getByText('@mallory:test.local').waitFor();
    expect(await page.getByRole('navigation', { name: 'Admin sections' }).count()).toBe(0);
    await screenshot(page, 'admin-not-admin');
    // The admin API itself refuses too (what the page relies on).
    const r = await http(server, 'GET', '/_synapse/admin/v2/users', { token: mallory.token });
    expect(r.status).toBe(403);
    expect(r.json.errcode).toBe('M_FORBIDDEN');
    expect(pageFaults(errors)).toEqual([]);
    await p.context.close();
  });

  it('pages through users, and is driven by the keyboard', async () => {
    for (let i = 0; i < 10; i++)
      await sharedSecretUser(server, `user${String(i).padStart(2, '0')}`, false);
    const { page, errors } = await signedIn.open('#/admin/users');
    await heading(page, 'Users');
    await page.getByLabel('Per page').selectOption('10');
    await page.getByText('1–10 of 13').waitFor();
    const pager = page.getByRole('navigation', { name: 'Users pages' });
    expect(await pager.getByRole('button', { name: '‹ Previous' }).isDisabled()).toBe(true);
    await pager.getByRole('button', { name: 'Next ›' }).click();
    await page.getByText('11–13 of 13').waitFor();
    expect(await page.getByRole('table').getByRole('link').count()).toBe(3);
    expect(await pager.getByRole('button', { name: 'Next ›' }).isDisabled()).toBe(true);
    await pager.getByRole('button', { name: '‹ Previous' }).click();
    await page.getByText('1–10 of 13').waitFor();
    // A new search starts again from the first page.
    await pager.getByRole('button', { name: 'Next ›' }).click();
    await page.getByText('11–13 of 13').waitFor();
    await page.getByRole('searchbox').fill('user0');
    await page.getByText('1–10 of 10').waitFor();

    // Keyboard: a section link opens with Enter, and focus moves to the new screen.
    await page.getByRole('link', { name: 'Tokens' }).focus();
    await page.keyboard.press('Enter');
    await heading(page, 'Registration tokens');
    expect(await page.evaluate('document.activeElement.tagName')).toBe('MAIN');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe(
      await page.getByLabel('Uses allowed').getAttribute('id'),
    );
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('is usable at 360 px: no sideways scrolling, tables as cards', async () => {
    const narrow = await profile(browser, server, { account: admin, width: 360, height: 740 });
    for (const [hash, title] of [
      ['#/admin/users', 'Users'],
      ['#/admin/tokens', 'Registration tokens'],
      ['#/admin/users/@root:test.local', 'root'],
    ] as const) {
      const { page, errors } = await narrow.open(hash);
      await heading(page, title);
      await page.waitForLoadState('networkidle');
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await screenshot(
        page,
        `admin-360-${hash.split('/')[2]}${hash.split('/')[3] ? '-detail' : ''}`,
      );
      expect(pageFaults(errors)).toEqual([]);
      await page.close();
    }
    await narrow.context.close();
  });

  it('has no serious or critical accessibility violations, light and dark', async () => {
    for (const dark of [false, true]) {
      const p = await profile(browser, server, { account: admin, bypassCSP: true, dark });
      for (const [hash, title] of [
        ['#/admin/users', 'Users'],
        ['#/admin/users/@root:test.local', 'root'],
        ['#/admin/tokens', 'Registration tokens'],
      ] as const) {
        const { page } = await p.open(hash);
        await heading(page, title);
        await page.waitForLoadState('networkidle');
        if (dark)
          await screenshot(page, `admin-dark-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`);
        expect({ hash, dark, violations: await axeViolations(page) }).toEqual({
          hash,
          dark,
          violations: [],
        });
        await page.close();
      }
      await p.context.close();
    }
    // The sign-in page and the refusal.
    const anon = await profile(browser, server, { bypassCSP: true });
    const { page } = await anon.open('#/admin');
    await page.getByLabel('Username').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await anon.context.close();
    const refused = await profile(browser, server, { account: mallory, bypassCSP: true });
    const r = await refused.open('#/admin');
    await heading(r.page, 'This account is not a server admin');
    expect(await axeViolations(r.page)).toEqual([]);
    await refused.context.close();
  }, 240_000);
});
