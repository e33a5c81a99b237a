import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { encodeRecoveryKey } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { chromiumAvailable, launchBrowser } from '../../helpers/browser.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';
import {
  clientApi,
  openPerson,
  screenshotAt,
  PASSWORD,
  seriousAxeViolations,
  signInNewDevice,
  unexpectedErrors,
  type Person,
} from './e2ee-helpers.js';

// The web app's end-to-end encryption on its own: the Rust crypto (wasm) starts in Chromium
// under the page's CSP and publishes the device's keys; the Security settings set up key
// backup with a recovery key shown once, restore it on a new device (which becomes
// verified), refuse a wrong key in plain words, and ask for the password when the
// account's identity is replaced. Message decryption is in scenario.test.ts.

const SECURITY = 'section[aria-labelledby="crypto-settings-title"]';

async function securityOf(page: Page) {
  const section = page.locator(SECURITY);
  // When the section does not come, say what the page shows instead.
  await section.waitFor({ timeout: 30_000 }).catch(async (e: unknown) => {
    throw new Error(
      `no Security section; the page shows: ${await page.locator('body').innerText()}; ${String(e)}`,
    );
  });
  return section;
}

interface KeysQuery {
  device_keys: Record<
    string,
    Record<
      string,
      { keys: Record<string, string>; signatures: Record<string, Record<string, string>> }
    >
  >;
  master_keys?: Record<string, { keys: Record<string, string> }>;
  self_signing_keys?: Record<string, { keys: Record<string, string> }>;
}

