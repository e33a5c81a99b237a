import { constants, createDeflate, crc32 } from 'node:zlib';
import sharp from 'sharp';

/** Real images for the thumbnail tests, made with sharp itself (and one PNG by hand). */

/** A JPEG photo-like image (noise, so it compresses like a photo). */
export function jpegImage(width: number, height: number): Promise<Buffer> {
  return sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** A PNG with transparency. */
export function pngImage(width: number, height: number): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: 4, background: { r: 10, g: 120, b: 200, alpha: 0.5 } },
  })
    .png()
    .toBuffer();
}

/** A still WebP. */
export function webpImage(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#3a7' } })
    .webp()
    .toBuffer();
}

/** Raw RGBA frames, each a different colour, stacked vertically. */
function frames(width: number, height: number, count: number): Buffer {
  const raw = Buffer.alloc(width * height * count * 4);
  for (let f = 0; f < count; f++) {
    for (let i = 0; i < width * height; i++) {
      const o = (f * width * height + i) * 4;
      raw[o] = (f * 70) % 256;
      raw[o + 1] = 255 - ((f * 70) % 256);
      raw[o + 2] = (i % width) % 256;
      raw[o + 3] = 255;
    }
  }
  return raw;
}

/** An animated GIF or WebP of `count` frames. */
export function animatedImage(
  format: 'gif' | 'webp',
  width: number,
  height: number,
  count: number,
): Promise<Buffer> {
  const img = sharp(frames(width, height, count), {
    raw: { width, height: height * count, channels: 4, pageHeight: height },
  });
  const delay = Array.from({ length: count }, () => 100);
  return (format === 'gif' ? img.gif({ delay, loop: 0 }) : img.webp({ delay, loop: 0 })).toBuffer();
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/**
 * A decompression bomb: a valid `size`x`size` black 1-bit PNG (900 M pixels at 30000),
 * about 100 KiB on disk. Its rows are deflated as a stream, never held whole.
 */
export async function zipBombPng(size = 30_000): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rowBytes = 1 + Math.ceil(size / 8);
  const rowsPerChunk = 256;
  const block = Buffer.alloc(rowBytes * rowsPerChunk); // filter byte 0, black pixels
  const deflate = createDeflate({ level: constants.Z_BEST_COMPRESSION });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  for (let row = 0; row < size; row += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, size - row);
    if (!deflate.write(block.subarray(0, n * rowBytes))) {
      await new Promise((r) => deflate.once('drain', r));
    }
  }
  deflate.end();
  await done;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.concat(out)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An SVG that would run a script if rendered as a document. */
export const SVG_WITH_SCRIPT = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">' +
    '<script>alert(document.cookie)</script><rect width="200" height="200" fill="red"/></svg>',
);

/** What a client sees of an image answer: its decoded format, size and frames. */
export async function decoded(
  bytes: Buffer,
): Promise<{ format: string | undefined; width: number; height: number; pages: number }> {
  const m = await sharp(bytes, { animated: true }).metadata();
  return {
    format: m.format,
    width: m.width ?? 0,
    height: m.pageHeight ?? m.height ?? 0,
    pages: m.pages ?? 1,
  };
}
