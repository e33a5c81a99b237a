import { beforeAll, describe, expect, test } from 'vitest';
import { upsertRemoteMedia } from '../../../server/media/store.js';
import { useServer, type TestServer } from '../../helpers/server.js';
import { mediaIdOf, upload } from '../media/core-helpers.js';
import { createRoom, enc, expectError, registerAdmin, type Session } from './admin-helpers.js';

// The media admin API: a user's uploads, usage per user, quarantine, deletion, cache purge.

const A = '/_synapse/admin/v1';
const get = useServer();
let s: TestServer;
let admin: Session;
let bob: Session;
let carol: Session;
const bobMedia: string[] = [];

async function download(serverName: string, mediaId: string, token: string) {
  return s.req('GET', `/_matrix/client/v1/media/download/${serverName}/${mediaId}`, { token });
}

beforeAll(async () => {
  s = get();
  admin = await registerAdmin(s, 'root');
  bob = await s.register('bob');
  carol = await s.register('carol');
  await s.req('PUT', `/_matrix/client/v3/profile/${enc(bob.userId)}/displayname`, {
    token: bob.token,
    body: { displayname: 'Bob' },
  });
  for (const [i, text] of ['a', 'bbbb', 'cc'].entries()) {
    const res = await upload(s, bob.token, text.repeat(100), {
      contentType: 'text/plain',
      filename: `f${i}.txt`,
    });
    expect(res.statusCode).toBe(200);
    bobMedia.push(mediaIdOf(res.json().content_uri));
  }
  await upload(s, carol.token, 'x'.repeat(50), { contentType: 'text/plain' });
});

describe("a user's media", () => {
  test('lists uploads with paging and ordering', async () => {
    const res = await s.req('GET', `${A}/users/${enc(bob.userId)}/media?limit=2`, {
      token: admin.token,
    });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b.total).toBe(3);
    expect(b.next_token).toBe('2');
    expect(b.media[0]).toEqual({
      media_id: bobMedia[0],
      media_type: 'text/plain',
      media_length: 100,
      upload_name: 'f0.txt',
      created_ts: expect.any(Number),
      last_access_ts: expect.any(Number),
      quarantined_by: null,
      safe_from_quarantine: false,
    });
    const big = (
      await s.req('GET', `${A}/users/${enc(bob.userId)}/media?order_by=media_length&dir=b`, {
        token: admin.token,
      })
    ).json();
    expect(big.media.map((m: { media_length: number }) => m.media_length)).toEqual([400, 200, 100]);
    expectError(
      await s.req('GET', `${A}/users/${enc(bob.userId)}/media`, { token: bob.token }),
      403,
      'M_FORBIDDEN',
    );
    expectError(
      await s.req('GET', `${A}/users/${enc(bob.userId)}/media?order_by=colour`, {
        token: admin.token,
      }),
      400,
      'M_INVALID_PARAM',
    );
    for (const method of ['GET', 'DELETE']) {
      const res = await s.req(method, `${A}/users/${enc('@nobody:test.local')}/media`, {
        token: admin.token,
      });
      expectError(res, 404, 'M_NOT_FOUND');
    }
  });

  test('usage per user', async () => {
    const res = await s.req('GET', `${A}/statistics/users/media?order_by=media_length&dir=b`, {
      token: admin.token,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      users: [
        { user_id: bob.userId, displayname: 'Bob', media_count: 3, media_length: 700 },
        { user_id: carol.userId, displayname: 'carol', media_count: 1, media_length: 50 },
      ],
      total: 2,
    });
    const search = (
      await s.req('GET', `${A}/statistics/users/media?search_term=car`, { token: admin.token })
    ).json();
    expect(search.users.map((u: { user_id: string }) => u.user_id)).toEqual([carol.userId]);
    const paged = (
      await s.req('GET', `${A}/statistics/users/media?limit=1`, { token: admin.token })
    ).json();
    expect(paged).toMatchObject({ total: 2, next_token: '1' });
    expectError(
      await s.req('GET', `${A}/statistics/users/media`, { token: carol.token }),
      403,
      'M_FORBIDDEN',
    );
  });
});

