import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';
import { createRequestSigner } from '../../../server/federation/x-matrix.js';
import { decoded, jpegImage } from '../../unit/media/thumbnails-images.js';
import { upload } from './core-helpers.js';

// Another homeserver asks for a thumbnail of this server's media over federation (spec
// v1.11, GET /_matrix/federation/v1/media/thumbnail/{mediaId}): a signed request, a
// multipart/mixed answer of two parts (metadata JSON, then the image).

let a: FederatedTestServer;
let b: FederatedTestServer;
let mediaId: string;
beforeAll(async () => {
  const ports = new Map<string, number>();
  a = await startFederatedServer('a.test', ports);
  b = await startFederatedServer('b.test', ports);
  const { token } = await a.register('alice');
  const res = await upload(a, token, await jpegImage(1000, 800), { contentType: 'image/jpeg' });
  mediaId = /\/([A-Za-z0-9_-]+)$/.exec(res.json<{ content_uri: string }>().content_uri)![1]!;
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

/** b.test's signed GET to a.test. */
function fromB(path: string): Promise<Response> {
  const sign = createRequestSigner(b.ctx.config);
  return fetch(`${a.baseUrl}${path}`, {
    headers: { authorization: sign('a.test', 'GET', path, undefined) },
  });
}

/** The parts of a multipart/mixed body: headers (lower-case) and bytes. */
function parts(body: Buffer, contentType: string) {
  const boundary = /boundary=([^;]+)/.exec(contentType)![1]!;
  const out: { headers: Record<string, string>; bytes: Buffer }[] = [];
  const delim = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delim);
  for (;;) {
    const start = at + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delim, start);
    const part = body.subarray(start + 2, next - 2); // after CRLF, before CRLF--
    const split = part.indexOf('\r\n\r\n');
    const headers = Object.fromEntries(
      part
        .subarray(0, split)
        .toString()
        .split('\r\n')
        .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    out.push({ headers, bytes: part.subarray(split + 4) });
    at = next;
  }
  return out;
}

test('a signed request gets metadata and the thumbnail as two parts', async () => {
  const res = await fromB(
    `/_matrix/federation/v1/media/thumbnail/${mediaId}?width=96&height=96&method=crop`,
  );
  expect(res.status).toBe(200);
  const type = res.headers.get('content-type')!;
  expect(type).toMatch(/^multipart\/mixed; boundary=/);
  const body = Buffer.from(await res.arrayBuffer());
  expect(Number(res.headers.get('content-length'))).toBe(body.length);
  const [meta, image] = parts(body, type);
  expect(meta!.headers['content-type']).toBe('application/json');
  expect(JSON.parse(meta!.bytes.toString())).toEqual({});
  expect(image!.headers['content-type']).toBe('image/jpeg');
  expect(image!.headers['content-disposition']).toBe('inline; filename="thumbnail.jpg"');
  expect(await decoded(image!.bytes)).toMatchObject({ format: 'jpeg', width: 96, height: 96 });
});

test('unsigned: 401; unknown media: 404; bad size: 400', async () => {
  const unsigned = await fetch(
    `${a.baseUrl}/_matrix/federation/v1/media/thumbnail/${mediaId}?width=32&height=32`,
  );
  expect(unsigned.status).toBe(401);
  const unknown = await fromB(
    '/_matrix/federation/v1/media/thumbnail/NoSuchMedia?width=32&height=32',
  );
  expect(unknown.status).toBe(404);
  expect(((await unknown.json()) as { errcode: string }).errcode).toBe('M_NOT_FOUND');
  const bad = await fromB(`/_matrix/federation/v1/media/thumbnail/${mediaId}?width=0&height=32`);
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { errcode: string }).errcode).toBe('M_INVALID_PARAM');
});
