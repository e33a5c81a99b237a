import { describe, expect, test } from 'vitest';
import { contentDisposition, parseRange } from '../../../server/media/serve.js';

describe('parseRange', () => {
  test.each([
    [undefined, null],
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=5-', { start: 5, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-1000', { start: 0, end: 99 }],
    ['bytes=90-1000', { start: 90, end: 99 }],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=9-5', null],
    ['bytes=0-1,5-6', null],
    ['items=0-5', null],
    ['bytes=-', null],
  ] as const)('%s of 100 bytes -> %j', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected);
  });
});

describe('contentDisposition', () => {
  test.each([
    ['image/png', 'a.png', "inline; filename*=utf-8''a.png"],
    ['IMAGE/JPEG', null, 'inline'],
    ['text/plain; charset=utf-8', 'notes.txt', "inline; filename*=utf-8''notes.txt"],
    ['image/svg+xml', 'x.svg', "attachment; filename*=utf-8''x.svg"],
    ['text/html', 'x.html', "attachment; filename*=utf-8''x.html"],
    ['application/pdf', null, 'attachment'],
    [
      'application/octet-stream',
      'a"b;c\r\n.bin',
      "attachment; filename*=utf-8''a%22b%3Bc%0D%0A.bin",
    ],
    ['audio/ogg', 'chanson é.ogg', "inline; filename*=utf-8''chanson%20%C3%A9.ogg"],
  ])('%s named %s -> %s', (type, name, expected) => {
    expect(contentDisposition(type, name)).toBe(expected);
  });
});
