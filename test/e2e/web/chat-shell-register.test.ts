import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchBrowser, screenshot } from '../../helpers/browser.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';
import { openTab, pageErrors, PASSWORD, storedSession, type Tab } from './chat-shell-helpers.js';

// Creating an account from the sign-in screen, as the server's registration settings allow:
// open (the dummy stage), with a registration token that an admin made through the admin
// API, or closed. Each case is a real Hearth with those homeserver.yaml settings.

async function fillRegistration(
  tab: Tab,
  user: string,
  opts: { token?: string; confirm?: string } = {},
) {
  const { page } = tab;
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(opts.confirm ?? PASSWORD);
  if (opts.token !== undefined) await page.getByLabel('Registration token').fill(opts.token);
  await page.getByRole('button', { name: 'Create account' }).click();
}

describe.runIf(chromiumAvailable())('chat client registration', { timeout: 90_000 }, () => {
  let browser: Browser;
  const servers: ListeningTestServer[] = [];
  const tabs: Tab[] = [];

  const start = async (config: Record<string, unknown>) => {
    const s = await listenTestServer(config);
    servers.push(s);
    await s.registerAdmin('admin');
    return s;
  };
  const open = async (s: ListeningTestServer) => {
    const t = await openTab(browser, s);
    tabs.push(t);
    await t.page.getByRole('button', { name: 'Create an account' }).click();
    return t;
  };

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const t of tabs) await t.context.close().catch(() => undefined);
    await browser?.close();
    for (const s of servers) await s.close();
  });

  it('registers with the dummy flow, and says when a name is taken or the passwords differ', async () => {
    const s = await start({});
    await s.register('taken', PASSWORD);
    const tab = await open(s);
    const { page } = tab;
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    expect(await page.getByLabel('Registration token').count()).toBe(0);

    await fillRegistration(tab, 'carol', { confirm: 'something else' });
    await page.getByRole('alert').getByText('The two passwords are not the same.').waitFor();
    await fillRegistration(tab, 'taken');
    await page.getByRole('alert').getByText('That username is taken. Try another one.').waitFor();
    await screenshot(page, 'chat-register-taken');

    await fillRegistration(tab, 'carol');
    await page.getByRole('navigation', { name: 'Rooms and people' }).waitFor({ timeout: 60_000 });
    await page.getByText('@carol:test.local').first().waitFor();
    const stored = (await storedSession(page))!;
    const who = await s.req('GET', '/_matrix/client/v3/account/whoami', {
      token: stored.accessToken,
    });
    expect(who.json().user_id).toBe('@carol:test.local');
    expect(pageErrors(tab.errors)).toEqual([]);
  });

  it('asks for a registration token when the server requires one, and accepts one an admin made', async () => {
    const s = await start({
      registration_requires_token: true,
      enable_registration_without_verification: false,
    });
    const admin = await s.req('POST', '/_matrix/client/v3/login', {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'admin' },
        password: 'correct horse battery staple',
      },
    });
    const made = await s.req('POST', '/_synapse/admin/v1/registration_tokens/new', {
      token: admin.json().access_token,
      body: { token: 'garden-gate', uses_allowed: 1 },
    });
    expect(made.statusCode).toBe(200);

    const tab = await open(s);
    const { page } = tab;
    await page.getByLabel('Registration token').waitFor();
    await page.getByText('This server needs a token to sign up.').waitFor();
    await screenshot(page, 'chat-register-token');

    await fillRegistration(tab, 'dave', { token: 'wrong-token' });
    await page
      .getByRole('alert')
      .getByText('That registration token is not valid, or has been used up.')
      .waitFor();
    await fillRegistration(tab, 'dave', { token: 'garden-gate' });
    await page.getByRole('navigation', { name: 'Rooms and people' }).waitFor({ timeout: 60_000 });

    const token = await s.req('GET', '/_synapse/admin/v1/registration_tokens/garden-gate', {
      token: admin.json().access_token,
    });
    expect(token.json()).toMatchObject({ uses_allowed: 1, completed: 1 });
    expect(pageErrors(tab.errors)).toEqual([]);
  });

  it('says plainly when the server takes no new accounts', async () => {
    const s = await start({ enable_registration: false });
    const tab = await open(s);
    await tab.page
      .getByRole('alert')
      .getByText('This server does not allow new accounts.')
      .waitFor();
    expect(await tab.page.getByRole('button', { name: 'Create account' }).count()).toBe(0);
    await tab.page.getByRole('button', { name: 'Sign in' }).click();
    await tab.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });
});
