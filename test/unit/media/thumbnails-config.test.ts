import { describe, expect, test } from 'vitest';
import { resolveConfig, ConfigError } from '../../../server/core/config/load.js';
import { signingKeyFromSeed } from '../../../server/core/signing.js';

// The thumbnail keys of homeserver.yaml, with Synapse's names and defaults.

const key = signingKeyFromSeed('a', Buffer.alloc(32, 1));
const resolve = (extra: Record<string, unknown>) =>
  resolveConfig({ server_name: 'example.org', ...extra }, null, { signingKeys: [key] }).config;

describe('thumbnail config', () => {
  test('defaults: static thumbnails, 32M pixels, the five spec sizes', () => {
    const c = resolve({});
    expect(c.dynamicThumbnails).toBe(false);
    expect(c.maxImagePixels).toBe(32 * 1024 * 1024);
    expect(c.thumbnailSizes).toEqual([
      { width: 32, height: 32, method: 'crop' },
      { width: 96, height: 96, method: 'crop' },
      { width: 320, height: 240, method: 'scale' },
      { width: 640, height: 480, method: 'scale' },
      { width: 800, height: 600, method: 'scale' },
    ]);
  });

  test('set: dynamic_thumbnails, max_image_pixels as a size, thumbnail_sizes', () => {
    const c = resolve({
      dynamic_thumbnails: true,
      max_image_pixels: '4M',
      thumbnail_sizes: [{ width: 64, height: 48, method: 'scale' }],
    });
    expect(c.dynamicThumbnails).toBe(true);
    expect(c.maxImagePixels).toBe(4 * 1024 * 1024);
    expect(c.thumbnailSizes).toEqual([{ width: 64, height: 48, method: 'scale' }]);
  });

  test('bad values are refused with the key named', () => {
    expect(() => resolve({ max_image_pixels: 'lots' })).toThrow(/max_image_pixels/);
    expect(() => resolve({ thumbnail_sizes: [{ width: 0, height: 1, method: 'crop' }] })).toThrow(
      ConfigError,
    );
    expect(() =>
      resolve({ thumbnail_sizes: [{ width: 10, height: 10, method: 'stretch' }] }),
    ).toThrow(/thumbnail_sizes/);
  });
});
