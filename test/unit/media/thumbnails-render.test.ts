import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  probeImage,
  renderThumbnail,
  ThumbnailError,
} from '../../../server/media/thumbnails/render.js';
import { animatedImage, decoded, jpegImage, pngImage, zipBombPng } from './thumbnails-images.js';

// sharp on real image files, as the thumbnailer uses it.

const dir = mkdtempSync(join(tmpdir(), 'hearth-thumbs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const LIMIT = 32 * 1024 * 1024;
function file(name: string, bytes: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

describe('probeImage and renderThumbnail', () => {
  test('a JPEG: its size from the header, a JPEG thumbnail of the exact size', async () => {
    const p = file('photo.jpg', await jpegImage(1200, 900));
    expect(await probeImage(p, 'jpeg', LIMIT)).toEqual({
      format: 'jpeg',
      width: 1200,
      height: 900,
      pages: 1,
    });
    const t = await renderThumbnail(p, {
      format: 'jpeg',
      width: 96,
      height: 96,
      method: 'crop',
      animated: false,
      maxPixels: LIMIT,
    });
    expect(t.contentType).toBe('image/jpeg');
    expect(await decoded(t.data)).toMatchObject({ format: 'jpeg', width: 96, height: 96 });
  });

  test('a PNG gives a PNG', async () => {
    const p = file('a.png', await pngImage(500, 300));
    const t = await renderThumbnail(p, {
      format: 'png',
      width: 320,
      height: 192,
      method: 'scale',
      animated: false,
      maxPixels: LIMIT,
    });
    expect(t.contentType).toBe('image/png');
    expect(await decoded(t.data)).toMatchObject({ format: 'png', width: 320, height: 192 });
  });

  test('an animated GIF: animated WebP when asked, its first frame otherwise', async () => {
    const p = file('anim.gif', await animatedImage('gif', 120, 90, 4));
    expect(await probeImage(p, 'gif', LIMIT)).toMatchObject({ width: 120, height: 90, pages: 4 });
    const a = await renderThumbnail(p, {
      format: 'gif',
      width: 32,
      height: 32,
      method: 'crop',
      animated: true,
      maxPixels: LIMIT,
    });
    expect(a.contentType).toBe('image/webp');
    expect(await decoded(a.data)).toMatchObject({
      format: 'webp',
      width: 32,
      height: 32,
      pages: 4,
    });
    const still = await renderThumbnail(p, {
      format: 'gif',
      width: 32,
      height: 32,
      method: 'crop',
      animated: false,
      maxPixels: LIMIT,
    });
    expect(await decoded(still.data)).toMatchObject({ format: 'png', pages: 1 });
  });

  test('a 30000x30000 PNG bomb (small on disk) is refused from its header', async () => {
    const bomb = await zipBombPng();
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const p = file('bomb.png', bomb);
    const err = await probeImage(p, 'png', LIMIT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThumbnailError);
    expect((err as ThumbnailError).failure).toBe('too_large');
    // And decoding it is refused by libvips itself, whatever the header check said.
    const err2 = await renderThumbnail(p, {
      format: 'png',
      width: 32,
      height: 32,
      method: 'crop',
      animated: false,
      maxPixels: LIMIT,
    }).catch((e: unknown) => e);
    expect((err2 as ThumbnailError).failure).toBe('too_large');
  }, 30_000);

  test('a truncated JPEG: the header reads, decoding fails as corrupt', async () => {
    const whole = await jpegImage(800, 600);
    const p = file('cut.jpg', whole.subarray(0, whole.length >> 1));
    await expect(probeImage(p, 'jpeg', LIMIT)).resolves.toMatchObject({ width: 800 });
    const err = await renderThumbnail(p, {
      format: 'jpeg',
      width: 96,
      height: 96,
      method: 'crop',
      animated: false,
      maxPixels: LIMIT,
    }).catch((e: unknown) => e);
    expect((err as ThumbnailError).failure).toBe('corrupt');
  });

  test('bytes of another format than announced are not an image', async () => {
    const p = file('fake.png', await jpegImage(50, 50));
    const err = await probeImage(p, 'png', LIMIT).catch((e: unknown) => e);
    expect((err as ThumbnailError).failure).toBe('not_image');
  });
});