describe('quarantine, info, delete', () => {
  test('quarantined media is not served until released; info shows it', async () => {
    const id = bobMedia[1]!;
    expect((await download('test.local', id, carol.token)).statusCode).toBe(200);
    const q = await s.req('POST', `${A}/media/quarantine/test.local/${id}`, {
      token: admin.token,
      body: {},
    });
    expect([q.statusCode, q.json()]).toEqual([200, {}]);
    expect((await download('test.local', id, carol.token)).statusCode).toBe(404);
    const info = (await s.req('GET', `${A}/media/test.local/${id}`, { token: admin.token })).json();
    expect(info.media_info).toMatchObject({
      media_id: id,
      user_id: bob.userId,
      media_type: 'text/plain',
      media_length: 400,
      quarantined_by: 'admin',
    });
    await s.req('POST', `${A}/media/unquarantine/test.local/${id}`, {
      token: admin.token,
      body: {},
    });
    expect((await download('test.local', id, carol.token)).statusCode).toBe(200);
    expectError(
      await s.req('POST', `${A}/media/quarantine/test.local/nope`, {
        token: admin.token,
        body: {},
      }),
      404,
      'M_NOT_FOUND',
    );
    expectError(
      await s.req('POST', `${A}/media/quarantine/test.local/${id}`, { token: bob.token, body: {} }),
      403,
      'M_FORBIDDEN',
    );
    expectError(
      await s.req('GET', `${A}/media/test.local/nope`, { token: admin.token }),
      404,
      'M_NOT_FOUND',
    );
  });

  test("a room's media is quarantined at once", async () => {
    const roomId = await createRoom(s, carol.token);
    const up = await upload(s, carol.token, 'room picture', { contentType: 'text/plain' });
    const uri = up.json().content_uri as string;
    await s.req('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/m1`, {
      token: carol.token,
      body: { msgtype: 'm.file', body: 'pic', url: uri },
    });
    const res = await s.req('POST', `${A}/room/${enc(roomId)}/media/quarantine`, {
      token: admin.token,
      body: {},
    });
    expect([res.statusCode, res.json()]).toEqual([200, { num_quarantined: 1 }]);
    expect((await download('test.local', mediaIdOf(uri), carol.token)).statusCode).toBe(404);
    expectError(
      await s.req('POST', `${A}/room/${enc('!nope:test.local')}/media/quarantine`, {
        token: admin.token,
        body: {},
      }),
      404,
      'M_NOT_FOUND',
    );
  });

  test('deleting one media, then the rest of a user’s', async () => {
    const id = bobMedia[0]!;
    expectError(
      await s.req('DELETE', `${A}/media/other.org/${id}`, { token: admin.token }),
      400,
      'M_INVALID_PARAM',
    );
    const del = await s.req('DELETE', `${A}/media/test.local/${id}`, { token: admin.token });
    expect([del.statusCode, del.json()]).toEqual([200, { deleted_media: [id], total: 1 }]);
    expect((await download('test.local', id, carol.token)).statusCode).toBe(404);
    expectError(
      await s.req('DELETE', `${A}/media/test.local/${id}`, { token: admin.token }),
      404,
      'M_NOT_FOUND',
    );

    const all = await s.req('DELETE', `${A}/users/${enc(bob.userId)}/media`, {
      token: admin.token,
    });
    expect(all.json()).toEqual({
      deleted_media: expect.arrayContaining(bobMedia.slice(1)),
      total: 2,
    });
    const left = (
      await s.req('GET', `${A}/users/${enc(bob.userId)}/media`, { token: admin.token })
    ).json();
    expect(left).toEqual({ media: [], total: 0 });
  });
});

describe('remote media cache', () => {
  test('quarantine and purge of other servers’ media cached here', async () => {
    const now = Date.now();
    await s.ctx.writer.transaction('test', async (tx) => {
      for (const [id, ts] of [
        ['old', now - 86_400_000],
        ['fresh', now],
      ] as const) {
        await upsertRemoteMedia(tx, {
          origin: 'remote.org',
          mediaId: id,
          contentType: 'text/plain',
          uploadName: null,
          length: 3,
          sha256: `${id}-sha`,
          ts,
          authenticated: true,
        });
      }
    });
    const q = await s.req('POST', `${A}/media/quarantine/remote.org/fresh`, {
      token: admin.token,
      body: {},
    });
    expect(q.statusCode).toBe(200);
    const info = (await s.req('GET', `${A}/media/remote.org/fresh`, { token: admin.token })).json();
    expect(info.media_info).toMatchObject({ media_origin: 'remote.org', quarantined_by: 'admin' });

    expectError(
      await s.req('POST', `${A}/purge_media_cache`, { token: admin.token, body: {} }),
      400,
      'M_MISSING_PARAM',
    );
    expectError(
      await s.req('POST', `${A}/purge_media_cache?before_ts=soon`, {
        token: admin.token,
        body: {},
      }),
      400,
      'M_INVALID_PARAM',
    );
    expectError(
      await s.req('POST', `${A}/purge_media_cache?before_ts=1`, { token: bob.token, body: {} }),
      403,
      'M_FORBIDDEN',
    );
    const purge = await s.req('POST', `${A}/purge_media_cache?before_ts=${now - 3_600_000}`, {
      token: admin.token,
      body: {},
    });
    expect([purge.statusCode, purge.json()]).toEqual([200, { deleted: 1 }]);
    expectError(
      await s.req('GET', `${A}/media/remote.org/old`, { token: admin.token }),
      404,
      'M_NOT_FOUND',
    );
    expect(
      (await s.req('GET', `${A}/media/remote.org/fresh`, { token: admin.token })).statusCode,
    ).toBe(200);
  });
});
