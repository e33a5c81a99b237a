import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { createTestServer, useServer } from '../../helpers/server.js';
import { contentPath } from '../../../server/media/storage.js';
import {
  deleteLocalMedia,
  purgeRemoteMediaCache,
  setMediaQuarantined,
} from '../../../server/media/admin.js';
import { getLocalMedia } from '../../../server/media/local-media.js';
import { upsertRemoteMedia } from '../../../server/media/store.js';
import { filesUnder, mediaIdOf, upload } from './core-helpers.js';

// Downloads as clients and browsers see them: which endpoints serve what, the safety
// headers, inline or attachment by type, ranges, and what quarantine and deletion hide.

const AUTHED = '/_matrix/client/v1/media/download/test.local';
const LEGACY = '/_matrix/media/v3/download/test.local';
const CSP =
  "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; " +
  "style-src 'unsafe-inline'; media-src 'self'; object-src 'self';";

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201' +
    'a5d2b5e40000000049454e44ae426082',
  'hex',
);

describe('serving', () => {
  const get = useServer();
  let token: string;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    const s = get();
    token = (await s.register('alice')).token;
    const items: [string, Buffer | string, string][] = [
      ['html', '<html><script>alert(1)</script></html>', 'text/html'],
      [
        'svg',
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        'image/svg+xml',
      ],
      ['png', PNG, 'image/png'],
      ['text', '0123456789abcdefghij', 'text/plain'],
    ];
    for (const [name, bytes, type] of items) {
      const res = await upload(s, token, bytes, { contentType: type, filename: `${name}.file` });
      ids[name] = mediaIdOf(res.json().content_uri);
    }
  });

  test.each([
    ['html', 'attachment', 'text/html; charset=utf-8'],
    ['svg', 'attachment', 'image/svg+xml'],
    ['png', 'inline', 'image/png'],
    ['text', 'inline', 'text/plain; charset=utf-8'],
  ])('%s is served %s, with the safety headers', async (name, disposition, type) => {
    const s = get();
    const res = await s.req('GET', `${AUTHED}/${ids[name]}`, { token });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['content-disposition']).toBe(
      `${disposition}; filename*=utf-8''${name}.file`,
    );
    expect(res.headers['content-security-policy']).toBe(CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  test('the file name in the path replaces the upload name', async () => {
    const res = await get().req('GET', `${AUTHED}/${ids.png}/other%20name.png`, { token });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe("inline; filename*=utf-8''other%20name.png");
    expect(res.rawPayload.equals(PNG)).toBe(true);
  });

  test('the authenticated endpoint wants a token', async () => {
    const res = await get().req('GET', `${AUTHED}/${ids.png}`);
    expect(res.statusCode).toBe(401);
    expect(res.json().errcode).toBe('M_MISSING_TOKEN');
  });

  test('ranges: 206 with Content-Range, suffix and open ranges, 416 past the end', async () => {
    const s = get();
    const url = `${AUTHED}/${ids.text}`;
    const part = await s.req('GET', url, { token, headers: { range: 'bytes=2-5' } });
    expect(part.statusCode).toBe(206);
    expect(part.body).toBe('2345');
    expect(part.headers['content-range']).toBe('bytes 2-5/20');
    expect(part.headers['content-length']).toBe('4');
    expect(part.headers['content-security-policy']).toBe(CSP);
    const suffix = await s.req('GET', url, { token, headers: { range: 'bytes=-3' } });
    expect(suffix.statusCode).toBe(206);
    expect(suffix.body).toBe('hij');
    const open = await s.req('GET', url, { token, headers: { range: 'bytes=15-' } });
    expect(open.body).toBe('fghij');
    const past = await s.req('GET', url, { token, headers: { range: 'bytes=20-30' } });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */20');
    const several = await s.req('GET', url, { token, headers: { range: 'bytes=0-1,4-5' } });
    expect(several.statusCode).toBe(200);
    expect(several.body).toBe('0123456789abcdefghij');
    expect(several.headers['accept-ranges']).toBe('bytes');
  });

  test('the content hash is the ETag; If-None-Match gives 304; HEAD gives headers only', async () => {
    const s = get();
    const res = await s.req('GET', `${AUTHED}/${ids.text}`, { token });
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const again = await s.req('GET', `${AUTHED}/${ids.text}`, {
      token,
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const head = await s.req('HEAD', `${AUTHED}/${ids.text}`, { token });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('20');
    expect(head.body).toBe('');
  });

  test('unknown ids and other servers are 404, malformed ids and server names 400', async () => {
    const s = get();
    const unknown = await s.req('GET', `${AUTHED}/NoSuchMediaHere`, { token });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().errcode).toBe('M_NOT_FOUND');
    expect(unknown.headers['content-security-policy']).toBe(CSP);
    // Remote media is fetched from its origin now (remote-media.test.ts); unfetched, it is 404.
    const remote = await s.req(
      'GET',
      `/_matrix/media/v3/download/other.example/${ids.png}?allow_remote=false`,
      { token },
    );
    expect(remote.statusCode).toBe(404);
    expect(remote.json().errcode).toBe('M_NOT_FOUND');
    for (const url of [
      `${AUTHED}/bad.id`,
      `${AUTHED}/..%2F..%2Fetc%2Fpasswd`,
      `/_matrix/client/v1/media/download/bad_server!/${ids.png}`,
    ]) {
      const res = await s.req('GET', url, { token });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().errcode).toBe('M_INVALID_PARAM');
    }
    const badTimeout = await s.req('GET', `${AUTHED}/${ids.png}?timeout_ms=soon`, { token });
    expect(badTimeout.statusCode).toBe(400);
  });

  test('quarantined media is 404 everywhere until released', async () => {
    const s = get();
    await setMediaQuarantined(s.ctx, ids.svg!, true);
    const hidden = await s.req('GET', `${AUTHED}/${ids.svg}`, { token });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().errcode).toBe('M_NOT_FOUND');
    expect((await getLocalMedia(s.ctx, ids.svg!))?.quarantined).toBe(true);
    await setMediaQuarantined(s.ctx, ids.svg!, false);
    expect((await s.req('GET', `${AUTHED}/${ids.svg}`, { token })).statusCode).toBe(200);
    await expect(setMediaQuarantined(s.ctx, 'NoSuchMedia', true)).rejects.toMatchObject({
      errcode: 'M_NOT_FOUND',
    });
  });
});