describe.runIf(chromiumAvailable())('web app encryption (Security settings)', () => {
  let server: ListeningTestServer;
  let browser: Browser;
  const people: Person[] = [];
  let alice: { userId: string; token: string; deviceId: string };
  let recoveryKey = '';

  beforeAll(async () => {
    server = await listenTestServer();
    await server.registerAdmin('admin');
    alice = await server.register('alice', PASSWORD);
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    for (const p of people) await p.context.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  const open = async (
    ...args: Parameters<typeof openPerson> extends [unknown, unknown, ...infer R] ? R : never
  ) => {
    const p = await openPerson(browser, server, ...args);
    people.push(p);
    return p;
  };

  it('starts the Rust crypto in the browser under the CSP and publishes the device keys', async () => {
    const a = await open({ session: alice, hash: '#/settings' });
    const security = await securityOf(a.page);
    await expect
      .poll(() => security.getByTestId('crypto-backup-state').textContent(), { timeout: 30_000 })
      .toContain('Key backup is off');

    // The wasm came from /assets/ with its type, so it compiled by streaming.
    const wasm = a.responses.find((r) => /\/assets\/[^/]+\.wasm$/.test(r.url()));
    expect(wasm, 'the crypto wasm was fetched').toBeDefined();
    expect(wasm!.status()).toBe(200);
    expect(wasm!.headers()['content-type']).toBe('application/wasm');
    const csp = a.responses.find((r) => r.url() === `${server.baseUrl}/`)?.headers()[
      'content-security-policy'
    ];
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(unexpectedErrors(a.errors)).toEqual([]);

    // The keys live in IndexedDB (they survive a reload) ...
    const dbs = (await a.page.evaluate(
      'indexedDB.databases().then((l) => l.map((d) => d.name))',
    )) as string[];
    expect(dbs).toContain('matrix-js-sdk::matrix-sdk-crypto');
    // ... and the device published its identity keys, which the page shows as its fingerprint.
    const q = await clientApi<KeysQuery>(server, alice.token, '/_matrix/client/v3/keys/query', {
      device_keys: { [alice.userId]: [] },
    });
    const device = q.device_keys[alice.userId]?.[alice.deviceId];
    expect(device?.keys[`curve25519:${alice.deviceId}`]).toBeTruthy();
    const ed = device!.keys[`ed25519:${alice.deviceId}`]!;
    const shown = (await security.locator('.crypto-fingerprint').textContent())!.replace(/ /g, '');
    expect(shown).toBe(ed);
    await expect
      .poll(() => security.getByTestId('crypto-device-state').textContent())
      .toContain('Not verified');

    // A reload keeps the same device keys (no new identity uploaded).
    await a.page.reload();
    const again = await securityOf(a.page);
    expect((await again.locator('.crypto-fingerprint').textContent())!.replace(/ /g, '')).toBe(ed);

    await screenshotAt(a.page, a.page.locator(SECURITY), 'e2ee-security-backup-off');
    expect(await seriousAxeViolations(a.page, SECURITY)).toEqual([]);
  }, 90_000);

  it('sets up key backup with a recovery key shown once (copy, download, "I saved it")', async () => {
    const a = people[0]!;
    const security = await securityOf(a.page);
    await security.getByRole('button', { name: 'Set up key backup' }).click();
    await security.getByRole('heading', { name: 'Save your recovery key' }).waitFor();
    recoveryKey = (await security.getByLabel('Your recovery key').textContent())!.trim();
    expect(recoveryKey).toMatch(/^E[1-9A-HJ-NP-Za-km-z]{3}( [1-9A-HJ-NP-Za-km-z]{4}){11}$/);
    const continueButton = security.getByRole('button', { name: 'Continue' });
    expect(await continueButton.isDisabled()).toBe(true);

    await security.getByRole('button', { name: 'Copy' }).click();
    await security.getByText('Copied to the clipboard.').waitFor();
    expect(await a.page.evaluate('navigator.clipboard.readText()')).toBe(recoveryKey);
    const [download] = await Promise.all([
      a.page.waitForEvent('download'),
      security.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('hearth-recovery-key.txt');
    expect(readFileSync((await download.path())!, 'utf8').trim()).toBe(recoveryKey);
    await screenshotAt(
      a.page,
      security.getByRole('button', { name: 'Continue' }),
      'e2ee-recovery-key-shown',
    );
    expect(await seriousAxeViolations(a.page, SECURITY)).toEqual([]);

    await security.getByLabel('I have saved my recovery key somewhere safe').check();
    await continueButton.click();
    // The first identity of an account needs no password (MSC3967): no prompt.
    await expect
      .poll(() => security.getByTestId('crypto-backup-state').textContent(), { timeout: 30_000 })
      .toContain('Key backup is on');
    await security.getByText('Key backup is on. Keep your recovery key safe.').waitFor();
    await expect
      .poll(() => security.getByTestId('crypto-device-state').textContent())
      .toContain('Verified');
    expect(await security.getByLabel('Your recovery key').count()).toBe(0);
    await screenshotAt(a.page, security.getByTestId('crypto-backup-state'), 'e2ee-backup-on');
    expect(await seriousAxeViolations(a.page, SECURITY)).toEqual([]);

    // What the server holds: a backup version, secret storage, and a cross-signing identity.
    const version = await clientApi<{ version: string; algorithm: string }>(
      server,
      alice.token,
      '/_matrix/client/v3/room_keys/version',
    );
    expect(version.algorithm).toBe('m.megolm_backup.v1.curve25519-aes-sha2');
    const defaultKey = await clientApi<{ key: string }>(
      server,
      alice.token,
      `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/account_data/m.secret_storage.default_key`,
    );
    expect(defaultKey.key).toBeTruthy();
    const q = await clientApi<KeysQuery>(server, alice.token, '/_matrix/client/v3/keys/query', {
      device_keys: { [alice.userId]: [] },
    });
    expect(q.master_keys?.[alice.userId]).toBeDefined();
    expect(unexpectedErrors(a.errors)).toEqual([]);
  }, 90_000);

  it('verifies a new device with the recovery key (refusing a wrong one in plain words), then makes a new key there', async () => {
    const second = await signInNewDevice(server, 'alice');
    const b = await open({ session: second, hash: '#/settings', width: 360, dark: true });
    const security = await securityOf(b.page);
    await expect
      .poll(() => security.getByTestId('crypto-backup-state').textContent(), { timeout: 30_000 })
      .toContain('this device does not use it yet');
    await expect
      .poll(() => security.getByTestId('crypto-device-state').textContent())
      .toContain('Not verified');
    await screenshotAt(b.page, b.page.locator(SECURITY), 'e2ee-new-device-360px-dark');
    expect(await seriousAxeViolations(b.page, SECURITY)).toEqual([]);

    const input = security.getByLabel('Recovery key');
    const submit = security.getByRole('button', { name: 'Verify and restore' });
    await input.fill('not a key');
    await submit.click();
    await security.getByRole('alert').getByText('That is not a recovery key').waitFor();
    await input.fill(encodeRecoveryKey(randomBytes(32))!);
    await submit.click();
    await security
      .getByRole('alert')
      .getByText('That recovery key does not match your account')
      .waitFor();
    await screenshotAt(b.page, submit, 'e2ee-wrong-recovery-key-dark');

    await input.fill(recoveryKey);
    await submit.click();
    await security.getByText('This device is verified').first().waitFor({ timeout: 30_000 });
    await expect
      .poll(() => security.getByTestId('crypto-device-state').textContent(), { timeout: 30_000 })
      .toContain('Verified');
    await expect
      .poll(() => security.getByTestId('crypto-backup-state').textContent())
      .toContain('Key backup is on');

    // The server sees the new device signed by the account's self-signing key.
    const q = await clientApi<KeysQuery>(server, alice.token, '/_matrix/client/v3/keys/query', {
      device_keys: { [alice.userId]: [] },
    });
    const ssk = Object.keys(q.self_signing_keys![alice.userId]!.keys)[0]!;
    expect(
      Object.keys(q.device_keys[alice.userId]![second.deviceId]!.signatures[alice.userId]!),
    ).toContain(ssk);

    // With backup on here, a new recovery key keeps the identity and replaces the old key.
    const keyPath = `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/account_data/m.secret_storage.default_key`;
    const oldKeyId = (await clientApi<{ key: string }>(server, alice.token, keyPath)).key;
    await security.getByRole('button', { name: 'Make a new recovery key' }).click();
    const replacement = (await security
      .getByLabel('Your recovery key')
      .textContent({ timeout: 30_000 }))!.trim();
    expect(replacement).not.toBe(recoveryKey);
    await security.getByLabel('I have saved my recovery key somewhere safe').check();
    await security.getByRole('button', { name: 'Continue' }).click();
    await security
      .getByText('Key backup is on. Keep your recovery key safe.')
      .waitFor({ timeout: 30_000 });
    expect((await clientApi<{ key: string }>(server, alice.token, keyPath)).key).not.toBe(oldKeyId);
    const q2 = await clientApi<KeysQuery>(server, alice.token, '/_matrix/client/v3/keys/query', {
      device_keys: { [alice.userId]: [] },
    });
    expect(q2.master_keys![alice.userId]).toEqual(q.master_keys![alice.userId]);
    recoveryKey = replacement;
    expect(unexpectedErrors(b.errors)).toEqual([]);
  }, 90_000);

  it('replaces a lost recovery key after the account password (user-interactive auth)', async () => {
    const third = await signInNewDevice(server, 'alice');
    const c = await open({ session: third, hash: '#/settings' });
    const security = await securityOf(c.page);
    const before = await clientApi<KeysQuery>(
      server,
      alice.token,
      '/_matrix/client/v3/keys/query',
      {
        device_keys: { [alice.userId]: [] },
      },
    );
    await security.getByText('Lost your recovery key?').click();
    await security.getByRole('button', { name: 'Reset and make a new recovery key' }).click();
    await security.getByRole('heading', { name: 'Save your recovery key' }).waitFor();
    const newKey = (await security.getByLabel('Your recovery key').textContent())!.trim();
    expect(newKey).not.toBe(recoveryKey);
    await security.getByLabel('I have saved my recovery key somewhere safe').check();
    await security.getByRole('button', { name: 'Continue' }).click();

    // The account already has an identity: replacing it needs the password.
    await security.getByRole('heading', { name: 'Confirm it is you' }).waitFor({ timeout: 30_000 });
    await screenshotAt(
      c.page,
      security.getByRole('button', { name: 'Confirm' }),
      'e2ee-password-prompt',
    );
    expect(await seriousAxeViolations(c.page, SECURITY)).toEqual([]);
    await security.getByLabel('Password').fill('wrong password');
    await security.getByRole('button', { name: 'Confirm' }).click();
    await security.getByText('That password is not right').waitFor({ timeout: 30_000 });
    await security.getByLabel('Password').fill(PASSWORD);
    await security.getByRole('button', { name: 'Confirm' }).click();
    await expect
      .poll(() => security.getByTestId('crypto-backup-state').textContent(), { timeout: 30_000 })
      .toContain('Key backup is on');

    const after = await clientApi<KeysQuery>(server, alice.token, '/_matrix/client/v3/keys/query', {
      device_keys: { [alice.userId]: [] },
    });
    expect(after.master_keys![alice.userId]!.keys).not.toEqual(
      before.master_keys![alice.userId]!.keys,
    );
    expect(unexpectedErrors(c.errors)).toEqual([]);
  }, 90_000);

  it('starts a fresh key store when another person signs in on the same browser', async () => {
    // The Rust store's IndexedDB names are per origin, not per account: signing out must
    // leave nothing that stops the next person's crypto from starting.
    const c = people[people.length - 1]!;
    await c.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await c.page.getByLabel('Username').waitFor({ timeout: 30_000 });
    await server.register('bob', PASSWORD);
    await c.page.getByLabel('Username').fill('bob');
    await c.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await c.page.getByRole('button', { name: 'Sign in' }).click();
    await c.page.getByRole('navigation', { name: 'Rooms and people' }).waitFor({ timeout: 30_000 });
    await c.page.goto(`${server.baseUrl}/#/settings`);
    const security = await securityOf(c.page);
    await expect
      .poll(() => security.getByTestId('crypto-backup-state').textContent(), { timeout: 30_000 })
      .toContain('Key backup is off');
    const session = JSON.parse(
      (await c.page.evaluate('localStorage.getItem("hearth.session")')) as string,
    ) as { userId: string; accessToken: string; deviceId: string };
    expect(session.userId).toBe('@bob:test.local');
    const q = await clientApi<KeysQuery>(
      server,
      session.accessToken,
      '/_matrix/client/v3/keys/query',
      {
        device_keys: { [session.userId]: [] },
      },
    );
    const ed =
      q.device_keys[session.userId]![session.deviceId]!.keys[`ed25519:${session.deviceId}`];
    expect((await security.locator('.crypto-fingerprint').textContent())!.replace(/ /g, '')).toBe(
      ed,
    );
    expect(unexpectedErrors(c.errors)).toEqual([]);
  }, 90_000);
});
