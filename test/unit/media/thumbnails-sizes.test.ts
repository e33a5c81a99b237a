import { describe, expect, test } from 'vitest';
import {
  selectThumbnail,
  thumbnailGeometry,
  type StoredThumbnail,
} from '../../../server/media/thumbnails/sizes.js';
import { isThumbnailableType, sniffImageFormat } from '../../../server/media/thumbnails/sniff.js';

describe('thumbnailGeometry', () => {
  test.each([
    // [source, request, expected]
    [
      [1200, 900],
      [320, 240, 'scale'],
      [320, 240],
    ],
    [
      [1200, 900],
      [800, 600, 'scale'],
      [800, 600],
    ],
    [
      [4000, 1000],
      [320, 240, 'scale'],
      [320, 80],
    ],
    [
      [1000, 4000],
      [320, 240, 'scale'],
      [60, 240],
    ],
    [
      [300, 200],
      [800, 600, 'scale'],
      [300, 200],
    ], // never upscaled
    [
      [10000, 1],
      [32, 32, 'scale'],
      [32, 1],
    ], // at least one pixel
    [
      [1200, 900],
      [96, 96, 'crop'],
      [96, 96],
    ],
    [
      [1200, 900],
      [50, 40, 'crop'],
      [50, 40],
    ],
    [
      [20, 50],
      [32, 32, 'crop'],
      [20, 20],
    ], // too small: the request's aspect, unscaled
    [
      [60, 20],
      [96, 96, 'crop'],
      [20, 20],
    ],
    [
      [40, 30],
      [32, 32, 'crop'],
      [30, 30],
    ],
  ] as const)('%j %j -> %j', (src, req, want) => {
    const g = thumbnailGeometry(
      { width: src[0], height: src[1] },
      { width: req[0], height: req[1], method: req[2] },
    );
    expect([g.width, g.height]).toEqual(want);
  });
});

describe('selectThumbnail (Synapse rules)', () => {
  const t = (
    width: number,
    height: number,
    method: 'crop' | 'scale',
    length = 1000,
  ): StoredThumbnail => ({
    width,
    height,
    method,
    length,
  });
  const photo = [
    t(32, 32, 'crop'),
    t(96, 96, 'crop'),
    t(320, 240, 'scale'),
    t(640, 480, 'scale'),
    t(800, 600, 'scale'),
  ];
  test.each([
    [
      [96, 96, 'crop'],
      [96, 96, 'crop'],
    ],
    [
      [64, 64, 'crop'],
      [96, 96, 'crop'],
    ],
    [
      [32, 32, 'crop'],
      [32, 32, 'crop'],
    ],
    [
      [200, 200, 'crop'],
      [96, 96, 'crop'],
    ], // none big enough: the closest
    [
      [100, 100, 'scale'],
      [320, 240, 'scale'],
    ],
    [
      [320, 240, 'scale'],
      [320, 240, 'scale'],
    ],
    [
      [700, 500, 'scale'],
      [800, 600, 'scale'],
    ],
    [
      [1000, 1000, 'scale'],
      [800, 600, 'scale'],
    ],
  ] as const)('%j -> %j', (want, got) => {
    const chosen = selectThumbnail(photo, { width: want[0], height: want[1], method: want[2] });
    expect(chosen && [chosen.width, chosen.height, chosen.method]).toEqual(got);
  });

  test('only the requested method; none of it: null', () => {
    expect(
      selectThumbnail([t(320, 240, 'scale')], { width: 32, height: 32, method: 'crop' }),
    ).toBeNull();
  });

  test('ties go to the smaller file', () => {
    const chosen = selectThumbnail([t(96, 96, 'crop', 900), t(96, 96, 'crop', 500)], {
      width: 96,
      height: 96,
      method: 'crop',
    });
    expect(chosen?.length).toBe(500);
  });
});

describe('sniffImageFormat', () => {
  const b = (...xs: (number | string)[]) =>
    Buffer.concat(
      xs.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from([x]))),
    );
  test.each([
    [b(0xff, 0xd8, 0xff, 0xe0), 'jpeg'],
    [b(0x89, 'PNG\r\n', 0x1a, '\n'), 'png'],
    [b('GIF89a'), 'gif'],
    [b('GIF87a'), 'gif'],
    [b('RIFF', 0, 0, 0, 0, 'WEBP'), 'webp'],
    [b('<svg xmlns="http://www.w3.org/2000/svg">'), null],
    [b('<?xml version="1.0"?><svg'), null],
    [b('hello, this is text'), null],
    [b('RIFF', 0, 0, 0, 0, 'WAVE'), null],
    [b(), null],
  ])('%j -> %s', (head, want) => {
    expect(sniffImageFormat(head)).toBe(want);
  });

  test('declared types thumbnailed: Synapse’s list', () => {
    expect(isThumbnailableType('image/jpeg')).toBe(true);
    expect(isThumbnailableType('IMAGE/PNG; charset=binary')).toBe(true);
    expect(isThumbnailableType('image/svg+xml')).toBe(false);
    expect(isThumbnailableType('application/octet-stream')).toBe(false);
    expect(isThumbnailableType(null)).toBe(false);
  });
});
