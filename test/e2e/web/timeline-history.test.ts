import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, screenshot } from '../../helpers/browser.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';
import { unexpectedErrors } from './e2ee-helpers.js';
import { api, newDevice, openAs, send, until, type Login } from './timeline-helpers.js';

// Paging back through a long history in the browser: the client starts with the latest
// few messages (a short initial sync) and loads older pages as the person scrolls up.
describe.runIf(chromiumAvailable())('timeline history', { timeout: 120_000 }, () => {
  let server: ListeningTestServer;
  let browser: Browser;
  let alice: Login;
  let bob: Login;
  let roomId: string;
  const ids: string[] = [];
  const enc = encodeURIComponent;
  const label = (i: number) => `message ${String(i).padStart(3, '0')}`;
  const tile = (page: Page, text: string) =>
    page
      .locator('li.tl-msg')
      .filter({ has: page.locator('.tl-body', { hasText: text }) })
      .last();

  beforeAll(async () => {
    server = await listenTestServer();
    browser = await launchBrowser();
    await server.registerAdmin('admin');
    alice = await server.register('alice');
    bob = await server.register('bob');
    ({ room_id: roomId } = await api<{ room_id: string }>(
      server,
      alice.token,
      'POST',
      '/_matrix/client/v3/createRoom',
      {
        name: 'Archive',
        preset: 'public_chat',
      },
    ));
    await api(server, bob.token, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/join`, {});
    for (let i = 1; i <= 200; i++)
      ids.push(await send(server, bob.token, roomId, { msgtype: 'm.text', body: label(i) }));
    // The last message answers an old one, far beyond the first page.
    await send(server, bob.token, roomId, {
      msgtype: 'm.text',
      body: 'About that old one',
      'm.relates_to': { 'm.in_reply_to': { event_id: ids[4] } },
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('jumps to a replied message far back, loading history on the way', async () => {
    const { context, page, errors } = await openAs(browser, server, alice, `#/room/${enc(roomId)}`);
    const reply = tile(page, 'About that old one');
    await reply.waitFor({ timeout: 20_000 });
    expect(await page.locator(`li[data-event-id="${ids[4]}"]`).count()).toBe(0);
    const quote = reply.locator('button.tl-quote');
    await quote.getByText(label(5)).waitFor(); // the quote fetched the one event
    await quote.click();
    // The original is loaded, scrolled into view and focused (so keyboard users land there).
    const original = page.locator(`li.tl-msg[data-event-id="${ids[4]}"]`);
    try {
      await until(
        async () =>
          (await original
            .evaluate(
              (el) =>
                el === (el.ownerDocument as unknown as { activeElement: unknown }).activeElement,
            )
            .catch(() => false))
            ? true
            : undefined,
        'the original focused',
        30_000,
      );
    } catch (e) {
      await screenshot(page, 'timeline-history-debug');
      throw new Error(
        `${String(e)} ${await page
          .locator('.tl-room')
          .innerText()
          .then((t) => t.slice(0, 400))}`,
      );
    }
    await expect(original.isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Jump to latest' }).waitFor();
    expect(unexpectedErrors(errors).filter((e) => !/TURN/.test(e))).toEqual([]);
    await context.close();
  });

  it('scrolls back through 200 older messages to the start, then jumps to the latest', async () => {
    const device = await newDevice(server, 'alice');
    const { context, page, errors } = await openAs(
      browser,
      server,
      device,
      `#/room/${enc(roomId)}`,
    );
    await tile(page, 'About that old one').waitFor({ timeout: 20_000 });
    const scroller = page.locator('.tl-scroll');
    // Scroll to the top again and again, as a person flicking up would.
    await until(
      async () => {
        await scroller.evaluate((el) => {
          const e = el as unknown as { scrollTop: number; scrollHeight: number };
          e.scrollTop = -e.scrollHeight;
        });
        return (await page.getByText('This is the beginning of Archive.').count()) > 0
          ? true
          : undefined;
      },
      'the start of the room',
      60_000,
    );
    await tile(page, label(1)).waitFor();
    expect(await page.locator('li.tl-msg').count()).toBeGreaterThanOrEqual(201);
    // Every message once, in order.
    const bodies = await page.locator('li.tl-msg .tl-body').allInnerTexts();
    const numbered = bodies.filter((b) => /^message \d{3}$/.test(b.trim())).map((b) => b.trim());
    expect(numbered).toEqual(Array.from({ length: 200 }, (_, i) => label(i + 1)));
    await page.locator('li.tl-notice', { hasText: 'created the room' }).waitFor();
    await screenshot(page, 'timeline-history-start');

    const jump = page.getByRole('button', { name: 'Jump to latest' });
    await jump.click();
    await jump.waitFor({ state: 'detached' });
    const last = tile(page, 'About that old one');
    await until(async () => {
      const box = await last.boundingBox();
      const view = await scroller.boundingBox();
      return box && view && box.y + box.height <= view.y + view.height + 1 && box.y >= view.y
        ? true
        : undefined;
    }, 'the latest message in view');
    expect(unexpectedErrors(errors).filter((e) => !/TURN/.test(e))).toEqual([]);
    await context.close();
  });

  it('shows no link preview, and no error, when the server has previews off', async () => {
    await send(server, bob.token, roomId, {
      msgtype: 'm.text',
      body: 'Catalogue at http://127.0.0.1:9/catalogue',
    });
    const device = await newDevice(server, 'alice');
    const { context, page, errors } = await openAs(
      browser,
      server,
      device,
      `#/room/${enc(roomId)}`,
    );
    const t = tile(page, 'Catalogue at');
    await t
      .getByRole('link', { name: 'http://127.0.0.1:9/catalogue' })
      .waitFor({ timeout: 20_000 });
    // The app asks once (404 M_UNRECOGNIZED), then shows nothing.
    await page.waitForTimeout(1000);
    expect(await page.locator('.tl-preview').count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(unexpectedErrors(errors).filter((e) => !/TURN/.test(e))).toEqual([]);
    await context.close();
  });
});
