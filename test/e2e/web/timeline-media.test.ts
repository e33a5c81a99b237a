import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Response } from 'playwright-core';
import sharp from 'sharp';
import { chromiumAvailable, launchBrowser, screenshot } from '../../helpers/browser.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';
import { unexpectedErrors } from './e2ee-helpers.js';
import { api, latestEvents, openAs, send, until, type Login } from './timeline-helpers.js';

// Images and files in the room view: Chromium signed in as Alice sends them, Bob (another
// client, over the client API) reads what was sent; in an encrypted room the server only
// ever holds ciphertext.
describe.runIf(chromiumAvailable())('timeline media', { timeout: 90_000 }, () => {
  let server: ListeningTestServer;
  let browser: Browser;
  let alice: Login;
  let bob: Login;
  let roomId: string;
  let page: Page;
  let errors: string[];

  const enc = encodeURIComponent;
  const tile = (text: string) =>
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
      { name: 'Pantry', preset: 'private_chat', invite: [bob.userId] },
    ));
    await api(server, bob.token, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/join`, {});
    await send(server, bob.token, roomId, { msgtype: 'm.text', body: 'Send the pictures' });
    ({ page, errors } = await openAs(browser, server, alice, `#/room/${enc(roomId)}`));
    await tile('Send the pictures').waitFor({ timeout: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('uploads an image with progress; shows its thumbnail; Bob gets m.image with a thumbnail', async () => {
    // A noisy PNG (large, so the throttled upload shows its progress).
    const w = 1200;
    const h = 900;
    const raw = Buffer.alloc(w * h * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
    const png = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 600 * 1024,
    });
    await page
      .locator('.tl-composer input[type=file]')
      .setInputFiles({ name: 'teapot.png', mimeType: 'image/png', buffer: png });
    const bar = page.getByRole('progressbar', { name: 'Uploading teapot.png' });
    await bar.waitFor();
    await until(
      async () => (Number(await bar.getAttribute('value').catch(() => '0')) > 0 ? true : undefined),
      'progress above 0',
    );
    await screenshot(page, 'timeline-upload-progress');
    await bar.waitFor({ state: 'detached', timeout: 30_000 });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    const img = page.getByRole('img', { name: 'teapot.png' });
    await img.waitFor();
    expect(await img.getAttribute('src')).toMatch(/^blob:/);
    await until(
      async () =>
        (await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)) >
          0 || undefined,
      'the thumbnail decoded',
    );

    const ev = await until(async () => {
      const evs = await latestEvents(server, bob.token, roomId, 5);
      return evs.find((e) => e.content.msgtype === 'm.image');
    }, 'the m.image');
    const info = ev.content.info as Record<string, unknown>;
    expect(ev.content).toMatchObject({
      body: 'teapot.png',
      url: expect.stringMatching(/^mxc:\/\//),
    });
    expect(info).toMatchObject({
      w,
      h,
      mimetype: 'image/png',
      size: png.length,
      thumbnail_url: expect.stringMatching(/^mxc:\/\//),
    });
    expect(info.thumbnail_info).toMatchObject({ w: 800, h: 600, mimetype: 'image/jpeg' });
    const [, serverName, mediaId] = /^mxc:\/\/([^/]+)\/(.+)$/.exec(String(info.thumbnail_url))!;
    const thumb = await server.req(
      'GET',
      `/_matrix/client/v1/media/download/${serverName}/${mediaId}`,
      { token: bob.token },
    );
    expect(thumb.statusCode).toBe(200);
    const meta = await sharp(thumb.rawPayload).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 800, 600]);

    // Full size in a viewer, closed with Escape.
    await page.getByRole('button', { name: 'View image teapot.png full size' }).click();
    const viewer = page.getByRole('dialog', { name: 'Image: teapot.png' });
    await viewer.getByRole('img', { name: 'teapot.png' }).waitFor();
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
  });

  it('sends other files as m.file with a download button', async () => {
    await page.locator('.tl-composer input[type=file]').setInputFiles({
      name: 'recipe.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('two bags, four minutes'),
    });
    const t = tile('recipe.txt');
    await t.getByRole('button', { name: 'Download recipe.txt' }).waitFor();
    const ev = await until(async () => {
      const evs = await latestEvents(server, bob.token, roomId, 5);
      return evs.find((e) => e.content.msgtype === 'm.file');
    }, 'the m.file');
    expect(ev.content).toMatchObject({
      body: 'recipe.txt',
      info: { mimetype: 'text/plain', size: 22 },
    });
    const download = page.waitForEvent('download');
    await t.getByRole('button', { name: 'Download recipe.txt' }).click();
    expect((await download).suggestedFilename()).toBe('recipe.txt');
  });

  it('encrypts attachments in an encrypted room and shows them decrypted', async () => {
    const { room_id: secret } = await api<{ room_id: string }>(
      server,
      alice.token,
      'POST',
      '/_matrix/client/v3/createRoom',
      {
        name: 'Secret recipes',
        preset: 'private_chat',
        initial_state: [
          {
            type: 'm.room.encryption',
            state_key: '',
            content: { algorithm: 'm.megolm.v1.aes-sha2' },
          },
        ],
      },
    );
    const uploads: Promise<string>[] = [];
    const onResponse = (r: Response) => {
      if (r.url().includes('/upload'))
        uploads.push(r.json().then((b: { content_uri: string }) => b.content_uri));
    };
    page.on('response', onResponse);
    await page.evaluate(`location.hash = ${JSON.stringify(`#/room/${enc(secret)}`)}`);
    const header = page.locator('header.tl-header');
    await header.getByRole('heading', { name: 'Secret recipes' }).waitFor();
    await header.getByText('Encrypted').waitFor();
    await page.getByRole('textbox', { name: 'Message Secret recipes' }).waitFor();
    const png = await sharp({
      create: { width: 640, height: 480, channels: 3, background: '#c2410c' },
    })
      .png()
      .toBuffer();
    await page
      .locator('.tl-composer input[type=file]')
      .setInputFiles({ name: 'secret.png', mimeType: 'image/png', buffer: png });
    const img = page.getByRole('img', { name: 'secret.png' });
    await img.waitFor({ timeout: 30_000 });
    await until(
      async () =>
        (await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)) ===
          640 || undefined,
      'the decrypted image',
    );
    page.off('response', onResponse);
    // The server got only ciphertext: the image and its thumbnail, neither a PNG nor a JPEG.
    expect(uploads.length).toBe(2);
    const stored: Buffer[] = [];
    for (const uri of await Promise.all(uploads)) {
      const res = await server.req(
        'GET',
        `/_matrix/client/v1/media/download/${uri.slice('mxc://'.length)}`,
        { token: alice.token },
      );
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      stored.push(res.rawPayload);
      expect(res.rawPayload.subarray(0, 4).toString('hex')).not.toMatch(/^89504e47|^ffd8ff/);
    }
    expect(stored.map((b) => b.length)).toContain(png.length); // AES-CTR keeps the length
    // What the room holds is an encrypted event, not an m.image with a url. The image shows
    // from its local echo, so the send may still be on its way.
    const evs = await until(async () => {
      const latest = await latestEvents(server, alice.token, secret, 3);
      // Until then the newest events are the room's creation, all state events.
      return latest[0] && latest[0].state_key === undefined ? latest : undefined;
    }, 'the image event on the server');
    expect(evs[0]!.type).toBe('m.room.encrypted');
    await screenshot(page, 'timeline-encrypted-image');
    await page.evaluate(`location.hash = ${JSON.stringify(`#/room/${enc(roomId)}`)}`);
    await page.getByRole('textbox', { name: 'Message Pantry' }).waitFor();
  });

  it('logged no unexpected errors', () => {
    // Expected noise: the client asks for TURN servers at start and this server has none.
    expect(unexpectedErrors(errors).filter((e) => !/TURN/.test(e))).toEqual([]);
  });
});
