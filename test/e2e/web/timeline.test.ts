import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, screenshot } from '../../helpers/browser.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';
import { seriousAxeViolations, unexpectedErrors } from './e2ee-helpers.js';
import {
  api,
  latestEvents,
  openAs,
  previewTarget,
  send,
  until,
  type Login,
} from './timeline-helpers.js';

// The room view as a person uses it: a real Hearth, Chromium signed in as Alice, and Bob
// (another client) driven over the client API. What is asserted is what Alice sees, and
// what Bob's client receives from what Alice did.
describe.runIf(chromiumAvailable())('timeline and composer', { timeout: 90_000 }, () => {
  let server: ListeningTestServer;
  let browser: Browser;
  let preview: { url: string; close: () => Promise<void> };
  let alice: Login;
  let bob: Login;
  let roomId: string;
  let page: Page;
  let errors: string[];

  const enc = encodeURIComponent;
  // The event id of a message of mine, once the server has it (not the local echo's).
  const sentId = (t: ReturnType<typeof tile>) =>
    until(async () => {
      const id = await t.getAttribute('data-event-id');
      return id?.startsWith('$') ? id : undefined;
    }, 'the message sent');
  // A message by what its body says (not a reply quoting it).
  const tile = (text: string) =>
    page
      .locator('li.tl-msg')
      .filter({ has: page.locator('.tl-body', { hasText: text }) })
      .last();

  beforeAll(async () => {
    server = await listenTestServer({
      url_preview_enabled: true,
      url_preview_ip_range_blacklist: ['127.0.0.0/8', '10.0.0.0/8'],
      url_preview_ip_range_whitelist: ['127.0.0.1'],
    });
    preview = await previewTarget();
    browser = await launchBrowser();
    await server.registerAdmin('admin');
    alice = await server.register('alice');
    bob = await server.register('bob');
    await api(
      server,
      alice.token,
      'PUT',
      `/_matrix/client/v3/profile/${enc(alice.userId)}/displayname`,
      { displayname: 'Alice' },
    );
    await api(
      server,
      bob.token,
      'PUT',
      `/_matrix/client/v3/profile/${enc(bob.userId)}/displayname`,
      { displayname: 'Bob' },
    );
    ({ room_id: roomId } = await api<{ room_id: string }>(
      server,
      alice.token,
      'POST',
      '/_matrix/client/v3/createRoom',
      {
        name: 'Tea room',
        topic: 'Brewing and biscuits',
        preset: 'private_chat',
        invite: [bob.userId],
      },
    ));
    await api(server, bob.token, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/join`, {});
    await send(server, bob.token, roomId, { msgtype: 'm.text', body: 'Kettle is on' });
    ({ page, errors } = await openAs(browser, server, alice, `#/room/${enc(roomId)}`));
    try {
      await tile('Kettle is on').waitFor({ timeout: 20_000 });
    } catch (e) {
      await screenshot(page, 'timeline-debug');
      throw new Error(
        `${String(e)}\n${errors.join('\n')}\n${await page.locator('body').innerText()}`,
      );
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await preview?.close();
    await server?.close();
  });

  it('shows the header: name, topic, members, settings', async () => {
    const header = page.locator('header.tl-header');
    await expect(header.getByRole('heading', { name: 'Tea room' }).isVisible()).resolves.toBe(true);
    await header.getByText('2 members').waitFor();
    await header.getByText('Brewing and biscuits').waitFor();
    expect(await header.getByText('Encrypted').count()).toBe(0);
    await expect(page.getByRole('button', { name: 'Room settings' }).isVisible()).resolves.toBe(
      true,
    );
    // Membership and room changes are one-line notices.
    await page.locator('li.tl-notice', { hasText: 'Bob joined the room' }).waitFor();
  });

  it('sends markdown formatted, and shows incoming HTML sanitized', async () => {
    const box = page.getByRole('textbox', { name: 'Message Tea room' });
    await box.fill('Milk **first** or _second_?');
    await box.press('Enter');
    await tile('Milk').locator('strong', { hasText: 'first' }).waitFor();
    await tile('Milk').locator('em', { hasText: 'second' }).waitFor();
    expect(await box.inputValue()).toBe('');
    const sent = await until(async () => {
      const evs = await latestEvents(server, bob.token, roomId, 5);
      return evs.find(
        (e) => e.sender === alice.userId && String(e.content.body).startsWith('Milk'),
      );
    }, 'the formatted message');
    expect(sent.content).toMatchObject({
      msgtype: 'm.text',
      body: 'Milk **first** or _second_?',
      format: 'org.matrix.custom.html',
      formatted_body: '<p>Milk <strong>first</strong> or <em>second</em>?</p>',
    });

    // Shift+Enter makes a new line instead of sending.
    await box.fill('line one');
    await box.press('Shift+Enter');
    await box.type('line two');
    expect(await box.inputValue()).toBe('line one\nline two');
    await box.press('Enter');
    await tile('line one').waitFor();

    await send(server, bob.token, roomId, {
      msgtype: 'm.text',
      body: 'evil',
      format: 'org.matrix.custom.html',
      formatted_body:
        '<b>bold tea</b><script>window.pwned=1</script><img src=x onerror="window.pwned=2"><a href="javascript:alert(1)">js link</a> <a href="https://example.org/">fine link</a><mx-reply>fallback</mx-reply>',
    });
    const evil = tile('bold tea');
    await evil.locator('b', { hasText: 'bold tea' }).waitFor();
    expect(await evil.locator('script, img, mx-reply').count()).toBe(0);
    expect(await evil.getByText('fallback').count()).toBe(0);
    expect(await evil.getByRole('link', { name: 'js link' }).count()).toBe(0);
    expect(await evil.getByRole('link', { name: 'fine link' }).getAttribute('rel')).toContain(
      'noopener',
    );
    expect(await page.evaluate('window.pwned')).toBeUndefined();
  });

  it('replies with a quote; clicking the quote jumps to the original', async () => {
    await tile('Kettle is on').hover();
    await tile('Kettle is on').getByRole('button', { name: 'Reply' }).click();
    await page.getByText('Replying to Bob').waitFor();
    const box = page.getByRole('textbox', { name: 'Reply' });
    await box.fill('Make mine a builder’s');
    await box.press('Enter');
    const reply = tile('Make mine a builder’s');
    const quote = reply.locator('.tl-quote');
    await quote.getByText('Kettle is on').waitFor();
    expect(await page.getByText('Replying to Bob').count()).toBe(0);
    const original = await until(async () => {
      const evs = await latestEvents(server, bob.token, roomId, 20);
      return evs.find((e) => e.content.body === 'Kettle is on');
    }, 'the original');
    const sent = await until(async () => {
      const evs = await latestEvents(server, bob.token, roomId, 5);
      return evs.find((e) => String(e.content.body).startsWith('Make mine'));
    }, 'the reply');
    expect(sent.content['m.relates_to']).toEqual({
      'm.in_reply_to': { event_id: original.event_id },
    });
    await quote.click();
    await page.locator(`li.tl-msg-highlight[data-event-id="${original.event_id}"]`).waitFor();
  });

  it('edits my last message with the Up arrow and shows "(edited)"', async () => {
    const box = page.getByRole('textbox', { name: 'Message Tea room' });
    await box.fill('Biscuits: custard cremes');
    await box.press('Enter');
    await sentId(tile('custard cremes'));
    await box.press('ArrowUp');
    await page.getByText('Editing message').waitFor();
    const edit = page.getByRole('textbox', { name: 'Edit message' });
    // The box takes the message's text in the render after the mode switch.
    await expect.poll(() => edit.inputValue()).toBe('Biscuits: custard cremes');
    await edit.fill('Biscuits: bourbons');
    await edit.press('Enter');
    const t = tile('Biscuits: bourbons');
    await t.getByText('(edited)').waitFor();
    expect(await page.locator('li.tl-msg', { hasText: 'custard cremes' }).count()).toBe(0);
    const evs = await latestEvents(server, bob.token, roomId, 5);
    const replace = evs.find(
      (e) => (e.content['m.relates_to'] as { rel_type?: string })?.rel_type === 'm.replace',
    );
    expect(replace?.content).toMatchObject({
      body: '* Biscuits: bourbons',
      'm.new_content': { body: 'Biscuits: bourbons' },
    });
  });

  it('reacts and un-reacts; counts others’ reactions', async () => {
    const t = tile('Kettle is on');
    await t.hover();
    await t.getByRole('button', { name: 'React', exact: true }).click();
    await page.getByRole('dialog', { name: 'Pick a reaction' }).waitFor();
    await page.getByRole('button', { name: 'React with 👍' }).click();
    const chip = t.locator('button.tl-reaction', { hasText: '👍' });
    await chip.waitFor();
    expect(await chip.getAttribute('aria-pressed')).toBe('true');
    const kettle = (await latestEvents(server, bob.token, roomId, 30)).find(
      (e) => e.content.body === 'Kettle is on',
    )!;
    const mine = await until(async () => {
      const evs = await latestEvents(server, bob.token, roomId, 5);
      return evs.find((e) => e.type === 'm.reaction' && e.sender === alice.userId);
    }, 'the reaction');
    expect(mine.content['m.relates_to']).toEqual({
      rel_type: 'm.annotation',
      event_id: kettle.event_id,
      key: '👍',
    });
    await send(
      server,
      bob.token,
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: kettle.event_id, key: '👍' } },
      'm.reaction',
    );
    await until(
      async () => ((await chip.textContent())?.includes('2') ? true : undefined),
      'a count of 2',
    );
    expect(await chip.getAttribute('aria-label')).toMatch(/Alice|Bob/);
    await chip.click(); // take mine back
    await until(
      async () => ((await chip.getAttribute('aria-pressed')) === 'false' ? true : undefined),
      'un-pressed',
    );
    expect((await chip.textContent())?.replace(/\s+/g, '')).toBe('👍1');
    await until(async () => {
      const evs = await latestEvents(server, bob.token, roomId, 5);
      return evs.find((e) => e.type === 'm.room.redaction' && e.sender === alice.userId);
    }, 'the reaction redacted');
  });

  it('message actions work from the keyboard', async () => {
    const target = tile('Kettle is on');
    const react = target.getByRole('button', { name: 'React', exact: true });
    await react.focus();
    // Focus inside the message shows its toolbar.
    await until(
      async () =>
        (await target
          .locator('.tl-actions')
          .evaluate(
            (el) =>
              (
                globalThis as unknown as { getComputedStyle(e: unknown): { opacity: string } }
              ).getComputedStyle(el).opacity,
          )) === '1'
          ? true
          : undefined,
      'the toolbar shown',
    );
    await page.keyboard.press('Enter');
    const picker = page.getByRole('dialog', { name: 'Pick a reaction' });
    await picker.waitFor();
    await page.keyboard.press('ArrowRight'); // from 👍 to ❤️
    await page.keyboard.press('Enter');
    await picker.waitFor({ state: 'detached' });
    const heart = target.locator('button.tl-reaction', { hasText: '❤️' });
    await heart.waitFor();
    expect(await heart.getAttribute('aria-pressed')).toBe('true');
    // Escape closes the picker without reacting.
    await react.focus();
    await page.keyboard.press('Enter');
    await picker.waitFor();
    await page.keyboard.press('Escape');
    await picker.waitFor({ state: 'detached' });
  });

  it('deletes my message after confirming', async () => {
    const box = page.getByRole('textbox', { name: 'Message Tea room' });
    await box.fill('Oops, wrong room');
    await box.press('Enter');
    const t = tile('Oops, wrong room');
    const id = await sentId(t);
    await t.hover();
    await t.getByRole('button', { name: 'Delete' }).click();
    await page
      .getByRole('alertdialog', { name: 'Delete this message?' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await page.locator(`li[data-event-id="${id}"]`).getByText('Message deleted').waitFor();
    expect(await page.getByText('Oops, wrong room').count()).toBe(0);
  });

  it('shows Bob typing, and tells Bob when Alice types', async () => {
    await api(
      server,
      bob.token,
      'PUT',
      `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`,
      { typing: true, timeout: 20_000 },
    );
    await page.getByText('Bob is typing…').waitFor();
    await api(
      server,
      bob.token,
      'PUT',
      `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`,
      { typing: false },
    );
    await page.getByText('Bob is typing…').waitFor({ state: 'detached' });
    await page.getByRole('textbox', { name: 'Message Tea room' }).fill('thinking about it');
    await until(async () => {
      const s = await api<{
        rooms: {
          join: Record<
            string,
            { ephemeral: { events: { type: string; content: { user_ids?: string[] } }[] } }
          >;
        };
      }>(server, bob.token, 'GET', '/_matrix/client/v3/sync?timeout=0');
      const typing = s.rooms.join[roomId]?.ephemeral.events.find((e) => e.type === 'm.typing');
      return typing?.content.user_ids?.includes(alice.userId) ? true : undefined;
    }, 'Alice typing seen by Bob');
    await page.getByRole('textbox', { name: 'Message Tea room' }).fill('');
  });

  it('shows Bob’s read receipt, and sends Alice’s when she sees the latest message', async () => {
    const box = page.getByRole('textbox', { name: 'Message Tea room' });
    await box.fill('Read me');
    await box.press('Enter');
    const t = tile('Read me');
    const id = await sentId(t);
    await api(
      server,
      bob.token,
      'POST',
      `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(id)}`,
      {},
    );
    await t.getByRole('img', { name: 'Read by Bob' }).waitFor();

    const bobs = await send(server, bob.token, roomId, { msgtype: 'm.text', body: 'Tea is ready' });
    await tile('Tea is ready').waitFor();
    await until(async () => {
      const s = await api<{
        rooms: {
          join: Record<
            string,
            {
              ephemeral: {
                events: {
                  type: string;
                  content: Record<string, Record<string, Record<string, unknown>>>;
                }[];
              };
            }
          >;
        };
      }>(server, bob.token, 'GET', '/_matrix/client/v3/sync?timeout=0');
      const receipts = s.rooms.join[roomId]?.ephemeral.events.find((e) => e.type === 'm.receipt');
      return receipts?.content[bobs]?.['m.read']?.[alice.userId] ? true : undefined;
    }, 'Alice’s read receipt on Bob’s message');
    await until(async () => {
      const marker = await api<{ event_id: string }>(
        server,
        alice.token,
        'GET',
        `/_matrix/client/v3/user/${enc(alice.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`,
      );
      return marker.event_id === bobs ? true : undefined;
    }, 'the read marker on Bob’s message');
  });

  it('shows a link preview for a loopback page', async () => {
    await send(server, bob.token, roomId, {
      msgtype: 'm.text',
      body: `Have you seen ${preview.url} ?`,
    });
    const t = tile('Have you seen');
    await t.getByRole('link', { name: preview.url }).waitFor();
    const card = t.getByRole('complementary', { name: 'Link preview: The Hearth Teapot' });
    await card.waitFor({ timeout: 15_000 });
    await card.getByText('A teapot for every hearth').waitFor();
  });

  it('has no serious accessibility violations; screenshots light, dark and 360 px', async () => {
    await screenshot(page, 'timeline-room');
    expect(await seriousAxeViolations(page, 'section.tl-room')).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'timeline-room-dark');
    expect(await seriousAxeViolations(page, 'section.tl-room')).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByRole('textbox', { name: 'Message Tea room' }).waitFor();
    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBe(0);
    await screenshot(page, 'timeline-room-360');
    await page.setViewportSize({ width: 1280, height: 860 });
    // Expected noise: the client asks for TURN servers at start and this server has none
    // (404); and Chromium reports the CSP refusing an inline handler even when it only
    // appears in the sanitizer's inert DOMParser document (nothing ran: window.pwned above).
    expect(
      unexpectedErrors(errors).filter(
        (e) => !/TURN/.test(e) && !/inline event handler violates/.test(e),
      ),
    ).toEqual([]);
  });
});
