import { existsSync, readdirSync, rmSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'light-my-request';
import { describe, expect, test } from 'vitest';
import { useServer, type TestServer } from '../../helpers/server.js';
import { deleteLocalMedia } from '../../../server/media/admin.js';
import { decoded, jpegImage } from '../../unit/media/thumbnails-images.js';
import { eventually, mediaIdOf, upload } from './core-helpers.js';

// The life of thumbnails around the requests: many clients asking at once right after an
// upload, a thumbnail file lost from disk, and the content going away.

const AUTHED = '/_matrix/client/v1/media/thumbnail/test.local';

function thumbnailFiles(s: TestServer): string[] {
  const root = join(s.ctx.config.mediaStorePath, 'thumbnails');
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

async function rows(s: TestServer, sha256: string): Promise<number> {
  const r = await s.ctx.db.get<{ n: number }>(
    'SELECT COUNT(*) AS n FROM media_thumbnails WHERE sha256 = ?',
    sha256,
  );
  return r!.n;
}

async function get(s: TestServer, url: string, token: string) {
  return inject(s.app.handle, {
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${token}` },
  });
}

describe('thumbnail lifecycle', () => {
  const server = useServer();

  test('requests racing the upload’s thumbnailing share its work: each size made once', async () => {
    const s = server();
    const { token } = await s.register('alice');
    const bytes = await jpegImage(1600, 1200);
    const res = await upload(s, token, bytes, { contentType: 'image/jpeg' });
    const id = mediaIdOf(res.json<{ content_uri: string }>().content_uri);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        get(
          s,
          `${AUTHED}/${id}?width=${i % 2 ? 96 : 320}&height=${i % 2 ? 96 : 240}&method=${i % 2 ? 'crop' : 'scale'}`,
          token,
        ),
      ),
    );
    for (const [i, a] of answers.entries()) {
      expect(a.statusCode).toBe(200);
      expect(await decoded(a.rawPayload)).toMatchObject(
        i % 2 ? { width: 96, height: 96 } : { width: 320, height: 240 },
      );
    }
    const sha = (await s.ctx.db.get<{ sha256: string }>(
      'SELECT sha256 FROM local_media WHERE media_id = ?',
      id,
    ))!.sha256;
    await eventually(async () => (await rows(s, sha)) === 5, 10_000);
    expect(thumbnailFiles(s).filter((f) => f.includes(sha))).toHaveLength(5);
    // One insert per made thumbnail: none was rendered twice.
    expect(s.ctx.writer.stats.byName.get('media.thumbnail.insert')?.count).toBe(5);
  });

  test('a thumbnail whose file was lost is made again', async () => {
    const s = server();
    const { token } = await s.register('bob');
    const res = await upload(s, token, await jpegImage(640, 480), { contentType: 'image/jpeg' });
    const id = mediaIdOf(res.json<{ content_uri: string }>().content_uri);
    const first = await get(s, `${AUTHED}/${id}?width=96&height=96&method=crop`, token);
    expect(first.statusCode).toBe(200);
    const sha = (await s.ctx.db.get<{ sha256: string }>(
      'SELECT sha256 FROM local_media WHERE media_id = ?',
      id,
    ))!.sha256;
    const file = thumbnailFiles(s).find((f) => f.includes(sha) && f.endsWith('96x96-crop.jpg'))!;
    rmSync(file);
    const again = await get(s, `${AUTHED}/${id}?width=96&height=96&method=crop`, token);
    expect(again.statusCode).toBe(200);
    expect(await decoded(again.rawPayload)).toMatchObject({
      format: 'jpeg',
      width: 96,
      height: 96,
    });
    expect(existsSync(file)).toBe(true);
  });

  test('when the content goes, its thumbnails go: rows at once, files after the commit', async () => {
    const s = server();
    const { token } = await s.register('carol');
    const res = await upload(s, token, await jpegImage(500, 500), { contentType: 'image/jpeg' });
    const id = mediaIdOf(res.json<{ content_uri: string }>().content_uri);
    expect((await get(s, `${AUTHED}/${id}?width=32&height=32&method=crop`, token)).statusCode).toBe(
      200,
    );
    const sha = (await s.ctx.db.get<{ sha256: string }>(
      'SELECT sha256 FROM local_media WHERE media_id = ?',
      id,
    ))!.sha256;
    await eventually(async () => (await rows(s, sha)) > 0);
    // The media store's own deletion takes them with the content (server/media/admin.ts).
    await deleteLocalMedia(s.ctx, id);
    expect(await rows(s, sha)).toBe(0);
    await eventually(() => !thumbnailFiles(s).some((f) => f.includes(sha)));
  });
});
