import { existsSync, readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'light-my-request';
import { beforeAll, describe, expect, test } from 'vitest';
import { useServer, type TestServer } from '../../helpers/server.js';
import { setMediaQuarantined } from '../../../server/media/admin.js';
import {
  animatedImage,
  decoded,
  jpegImage,
  pngImage,
  SVG_WITH_SCRIPT,
  webpImage,
  zipBombPng,
} from '../../unit/media/thumbnails-images.js';
import { eventually, mediaIdOf, upload } from './core-helpers.js';

// Thumbnails as a client gets them: real images of each format uploaded through the real
// upload endpoint, thumbnails fetched through the authenticated and legacy endpoints, and
// hostile content (a decompression bomb, a truncated JPEG, text named .png, SVG) answered
// with a Matrix error, never a crash nor a thumbnail.

const AUTHED = '/_matrix/client/v1/media/thumbnail/test.local';
const LEGACY = '/_matrix/media/v3/thumbnail/test.local';

async function uploadImage(s: TestServer, token: string, bytes: Buffer, contentType: string) {
  const res = await upload(s, token, bytes, { contentType });
  expect(res.statusCode).toBe(200);
  return mediaIdOf(res.json<{ content_uri: string }>().content_uri);
}

/** GET a thumbnail as raw bytes (light-my-request keeps them in rawPayload). */
async function thumb(s: TestServer, url: string, token?: string) {
  const res = await inject(s.app.handle, {
    method: 'GET',
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    bytes: res.rawPayload,
    json: () => JSON.parse(res.payload) as { errcode: string; error: string },
  };
}

async function thumbnailRows(s: TestServer): Promise<number> {
  const r = await s.ctx.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM media_thumbnails');
  return r!.n;
}

function thumbnailFiles(s: TestServer): string[] {
  const root = join(s.ctx.config.mediaStorePath, 'thumbnails');
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((d) => d.isFile())
    .map((d) => d.name);
}

describe('pre-generated thumbnails (dynamic_thumbnails off)', () => {
  const server = useServer();
  let s: TestServer;
  let token: string;
  let jpegId: string;
  beforeAll(async () => {
    s = server();
    token = (await s.register('alice')).token;
    jpegId = await uploadImage(s, token, await jpegImage(1200, 900), 'image/jpeg');
  });

  test('the five thumbnail_sizes are made after the upload, as files and rows', async () => {
    await eventually(async () => (await thumbnailRows(s)) === 5, 10_000);
    expect(thumbnailFiles(s).sort()).toEqual([
      '320x240-scale.jpg',
      '32x32-crop.jpg',
      '640x480-scale.jpg',
      '800x600-scale.jpg',
      '96x96-crop.jpg',
    ]);
    expect(thumbnailFiles(s).some((f) => f.includes('.tmp'))).toBe(false);
  });

  test.each([
    ['width=96&height=96&method=crop', 96, 96],
    ['width=64&height=64&method=crop', 96, 96],
    ['width=32&height=32&method=crop', 32, 32],
    ['width=100&height=100&method=scale', 320, 240],
    ['width=700&height=500&method=scale', 800, 600],
    ['width=2000&height=2000&method=scale', 800, 600],
    ['width=640&height=480', 640, 480], // method defaults to scale
  ])('%s: a JPEG of %ix%i with the safety headers', async (qs, w, h) => {
    const res = await thumb(s, `${AUTHED}/${jpegId}?${qs}`, token);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['content-disposition']).toBe('inline; filename="thumbnail.jpg"');
    expect(res.headers['content-security-policy']).toContain('sandbox');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(Number(res.headers['content-length'])).toBe(res.bytes.length);
    expect(await decoded(res.bytes)).toMatchObject({ format: 'jpeg', width: w, height: h });
  });

  test('PNG and still WebP sources give PNG thumbnails', async () => {
    for (const [bytes, type] of [
      [await pngImage(500, 300), 'image/png'],
      [await webpImage(400, 400), 'image/webp'],
    ] as const) {
      const id = await uploadImage(s, token, bytes, type);
      const res = await thumb(s, `${AUTHED}/${id}?width=32&height=32&method=crop`, token);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      expect(await decoded(res.bytes)).toMatchObject({ format: 'png', width: 32, height: 32 });
    }
  });

  test('animated GIF and WebP: animated WebP for animated=true, a still PNG otherwise', async () => {
    for (const format of ['gif', 'webp'] as const) {
      const id = await uploadImage(
        s,
        token,
        await animatedImage(format, 120, 90, 4),
        `image/${format}`,
      );
      const a = await thumb(
        s,
        `${AUTHED}/${id}?width=96&height=96&method=crop&animated=true`,
        token,
      );
      expect(a.status).toBe(200);
      expect(a.headers['content-type']).toBe('image/webp');
      expect(a.headers['content-disposition']).toBe('inline; filename="thumbnail.webp"');
      expect(await decoded(a.bytes)).toMatchObject({
        format: 'webp',
        width: 90,
        height: 90,
        pages: 4,
      });
      for (const qs of ['', '&animated=false']) {
        const still = await thumb(s, `${AUTHED}/${id}?width=96&height=96&method=crop${qs}`, token);
        expect(still.headers['content-type']).toBe('image/png');
        expect(await decoded(still.bytes)).toMatchObject({ format: 'png', pages: 1 });
      }
    }
  });

  test('animated=true for a still image behaves as false (spec)', async () => {
    const res = await thumb(
      s,
      `${AUTHED}/${jpegId}?width=32&height=32&method=crop&animated=true`,
      token,
    );
    expect(res.headers['content-type']).toBe('image/jpeg');
  });

  test('an image smaller than the request is never upscaled', async () => {
    const id = await uploadImage(s, token, await pngImage(20, 10), 'image/png');
    const scaled = await thumb(s, `${AUTHED}/${id}?width=800&height=600&method=scale`, token);
    expect(await decoded(scaled.bytes)).toMatchObject({ width: 20, height: 10 });
    const cropped = await thumb(s, `${AUTHED}/${id}?width=96&height=96&method=crop`, token);
    expect(await decoded(cropped.bytes)).toMatchObject({ width: 10, height: 10 });
  });

  test('a 30000x30000 PNG bomb: 413 M_TOO_LARGE, nothing made, the server still serves', async () => {
    const before = await thumbnailRows(s);
    const id = await uploadImage(s, token, await zipBombPng(), 'image/png');
    for (let i = 0; i < 2; i++) {
      const res = await thumb(s, `${AUTHED}/${id}?width=32&height=32&method=crop`, token);
      expect(res.status).toBe(413);
      expect(res.json().errcode).toBe('M_TOO_LARGE');
    }
    expect(await thumbnailRows(s)).toBe(before);
    const ok = await thumb(s, `${AUTHED}/${jpegId}?width=32&height=32&method=crop`, token);
    expect(ok.status).toBe(200);
  }, 30_000);

  test('a truncated JPEG: 400 M_UNKNOWN, no thumbnail row or file', async () => {
    const before = await thumbnailRows(s);
    const files = thumbnailFiles(s).length;
    const whole = await jpegImage(800, 600);
    const id = await uploadImage(s, token, whole.subarray(0, whole.length >> 1), 'image/jpeg');
    const res = await thumb(s, `${AUTHED}/${id}?width=96&height=96&method=crop`, token);
    expect(res.status).toBe(400);
    expect(res.json().errcode).toBe('M_UNKNOWN');
    expect(await thumbnailRows(s)).toBe(before);
    expect(thumbnailFiles(s).length).toBe(files);
  });

  test('text named .png and SVG (with script, also declared image/png): 400, never rasterised', async () => {
    for (const [bytes, type] of [
      [Buffer.from('this is not an image at all'), 'image/png'],
      [SVG_WITH_SCRIPT, 'image/svg+xml'],
      [SVG_WITH_SCRIPT, 'image/png'],
      [Buffer.from('plain text'), 'text/plain'],
    ] as const) {
      const id = await uploadImage(s, token, bytes, type);
      const res = await thumb(s, `${AUTHED}/${id}?width=96&height=96&method=crop`, token);
      expect(res.status).toBe(400);
      expect(res.json().errcode).toBe('M_UNKNOWN');
    }
    expect(thumbnailFiles(s).some((f) => f.includes('svg'))).toBe(false);
  });

  test('bad width, height or method: 400 M_INVALID_PARAM; missing: M_MISSING_PARAM', async () => {
    for (const qs of [
      'width=0&height=32',
      'width=-5&height=32',
      'width=32&height=20000',
      'width=abc&height=32',
      'width=32&height=32&method=stretch',
      'width=32&height=32&animated=yes',
    ]) {
      const res = await thumb(s, `${AUTHED}/${jpegId}?${qs}`, token);
      expect([qs, res.status, res.json().errcode]).toEqual([qs, 400, 'M_INVALID_PARAM']);
    }
    const missing = await thumb(s, `${AUTHED}/${jpegId}?width=32`, token);
    expect([missing.status, missing.json().errcode]).toEqual([400, 'M_MISSING_PARAM']);
  });

  // Other servers' media: test/integration/media/remote-media.test.ts (fetched, then made here).
  test('unknown and quarantined media: 404 M_NOT_FOUND; no token: 401', async () => {
    const unknown = await thumb(s, `${AUTHED}/NoSuchMediaIdAtAllHere?width=32&height=32`, token);
    expect([unknown.status, unknown.json().errcode]).toEqual([404, 'M_NOT_FOUND']);
    const noToken = await thumb(s, `${AUTHED}/${jpegId}?width=32&height=32`);
    expect([noToken.status, noToken.json().errcode]).toEqual([401, 'M_MISSING_TOKEN']);

    const id = await uploadImage(s, token, await jpegImage(100, 100), 'image/jpeg');
    expect((await thumb(s, `${AUTHED}/${id}?width=32&height=32`, token)).status).toBe(200);
    await setMediaQuarantined(s.ctx, id, true);
    const q = await thumb(s, `${AUTHED}/${id}?width=32&height=32`, token);
    expect([q.status, q.json().errcode]).toEqual([404, 'M_NOT_FOUND']);
  });

  test('legacy endpoint: media uploaded under enable_authenticated_media is 404 there', async () => {
    const res = await thumb(s, `${LEGACY}/${jpegId}?width=32&height=32&method=crop`);
    expect([res.status, res.json().errcode]).toEqual([404, 'M_NOT_FOUND']);
  });

  test('an async upload without content: 504 M_NOT_YET_UPLOADED after timeout_ms', async () => {
    const created = await s.req('POST', '/_matrix/media/v1/create', { token, body: {} });
    const id = mediaIdOf(created.json().content_uri as string);
    const res = await thumb(s, `${AUTHED}/${id}?width=32&height=32&timeout_ms=50`, token);
    expect([res.status, res.json().errcode]).toEqual([504, 'M_NOT_YET_UPLOADED']);
  });
});

describe('legacy endpoint with enable_authenticated_media off', () => {
  const server = useServer({ enable_authenticated_media: false });
  test('serves thumbnails without an access token, on v3 and r0', async () => {
    const s = server();
    const { token } = await s.register('bob');
    const id = await uploadImage(s, token, await pngImage(200, 100), 'image/png');
    for (const prefix of ['/_matrix/media/v3', '/_matrix/media/r0']) {
      const res = await thumb(
        s,
        `${prefix}/thumbnail/test.local/${id}?width=32&height=32&method=crop`,
      );
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      expect(await decoded(res.bytes)).toMatchObject({ width: 32, height: 32 });
    }
  });
});

describe('dynamic_thumbnails on', () => {
  const server = useServer({ dynamic_thumbnails: true });
  test('the exact size is made on demand, once', async () => {
    const s = server();
    const { token } = await s.register('carol');
    const id = await uploadImage(s, token, await jpegImage(1200, 900), 'image/jpeg');
    await eventually(async () => (await thumbnailRows(s)) === 5, 10_000);
    const crop = await thumb(s, `${AUTHED}/${id}?width=50&height=40&method=crop`, token);
    expect(await decoded(crop.bytes)).toMatchObject({ format: 'jpeg', width: 50, height: 40 });
    const scale = await thumb(s, `${AUTHED}/${id}?width=50&height=40&method=scale`, token);
    expect(await decoded(scale.bytes)).toMatchObject({ width: 50, height: 37 });
    expect(await thumbnailRows(s)).toBe(7);
    const again = await thumb(s, `${AUTHED}/${id}?width=50&height=40&method=crop`, token);
    expect(again.bytes.equals(crop.bytes)).toBe(true);
    expect(await thumbnailRows(s)).toBe(7);
  });
});

describe('max_image_pixels', () => {
  const server = useServer({ max_image_pixels: 10_000 });
  test('an image over it is 413; once it is raised (a restart with a new config), served', async () => {
    const s = server();
    const { token } = await s.register('dave');
    const id = await uploadImage(s, token, await pngImage(200, 200), 'image/png');
    const refused = await thumb(s, `${AUTHED}/${id}?width=32&height=32&method=crop`, token);
    expect([refused.status, refused.json().errcode]).toEqual([413, 'M_TOO_LARGE']);
    s.ctx.config.maxImagePixels = 32 * 1024 * 1024;
    const served = await thumb(s, `${AUTHED}/${id}?width=32&height=32&method=crop`, token);
    expect(served.status).toBe(200);
    expect(await decoded(served.bytes)).toMatchObject({ format: 'png', width: 32, height: 32 });
  });
});

describe('custom thumbnail_sizes', () => {
  const server = useServer({ thumbnail_sizes: [{ width: 64, height: 48, method: 'scale' }] });
  test('only the configured sizes are made; no crop size: a crop request is 404', async () => {
    const s = server();
    const { token } = await s.register('erin');
    const id = await uploadImage(s, token, await jpegImage(640, 480), 'image/jpeg');
    const scaled = await thumb(s, `${AUTHED}/${id}?width=320&height=240&method=scale`, token);
    expect(scaled.status).toBe(200);
    expect(await decoded(scaled.bytes)).toMatchObject({ width: 64, height: 48 });
    const cropped = await thumb(s, `${AUTHED}/${id}?width=32&height=32&method=crop`, token);
    expect([cropped.status, cropped.json().errcode]).toEqual([404, 'M_NOT_FOUND']);
    expect(await thumbnailRows(s)).toBe(1);
  });
});
