import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { chromiumAvailable, launchBrowser, screenshot } from '../../helpers/browser.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';
import {
  clientApi,
  openPerson,
  screenshotAt,
  PASSWORD,
  seriousAxeViolations,
  unexpectedErrors,
  type Person,
  type StoredSession,
} from './e2ee-helpers.js';

// Issue 7's scenario, through the web app only, in two browser profiles as two people:
// both register, Alice starts a direct chat (encrypted by default), they talk both ways and
// Alice sends an image; each sees the other typing and reading; every message decrypts,
// while the server only ever holds m.room.encrypted events and an encrypted image. Then
// Alice sets up key backup, signs in on a fresh browser, sees her old messages explained
// (not decryptable yet, and why), enters her recovery key, and reads them.

const TIMEOUT = 30_000;

async function register(p: Person, username: string): Promise<void> {
  const { page } = p;
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await screenshot(page, `scenario-register-${username}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('navigation', { name: 'Rooms and people' }).waitFor({ timeout: TIMEOUT });
}

async function signIn(p: Person, username: string): Promise<void> {
  const { page } = p;
  // When the form does not come, say what the page shows instead.
  await page
    .getByLabel('Username')
    .waitFor({ timeout: TIMEOUT })
    .catch(async (e: unknown) => {
      throw new Error(
        `no sign-in form; the page shows: ${await page.locator('body').innerText()}; ${String(e)}`,
      );
    });
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Rooms and people' }).waitFor({ timeout: TIMEOUT });
}

async function sessionOf(page: Page): Promise<StoredSession> {
  const raw = (await page.evaluate('localStorage.getItem("hearth.session")')) as string;
  const s = JSON.parse(raw) as { userId: string; accessToken: string; deviceId: string };
  return { userId: s.userId, token: s.accessToken, deviceId: s.deviceId };
}

const composer = (page: Page) => page.locator('.tl-composer-input');
const message = (page: Page, text: string) => page.locator('.tl-msg').filter({ hasText: text });

async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

async function openSecurity(page: Page) {
  await page.getByRole('button', { name: 'Settings' }).first().click();
  const security = page.locator('section[aria-labelledby="crypto-settings-title"]');
  await security.waitFor({ timeout: TIMEOUT });
  return security;
}

describe.runIf(chromiumAvailable())('two people in the web app: an encrypted direct chat', () => {
  let server: ListeningTestServer;
  let browser: Browser;
  const people: Person[] = [];
  let alice: Person;
  let bob: Person;
  let aliceSession: StoredSession;
  let roomId = '';
  let recoveryKey = '';

  beforeAll(async () => {
    server = await listenTestServer();
    await server.registerAdmin('admin'); // set up already: the chat client shows, not the wizard
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    for (const p of people) await p.context.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  it('two people register in their own browsers', async () => {
    alice = await openPerson(browser, server);
    bob = await openPerson(browser, server, { width: 390 });
    people.push(alice, bob);
    await register(alice, 'alice');
    await register(bob, 'bob');
    aliceSession = await sessionOf(alice.page);
    expect(aliceSession.userId).toBe('@alice:test.local');
    await screenshot(alice.page, 'scenario-alice-signed-in');
  }, 90_000);

  it('Alice starts a direct chat with Bob, encrypted by default; Bob accepts', async () => {
    await alice.page.getByRole('button', { name: 'Start chat' }).click();
    const dialog = alice.page.getByRole('dialog', { name: 'Start a chat' });
    await dialog.getByLabel('Name or user ID').fill('@bob:test.local');
    await dialog
      .getByRole('button', { name: /@bob:test\.local/ })
      .first()
      .click();
    await composer(alice.page).waitFor({ timeout: TIMEOUT });
    roomId = decodeURIComponent(/#\/room\/([^/]+)/.exec(alice.page.url())![1]!);
    await alice.page.locator('.tl-badge', { hasText: 'Encrypted' }).waitFor();
    await screenshot(alice.page, 'scenario-dm-started');

    await bob.page.getByRole('button', { name: /^Accept invite/ }).click({ timeout: TIMEOUT });
    await bob.page.goto(`${server.baseUrl}/#/room/${encodeURIComponent(roomId)}`);
    await composer(bob.page).waitFor({ timeout: TIMEOUT });
    const state = await clientApi<{ algorithm: string }>(
      server,
      aliceSession.token,
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.encryption/`,
    );
    expect(state.algorithm).toBe('m.megolm.v1.aes-sha2');
  }, 90_000);

  it('they talk both ways, see each other typing and reading, and every message decrypts', async () => {
    await composer(alice.page).pressSequentially('Hello Bob');
    await expect
      .poll(() => bob.page.locator('.tl-typing').textContent(), { timeout: TIMEOUT })
      .toMatch(/alice is typing/i);
    await screenshot(bob.page, 'scenario-bob-sees-typing');
    await alice.page.getByRole('button', { name: 'Send', exact: true }).click();
    await message(bob.page, 'Hello Bob').waitFor({ timeout: TIMEOUT });

    await send(bob.page, 'Hi Alice, this is encrypted');
    await message(alice.page, 'Hi Alice, this is encrypted').waitFor({ timeout: TIMEOUT });
    await send(alice.page, 'Here comes a picture');
    await message(bob.page, 'Here comes a picture').waitFor({ timeout: TIMEOUT });

    // An image, encrypted before upload: Bob's browser downloads and decrypts it.
    const png = await sharp({
      create: { width: 64, height: 48, channels: 3, background: '#c2410c' },
    })
      .png()
      .toBuffer();
    await alice.page
      .locator('.tl-composer input[type="file"]')
      .setInputFiles({ name: 'hearth.png', mimeType: 'image/png', buffer: png });
    const img = bob.page.locator('img.tl-image');
    await img.waitFor({ timeout: TIMEOUT });
    await expect
      .poll(
        () =>
          img.evaluate((el) => {
            const i = el as unknown as { complete: boolean; naturalWidth: number };
            return i.complete ? i.naturalWidth : 0;
          }),
        { timeout: TIMEOUT },
      )
      .toBe(64);

    // Each sees that the other read the conversation.
    await expect
      .poll(() => alice.page.locator('[aria-label^="Read by"]').last().getAttribute('aria-label'), {
        timeout: TIMEOUT,
      })
      .toMatch(/bob/i);
    await expect
      .poll(() => bob.page.locator('[aria-label^="Read by"]').last().getAttribute('aria-label'), {
        timeout: TIMEOUT,
      })
      .toMatch(/alice/i);
    await screenshot(alice.page, 'scenario-alice-conversation');
    await screenshot(bob.page, 'scenario-bob-conversation-390px');

    // Neither page shows a message it could not decrypt.
    expect(await alice.page.locator('[aria-label="Message not decrypted"]').count()).toBe(0);
    expect(await bob.page.locator('[aria-label="Message not decrypted"]').count()).toBe(0);

    // The server only ever held ciphertext: every message in the room is m.room.encrypted.
    const msgs = await clientApi<{
      chunk: { type: string; state_key?: string; content: Record<string, unknown> }[];
    }>(
      server,
      aliceSession.token,
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`,
    );
    const nonState = msgs.chunk.filter((e) => e.state_key === undefined);
    expect(nonState.length).toBeGreaterThanOrEqual(4);
    expect(new Set(nonState.map((e) => e.type))).toEqual(new Set(['m.room.encrypted']));
    expect(JSON.stringify(msgs.chunk)).not.toContain('Hello Bob');
    // ... and the image it stored is not a PNG (it was encrypted in the browser).
    const upload = alice.responses.find((r) => /\/_matrix\/media\/v3\/upload/.test(r.url()));
    expect(upload, 'the image was uploaded').toBeDefined();
    const mxc = ((await upload!.json()) as { content_uri: string }).content_uri;
    const stored = await server.req(
      'GET',
      `/_matrix/client/v1/media/download/${mxc.slice('mxc://'.length)}`,
      {
        token: aliceSession.token,
      },
    );
    expect(stored.statusCode).toBe(200);
    expect(stored.rawPayload.subarray(0, 8).equals(png.subarray(0, 8))).toBe(false);
    expect(unexpectedErrors(alice.errors)).toEqual([]);
    expect(unexpectedErrors(bob.errors)).toEqual([]);
  }, 120_000);

  it('Alice sets up key backup and her message keys go to the server', async () => {
    const security = await openSecurity(alice.page);
    await security.getByRole('button', { name: 'Set up key backup' }).click({ timeout: TIMEOUT });
    recoveryKey = (await security
      .getByLabel('Your recovery key')
      .textContent({ timeout: TIMEOUT }))!.trim();
    await screenshotAt(
      alice.page,
      security.getByRole('button', { name: 'Continue' }),
      'scenario-recovery-key',
    );
    await security.getByLabel('I have saved my recovery key somewhere safe').check();
    await security.getByRole('button', { name: 'Continue' }).click();
    await expect
      .poll(() => security.getByTestId('crypto-backup-state').textContent(), { timeout: TIMEOUT })
      .toContain('Key backup is on');
    expect(
      await seriousAxeViolations(alice.page, 'section[aria-labelledby="crypto-settings-title"]'),
    ).toEqual([]);
    // The room's keys are uploaded in the background.
    await expect
      .poll(
        async () =>
          (
            await clientApi<{ count: number }>(
              server,
              aliceSession.token,
              '/_matrix/client/v3/room_keys/version',
            )
          ).count,
        { timeout: TIMEOUT },
      )
      .toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('on a fresh browser Alice is told why old messages are locked, then reads them with her recovery key', async () => {
    const fresh = await openPerson(browser, server);
    people.push(fresh);
    await signIn(fresh, 'alice');
    await fresh.page.goto(`${server.baseUrl}/#/room/${encodeURIComponent(roomId)}`);
    await composer(fresh.page).waitFor({ timeout: TIMEOUT });

    // Sent before this device existed: a plain-words notice, not a raw error.
    const locked = fresh.page.locator('[aria-label="Message not decrypted"]');
    await locked.first().waitFor({ timeout: TIMEOUT });
    await expect
      .poll(() => locked.first().textContent(), { timeout: TIMEOUT })
      .toContain('Sent before you signed in on this device');
    expect(await locked.first().textContent()).toContain(
      'Enter your recovery key in Settings → Security',
    );
    expect(await message(fresh.page, 'Hello Bob').count()).toBe(0);
    await screenshot(fresh.page, 'scenario-new-device-locked-messages');

    const security = await openSecurity(fresh.page);
    await security.getByLabel('Recovery key').fill(recoveryKey);
    await security.getByRole('button', { name: 'Verify and restore' }).click();
    await security.getByText(/message keys? (was|were) restored/).waitFor({ timeout: TIMEOUT });
    await screenshotAt(fresh.page, security, 'scenario-new-device-restored');

    await fresh.page.goto(`${server.baseUrl}/#/room/${encodeURIComponent(roomId)}`);
    await message(fresh.page, 'Hello Bob').waitFor({ timeout: TIMEOUT });
    await message(fresh.page, 'Hi Alice, this is encrypted').waitFor({ timeout: TIMEOUT });
    await expect.poll(() => locked.count(), { timeout: TIMEOUT }).toBe(0);
    await screenshot(fresh.page, 'scenario-new-device-decrypted');
    expect(unexpectedErrors(fresh.errors)).toEqual([]);
  }, 120_000);
});
