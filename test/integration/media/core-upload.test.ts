import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';
import { useServer } from '../../helpers/server.js';
import { storeServerMedia } from '../../../server/media/local-media.js';
import { Readable } from 'node:stream';
import {
  countMediaRows,
  eventually,
  filesUnder,
  mediaIdOf,
  randomBytesOf,
  rawUpload,
  upload,
} from './core-helpers.js';

// Uploads as a client makes them over a real socket: bytes stored exactly, deduplicated,
// the size limit enforced before and while reading, and nothing left of a refused or
// cut-off upload.

describe('uploads over a real socket', () => {
  let s: ListeningTestServer;
  let token: string;
  beforeAll(async () => {
    s = await listenTestServer({ max_upload_size: '8M' });
    token = (await s.register('alice')).token;
  });
  afterAll(() => s.close());

  test('several MiB of binary round-trip exactly, on both download endpoints', async () => {
    const bytes = randomBytesOf(6 * 1024 * 1024 + 123);
    const res = await fetch(`${s.baseUrl}/_matrix/media/v3/upload?filename=blob.bin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(res.status).toBe(200);
    const { content_uri } = (await res.json()) as { content_uri: string };
    const mediaId = mediaIdOf(content_uri);
    expect(mediaId).toMatch(/^[A-Za-z]{24}$/);

    const down = await fetch(
      `${s.baseUrl}/_matrix/client/v1/media/download/test.local/${mediaId}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(down.status).toBe(200);
    expect(down.headers.get('content-length')).toBe(String(bytes.length));
    expect(down.headers.get('content-type')).toBe('application/octet-stream');
    expect(down.headers.get('content-disposition')).toBe("attachment; filename*=utf-8''blob.bin");
    const got = Buffer.from(await down.arrayBuffer());
    expect(got.equals(bytes)).toBe(true);
    const file = filesUnder(s, 'content');
    expect(file).toHaveLength(1);
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(file[0]!.endsWith(sha)).toBe(true);
    expect(readFileSync(file[0]!).equals(bytes)).toBe(true);
  });

  test('413 M_TOO_LARGE from Content-Length, before any byte is stored', async () => {
    const rows = await countMediaRows(s);
    const res = await rawUpload(s.port, token, randomBytesOf(9 * 1024 * 1024));
    expect(res?.status).toBe(413);
    expect(JSON.parse(res!.body).errcode).toBe('M_TOO_LARGE');
    expect(await countMediaRows(s)).toBe(rows);
    expect(filesUnder(s, 'tmp')).toEqual([]);
    expect(filesUnder(s, 'content')).toHaveLength(1);
  });

  test('413 M_TOO_LARGE while streaming a body without Content-Length; nothing left', async () => {
    const rows = await countMediaRows(s);
    const res = await rawUpload(s.port, token, randomBytesOf(9 * 1024 * 1024), { declared: null });
    expect(res?.status).toBe(413);
    expect(JSON.parse(res!.body).errcode).toBe('M_TOO_LARGE');
    await eventually(() => filesUnder(s, 'tmp').length === 0);
    expect(await countMediaRows(s)).toBe(rows);
    expect(filesUnder(s, 'content')).toHaveLength(1);
  });

  test('a chunked body under the limit is stored', async () => {
    const bytes = randomBytesOf(300_000);
    const res = await rawUpload(s.port, token, bytes, { declared: null });
    expect(res?.status).toBe(200);
    const mediaId = mediaIdOf(JSON.parse(res!.body).content_uri);
    const down = await s.req('GET', `/_matrix/client/v1/media/download/test.local/${mediaId}`, {
      token,
    });
    expect(down.rawPayload.equals(bytes)).toBe(true);
  });

  test('an upload the client cuts off leaves no file and no row', async () => {
    const rows = await countMediaRows(s);
    const contentFiles = filesUnder(s, 'content').length;
    const res = await rawUpload(s.port, token, randomBytesOf(4 * 1024 * 1024), {
      abortAfter: 1024 * 1024,
    });
    expect(res).toBeNull();
    await eventually(() => filesUnder(s, 'tmp').length === 0);
    expect(await countMediaRows(s)).toBe(rows);
    expect(filesUnder(s, 'content')).toHaveLength(contentFiles);
  });
});

describe('deduplication and upload names', () => {
  const get = useServer();
  let token: string;
  beforeAll(async () => {
    token = (await get().register('bob')).token;
  });

  test('two uploads of the same bytes are two media ids and one file', async () => {
    const s = get();
    const bytes = randomBytesOf(100_000);
    const a = await upload(s, token, bytes, { contentType: 'image/png', filename: 'a.png' });
    const b = await upload(s, token, bytes, { contentType: 'image/png', filename: 'b.png' });
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    const idA = mediaIdOf(a.json().content_uri);
    const idB = mediaIdOf(b.json().content_uri);
    expect(idA).not.toBe(idB);
    expect(filesUnder(s, 'content')).toHaveLength(1);
    for (const [id, name] of [
      [idA, 'a.png'],
      [idB, 'b.png'],
    ] as const) {
      const res = await s.req('GET', `/_matrix/client/v1/media/download/test.local/${id}`, {
        token,
      });
      expect(res.rawPayload.equals(bytes)).toBe(true);
      expect(res.headers['content-disposition']).toBe(`inline; filename*=utf-8''${name}`);
    }
  });

  test('an empty upload is stored and served empty', async () => {
    const s = get();
    const res = await upload(s, token, '', { contentType: 'text/plain' });
    expect(res.statusCode).toBe(200);
    const id = mediaIdOf(res.json().content_uri);
    const down = await s.req('GET', `/_matrix/client/v1/media/download/test.local/${id}`, {
      token,
    });
    expect(down.statusCode).toBe(200);
    expect(down.rawPayload.length).toBe(0);
  });

  test('a non-ASCII upload name is given back in RFC 6266 form', async () => {
    const s = get();
    const res = await upload(s, token, 'hé', {
      contentType: 'text/plain',
      filename: "rapport d'été (1).txt",
    });
    const id = mediaIdOf(res.json().content_uri);
    const down = await s.req('GET', `/_matrix/client/v1/media/download/test.local/${id}`, {
      token,
    });
    expect(down.headers['content-disposition']).toBe(
      "inline; filename*=utf-8''rapport%20d%27%C3%A9t%C3%A9%20%281%29.txt",
    );
    expect(down.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  test('temp files a crash left behind (over a day old) go with the next upload', async () => {
    const s = get();
    const tmp = join(s.ctx.config.mediaStorePath, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const stale = join(tmp, `${Date.now() - 2 * 86_400_000}-leftover`);
    const recent = join(tmp, `${Date.now() - 60_000}-inflight`);
    writeFileSync(stale, 'half an upload');
    writeFileSync(recent, 'an upload in flight');
    expect((await upload(s, token, 'next')).statusCode).toBe(200);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    rmSync(recent);
  });

  test('an upload without a token is 401 and stores nothing', async () => {
    const s = get();
    const rows = await countMediaRows(s);
    const res = await s.req('POST', '/_matrix/media/v3/upload', {
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().errcode).toBe('M_MISSING_TOKEN');
    expect(await countMediaRows(s)).toBe(rows);
  });

  test('storeServerMedia stores a stream, and refuses one past maxBytes with nothing kept', async () => {
    const s = get();
    const bytes = randomBytesOf(50_000);
    const media = await storeServerMedia(s.ctx, {
      stream: Readable.from([bytes]),
      contentType: 'image/jpeg',
      uploadName: null,
      maxBytes: 60_000,
    });
    expect(media.userId).toBeNull();
    expect(media.length).toBe(50_000);
    expect(readFileSync(media.path!).equals(bytes)).toBe(true);
    const rows = await countMediaRows(s);
    await expect(
      storeServerMedia(s.ctx, {
        stream: Readable.from([bytes, bytes]),
        contentType: 'image/jpeg',
        uploadName: null,
        maxBytes: 60_000,
      }),
    ).rejects.toMatchObject({ errcode: 'M_TOO_LARGE', status: 413 });
    expect(await countMediaRows(s)).toBe(rows);
    expect(filesUnder(s, 'tmp')).toEqual([]);
  });
});

describe('media_upload_limits (a per-user quota)', () => {
  const get = useServer({ media_upload_limits: [{ time_period: '1d', max_size: 1000 }] });

  test('uploads past the quota are 400 M_RESOURCE_LIMIT_EXCEEDED; other users are not affected', async () => {
    const s = get();
    const carol = await s.register('carol');
    const dave = await s.register('dave');
    expect((await upload(s, carol.token, 'a'.repeat(600))).statusCode).toBe(200);
    const rows = await countMediaRows(s);
    const over = await upload(s, carol.token, 'b'.repeat(500));
    expect(over.statusCode).toBe(400);
    expect(over.json()).toMatchObject({
      errcode: 'M_RESOURCE_LIMIT_EXCEEDED',
      error: 'Media upload limit exceeded',
    });
    expect(await countMediaRows(s)).toBe(rows);
    expect(filesUnder(s, 'tmp')).toEqual([]);
    expect((await upload(s, carol.token, 'c'.repeat(400))).statusCode).toBe(200);
    expect((await upload(s, dave.token, 'd'.repeat(1000))).statusCode).toBe(200);
    expect((await upload(s, dave.token, 'e')).statusCode).toBe(400);
  });
});

describe('the media config', () => {
  const get = useServer({ max_upload_size: '10M' });

  test('m.upload.size on the authenticated and legacy endpoints (token required)', async () => {
    const s = get();
    const { token } = await s.register('erin');
    for (const path of ['/_matrix/client/v1/media/config', '/_matrix/media/v3/config']) {
      const res = await s.req('GET', path, { token });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ 'm.upload.size': 10 * 1024 * 1024 });
      expect((await s.req('GET', path)).statusCode).toBe(401);
    }
  });
});
