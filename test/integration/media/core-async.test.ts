import { beforeAll, describe, expect, test } from 'vitest';
import { inject } from 'light-my-request';
import { useServer, type TestServer } from '../../helpers/server.js';
import { countMediaRows, filesUnder, mediaIdOf } from './core-helpers.js';

// The async upload flow (POST /_matrix/media/v1/create, then PUT the content), as a client
// sees it: who may upload, once, before expiry, and downloads that wait for the content.

function put(s: TestServer, token: string, mediaId: string, bytes: string, server = 'test.local') {
  return inject(s.app.handle, {
    method: 'PUT',
    url: `/_matrix/media/v3/upload/${server}/${mediaId}?filename=late.txt`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
    payload: bytes,
  });
}

async function create(s: TestServer, token: string): Promise<string> {
  const res = await s.req('POST', '/_matrix/media/v1/create', { token, body: {} });
  expect(res.statusCode).toBe(200);
  return mediaIdOf(res.json().content_uri);
}

/** A clock the tests move by hand. */
const clock = { t: Date.now(), now: () => clock.t };

describe('create, then upload', () => {
  const get = useServer({ max_pending_media_uploads: 3, unused_expiration_time: '1h' }, { clock });
  let alice: { token: string };
  let bob: { token: string };
  beforeAll(async () => {
    alice = await get().register('alice');
    bob = await get().register('bob');
  });

  test('create answers an mxc URI and when it expires; the creator uploads once', async () => {
    const s = get();
    const res = await s.req('POST', '/_matrix/media/v1/create', { token: alice.token, body: {} });
    expect(res.statusCode).toBe(200);
    expect(res.json().unused_expires_at).toBe(clock.t + 3_600_000);
    const mediaId = mediaIdOf(res.json().content_uri);

    const early = await s.req(
      'GET',
      `/_matrix/client/v1/media/download/test.local/${mediaId}?timeout_ms=50`,
      { token: alice.token },
    );
    expect(early.statusCode).toBe(504);
    expect(early.json().errcode).toBe('M_NOT_YET_UPLOADED');

    const byBob = await put(s, bob.token, mediaId, 'not yours');
    expect(byBob.statusCode).toBe(403);
    expect(byBob.json().errcode).toBe('M_FORBIDDEN');

    const ok = await put(s, alice.token, mediaId, 'hello later');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({});
    const down = await s.req('GET', `/_matrix/client/v1/media/download/test.local/${mediaId}`, {
      token: bob.token,
    });
    expect(down.statusCode).toBe(200);
    expect(down.body).toBe('hello later');
    expect(down.headers['content-disposition']).toBe("inline; filename*=utf-8''late.txt");

    const again = await put(s, alice.token, mediaId, 'overwrite');
    expect(again.statusCode).toBe(409);
    expect(again.json().errcode).toBe('M_CANNOT_OVERWRITE_MEDIA');
    const still = await s.req('GET', `/_matrix/client/v1/media/download/test.local/${mediaId}`, {
      token: bob.token,
    });
    expect(still.body).toBe('hello later');
  });

  test('a download waiting for the content is answered once it arrives', async () => {
    const s = get();
    const mediaId = await create(s, alice.token);
    const waiting = s.req(
      'GET',
      `/_matrix/client/v1/media/download/test.local/${mediaId}?timeout_ms=10000`,
      { token: bob.token },
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    expect((await put(s, alice.token, mediaId, 'worth the wait')).statusCode).toBe(200);
    const res = await waiting;
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('worth the wait');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('unknown ids, other servers and malformed ids', async () => {
    const s = get();
    const rows = await countMediaRows(s);
    const unknown = await put(s, alice.token, 'NoSuchMediaIdAtAllHere', 'x');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().errcode).toBe('M_NOT_FOUND');
    const mediaId = await create(s, alice.token);
    const remote = await put(s, alice.token, mediaId, 'x', 'other.example');
    expect(remote.statusCode).toBe(404);
    const bad = await put(s, alice.token, 'bad.id', 'x');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errcode).toBe('M_INVALID_PARAM');
    expect(await countMediaRows(s)).toBe(rows + 1);
    expect(filesUnder(s, 'tmp')).toEqual([]);
  });

  test('past max_pending_media_uploads, create is 429 until one is used or expires', async () => {
    const s = get();
    const { token } = await s.register('carol');
    const ids = [await create(s, token), await create(s, token), await create(s, token)];
    const over = await s.req('POST', '/_matrix/media/v1/create', { token, body: {} });
    expect(over.statusCode).toBe(429);
    expect(over.json().errcode).toBe('M_LIMIT_EXCEEDED');
    expect(over.json().retry_after_ms).toBeGreaterThan(0);
    expect(over.json().retry_after_ms).toBeLessThanOrEqual(3_600_000);
    expect((await put(s, token, ids[0]!, 'used')).statusCode).toBe(200);
    const fourth = await create(s, token);

    // An hour later, the ids never uploaded to have expired: 404, and no longer pending.
    clock.t += 3_600_001;
    const expired = await put(s, token, fourth, 'too late');
    expect(expired.statusCode).toBe(404);
    const down = await s.req('GET', `/_matrix/client/v1/media/download/test.local/${fourth}`, {
      token,
    });
    expect(down.statusCode).toBe(404);
    await create(s, token);
    await create(s, token);
    await create(s, token);
  });
});