describe('enable_authenticated_media', () => {
  test('on (the default): media uploaded meanwhile is 404 on the legacy endpoints only', async () => {
    const s = await createTestServer();
    try {
      const { token } = await s.register('bob');
      const id = mediaIdOf(
        (await upload(s, token, 'new', { contentType: 'text/plain' })).json().content_uri,
      );
      const legacy = await s.req('GET', `${LEGACY}/${id}`);
      expect(legacy.statusCode).toBe(404);
      expect(legacy.json().errcode).toBe('M_NOT_FOUND');
      expect((await s.req('GET', `${LEGACY}/${id}/name.txt`)).statusCode).toBe(404);
      expect((await s.req('GET', `${AUTHED}/${id}`, { token })).body).toBe('new');
    } finally {
      await s.close();
    }
  });

  test('media uploaded while it was off stays on the legacy endpoints after it is turned on; turned off, all is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-media-'));
    const off = await createTestServer({ enable_authenticated_media: false }, { dir });
    const { token } = await off.register('carol');
    const oldId = mediaIdOf(
      (await upload(off, token, 'old', { contentType: 'text/plain' })).json().content_uri,
    );
    const legacyOff = await off.req('GET', `${LEGACY}/${oldId}`);
    expect(legacyOff.statusCode).toBe(200);
    expect(legacyOff.body).toBe('old');
    expect(legacyOff.headers['content-security-policy']).toBe(CSP);
    expect(legacyOff.headers['cache-control']).toContain('public');
    await off.close();

    // The same data folder, now with the option on (a restart with a changed config).
    const on = await createTestServer({ enable_authenticated_media: true }, { dir });
    const token2 = token;
    const newId = mediaIdOf(
      (await upload(on, token2, 'new', { contentType: 'text/plain' })).json().content_uri,
    );
    expect((await on.req('GET', `${LEGACY}/${oldId}`)).body).toBe('old');
    expect((await on.req('GET', `${LEGACY}/${newId}`)).statusCode).toBe(404);
    expect((await on.req('GET', `${AUTHED}/${newId}`, { token: token2 })).body).toBe('new');
    await on.close();

    const offAgain = await createTestServer({ enable_authenticated_media: false }, { dir });
    expect((await offAgain.req('GET', `${LEGACY}/${newId}`)).body).toBe('new');
    await offAgain.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('deleting media and purging the remote cache', () => {
  const get = useServer();

  test('a deleted media id is 404; its file goes when no other media uses its bytes', async () => {
    const s = get();
    const { token } = await s.register('dave');
    const a = mediaIdOf((await upload(s, token, 'shared bytes')).json().content_uri);
    const b = mediaIdOf((await upload(s, token, 'shared bytes')).json().content_uri);
    const file = (await getLocalMedia(s.ctx, a))!.path!;
    expect(filesUnder(s, 'content')).toEqual([file]);

    await deleteLocalMedia(s.ctx, a);
    expect((await s.req('GET', `${AUTHED}/${a}`, { token })).statusCode).toBe(404);
    expect(await getLocalMedia(s.ctx, a)).toBeNull();
    expect(existsSync(file)).toBe(true);
    expect((await s.req('GET', `${AUTHED}/${b}`, { token })).body).toBe('shared bytes');

    await deleteLocalMedia(s.ctx, b);
    expect(existsSync(file)).toBe(false);
    await expect(deleteLocalMedia(s.ctx, b)).rejects.toMatchObject({ errcode: 'M_NOT_FOUND' });
  });

  test('purging removes remote media last accessed before the date, and only unshared files', async () => {
    const s = get();
    const { token } = await s.register('erin');
    const local = await getLocalMedia(
      s.ctx,
      mediaIdOf((await upload(s, token, 'also cached remotely')).json().content_uri),
    );
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const { dirname } = await import('node:path');
    const remoteSha = 'a'.repeat(64);
    mkdirSync(dirname(contentPath(s.ctx, remoteSha)), { recursive: true });
    writeFileSync(contentPath(s.ctx, remoteSha), 'remote only');
    await s.ctx.writer.transaction('test.remote', async (tx) => {
      const base = { contentType: null, uploadName: null, authenticated: true };
      await upsertRemoteMedia(tx, {
        ...base,
        origin: 'old.example',
        mediaId: 'A',
        length: 11,
        sha256: remoteSha,
        ts: 1000,
      });
      await upsertRemoteMedia(tx, {
        ...base,
        origin: 'old.example',
        mediaId: 'B',
        length: 20,
        sha256: local!.sha256!,
        ts: 1000,
      });
      await upsertRemoteMedia(tx, {
        ...base,
        origin: 'new.example',
        mediaId: 'C',
        length: 11,
        sha256: remoteSha,
        ts: 5000,
      });
    });
    expect(await purgeRemoteMediaCache(s.ctx, 2000)).toBe(2);
    // C still uses the remote-only file; the local media's file stays for the local row.
    expect(existsSync(contentPath(s.ctx, remoteSha))).toBe(true);
    expect(existsSync(local!.path!)).toBe(true);
    expect(await purgeRemoteMediaCache(s.ctx, 6000)).toBe(1);
    expect(existsSync(contentPath(s.ctx, remoteSha))).toBe(false);
    expect(existsSync(local!.path!)).toBe(true);
  });
});
