import { expect, test } from 'vitest';
import { dispositionFileName } from '../../../server/media/remote/fetch.js';
import {
  MalformedMultipartError,
  multipartBoundary,
  parseMultipart,
} from '../../../server/media/remote/multipart.js';

test.each([
  ['multipart/mixed; boundary=abc', 'abc'],
  ['multipart/mixed; boundary="a b:c"', 'a b:c'],
  ['Multipart/Mixed;charset=x; Boundary=Z', 'Z'],
  ['multipart/form-data; boundary=abc', null],
  ['multipart/mixed', null],
  ['image/png', null],
  [undefined, null],
])('boundary of %j is %j', (type, boundary) => {
  expect(multipartBoundary(type)).toBe(boundary);
});

test('two parts, with a preamble, binary content containing CRLF and dashes', () => {
  const content = Buffer.from([0, 13, 10, 45, 45, 255, 13, 10]);
  const body = Buffer.concat([
    Buffer.from('preamble\r\n--B\r\nContent-Type: application/json\r\n\r\n{}\r\n'),
    Buffer.from('--B\r\ncontent-type: image/png\r\nContent-Disposition: inline\r\n\r\n'),
    content,
    Buffer.from('\r\n--B--\r\nepilogue'),
  ]);
  const parts = parseMultipart(body, 'B');
  expect(parts).toHaveLength(2);
  expect(parts[0]!.headers).toEqual({ 'content-type': 'application/json' });
  expect(parts[0]!.bytes.toString()).toBe('{}');
  expect(parts[1]!.headers).toEqual({
    'content-type': 'image/png',
    'content-disposition': 'inline',
  });
  expect(parts[1]!.bytes.equals(content)).toBe(true);
});

test('a part without headers, and a Location part', () => {
  const parts = parseMultipart(
    Buffer.from('--B\r\n\r\n{}\r\n--B\r\nLocation: https://cdn.example/x\r\n\r\n\r\n--B--'),
    'B',
  );
  expect(parts.map((p) => p.headers)).toEqual([{}, { location: 'https://cdn.example/x' }]);
});

test.each([
  ['no boundary', 'hello'],
  ['no closing boundary', '--B\r\n\r\n{}\r\n--B\r\n\r\nbytes'],
  ['no header block', '--B\r\nContent-Type: x\r\n--B--'],
  ['a header without a colon', '--B\r\nnonsense\r\n\r\nx\r\n--B--'],
  ['too many parts', '--B\r\n\r\nx\r\n'.repeat(9) + '--B--'],
])('malformed: %s', (_name, body) => {
  expect(() => parseMultipart(Buffer.from(body), 'B')).toThrow(MalformedMultipartError);
});

test.each([
  ["inline; filename*=utf-8''caf%C3%A9.png", 'café.png'],
  ['attachment; filename="a \\"b\\".txt"', 'a "b".txt'],
  ['inline; filename=plain.txt', 'plain.txt'],
  ['inline; filename="fallback"; filename*=utf-8\'\'real', 'real'],
  ["inline; filename*=utf-8''%E0%A4%A", null],
  ['inline; filename="a\u0000b"', null],
  ['inline', null],
  [undefined, null],
])('file name of %j is %j', (header, name) => {
  expect(dispositionFileName(header)).toBe(name);
});
