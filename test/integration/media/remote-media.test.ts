import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createRequestSigner } from '../../../server/federation/x-matrix.js';
import { setMediaQuarantined } from '../../../server/media/admin.js';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';
import { decoded, jpegImage } from '../../unit/media/thumbnails-images.js';
import { filesUnder, randomBytesOf, upload } from './core-helpers.js';

// Remote media over federation (spec v1.11): a.test serves its media on
// GET /_matrix/federation/v1/media/download/{mediaId} as multipart/mixed; a user of b.test
// downloads mxc://a.test/... through b.test, which fetches it once, keeps it in its remote
// media cache and serves it from there.

const ports = new Map<string, number>();
let a: FederatedTestServer;
let b: FederatedTestServer;
let aliceToken: string;
let bobToken: string;
/** b.test's limit, below which a.test's big upload falls. */
const B_MAX_UPLOAD = 100_000;

beforeAll(async () => {
  a = await startFederatedServer('a.test', ports);
  b = await startFederatedServer('b.test', ports, { config: { max_upload_size: B_MAX_UPLOAD } });
  aliceToken = (await a.register('alice')).token;
  bobToken = (await b.register('bob')).token;
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

/** alice's upload on a.test: its media id. */
async function aliceUploads(
  bytes: Buffer | string,
  opts: { contentType?: string; filename?: string } = {},
): Promise<string> {
  const res = await upload(a, aliceToken, bytes, opts);
  expect(res.statusCode).toBe(200);
  return /^mxc:\/\/a\.test\/([A-Za-z0-9_-]+)$/.exec(
    res.json<{ content_uri: string }>().content_uri,
  )![1]!;
}

/** bob's authenticated download of mxc://{origin}/{mediaId} on b.test, over real HTTP. */
function bobDownloads(origin: string, mediaId: string, token = bobToken): Promise<Response> {
  return fetch(`${b.baseUrl}/_matrix/client/v1/media/download/${origin}/${mediaId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
}

/** How many times b.test asked `origin` for media. */
function mediaAsks(origin: string, mediaId: string): number {
  return b.federation.sent.filter((r) => r.destination === origin && r.path.includes(mediaId))
    .length;
}

/** b.test's signed GET to a.test. */
function signedFromB(path: string): Promise<Response> {
  const sign = createRequestSigner(b.ctx.config);
  return fetch(`${a.baseUrl}${path}`, {
    headers: { authorization: sign('a.test', 'GET', path, undefined) },
  });
}

async function cachedRows(origin: string, mediaId: string): Promise<number> {
  const row = await b.ctx.db.get<{ n: number }>(
    'SELECT COUNT(*) AS n FROM remote_media_cache WHERE media_origin = ? AND media_id = ?',
    origin,
    mediaId,
  );
  return row!.n;
}

test('the federation endpoint answers the content as multipart/mixed, byte for byte', async () => {
  const id = await aliceUploads('hello over federation\n', {
    contentType: 'text/plain',
    filename: 'notes (1).txt',
  });
  const res = await signedFromB(`/_matrix/federation/v1/media/download/${id}`);
  expect(res.status).toBe(200);
  const type = res.headers.get('content-type')!;
  const boundary = /^multipart\/mixed; boundary=([0-9a-f]{32})$/.exec(type)![1]!;
  const body = Buffer.from(await res.arrayBuffer());
  expect(body.toString('latin1')).toBe(
    `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
      `--${boundary}\r\nContent-Type: text/plain\r\n` +
      `Content-Disposition: inline; filename*=utf-8''notes%20%281%29.txt\r\n\r\n` +
      `hello over federation\n\r\n--${boundary}--\r\n`,
  );
  expect(Number(res.headers.get('content-length'))).toBe(body.length);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
});

test('the federation endpoint: unsigned 401, unknown or quarantined 404, bad timeout 400', async () => {
  const id = await aliceUploads('secret', { contentType: 'text/plain' });
  const unsigned = await fetch(`${a.baseUrl}/_matrix/federation/v1/media/download/${id}`);
  expect(unsigned.status).toBe(401);
  const unknown = await signedFromB('/_matrix/federation/v1/media/download/NoSuchMediaHere');
  expect(unknown.status).toBe(404);
  expect(await unknown.json()).toMatchObject({ errcode: 'M_NOT_FOUND' });
  await setMediaQuarantined(a.ctx, id, true);
  const quarantined = await signedFromB(`/_matrix/federation/v1/media/download/${id}`);
  expect(quarantined.status).toBe(404);
  expect(await quarantined.json()).toMatchObject({ errcode: 'M_NOT_FOUND' });
  const bad = await signedFromB(`/_matrix/federation/v1/media/download/${id}?timeout_ms=soon`);
  expect(bad.status).toBe(400);
});

test('an async upload without content: 504 M_NOT_YET_UPLOADED after timeout_ms', async () => {
  const created = await a.req('POST', '/_matrix/media/v1/create', { token: aliceToken, body: {} });
  const uri = created.json<{ content_uri: string }>().content_uri;
  const id = uri.split('/').pop()!;
  const res = await signedFromB(`/_matrix/federation/v1/media/download/${id}?timeout_ms=50`);
  expect(res.status).toBe(504);
  expect(await res.json()).toMatchObject({ errcode: 'M_NOT_YET_UPLOADED' });
});

test("bob on b.test downloads alice's upload: same bytes, safe headers, then from the cache", async () => {
  const bytes = randomBytesOf(40_000);
  const id = await aliceUploads(bytes, { contentType: 'image/png', filename: 'cat.png' });
  const first = await bobDownloads('a.test', id);
  expect(first.status).toBe(200);
  expect(Buffer.from(await first.arrayBuffer()).equals(bytes)).toBe(true);
  expect(first.headers.get('content-type')).toBe('image/png');
  expect(first.headers.get('content-disposition')).toBe("inline; filename*=utf-8''cat.png");
  expect(first.headers.get('content-security-policy')).toMatch(/^sandbox;/);
  expect(first.headers.get('x-content-type-options')).toBe('nosniff');
  expect(first.headers.get('cache-control')).toBe('private, max-age=86400');
  expect(mediaAsks('a.test', id)).toBe(1);
  expect(await cachedRows('a.test', id)).toBe(1);

  const second = await bobDownloads('a.test', id);
  expect(second.status).toBe(200);
  expect(Buffer.from(await second.arrayBuffer()).equals(bytes)).toBe(true);
  expect(mediaAsks('a.test', id)).toBe(1);
});

test('HTML from another server is served as an attachment', async () => {
  const id = await aliceUploads('<script>alert(1)</script>', {
    contentType: 'text/html',
    filename: 'x.html',
  });
  const res = await bobDownloads('a.test', id);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('content-disposition')).toBe("attachment; filename*=utf-8''x.html");
});

test('concurrent downloads of the same remote media share one fetch', async () => {
  const bytes = randomBytesOf(20_000);
  const id = await aliceUploads(bytes, { contentType: 'application/octet-stream' });
  const all = await Promise.all(Array.from({ length: 6 }, () => bobDownloads('a.test', id)));
  for (const res of all) {
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  }
  expect(mediaAsks('a.test', id)).toBe(1);
});

test('the legacy endpoint: allow_remote=false is 404 unfetched; uncached remote media 404', async () => {
  const id = await aliceUploads('legacy', { contentType: 'text/plain' });
  const noRemote = await fetch(
    `${b.baseUrl}/_matrix/media/v3/download/a.test/${id}?allow_remote=false`,
  );
  expect(noRemote.status).toBe(404);
  expect(await noRemote.json()).toMatchObject({ errcode: 'M_NOT_FOUND' });
  // enable_authenticated_media (default on): the legacy endpoints fetch no remote media.
  const legacy = await fetch(`${b.baseUrl}/_matrix/media/v3/download/a.test/${id}`);
  expect(legacy.status).toBe(404);
  expect(mediaAsks('a.test', id)).toBe(0);
  // Fetched for the authenticated endpoint, it stays off the legacy one.
  expect((await bobDownloads('a.test', id)).status).toBe(200);
  expect((await fetch(`${b.baseUrl}/_matrix/media/v3/download/a.test/${id}`)).status).toBe(404);
});

test('a remote file over max_upload_size is refused and nothing is kept', async () => {
  const id = await aliceUploads(randomBytesOf(B_MAX_UPLOAD + 1), {
    contentType: 'application/octet-stream',
  });
  const res = await bobDownloads('a.test', id);
  expect(res.status).toBe(502);
  expect(await res.json()).toMatchObject({ errcode: 'M_TOO_LARGE' });
  expect(await cachedRows('a.test', id)).toBe(0);
  expect(filesUnder(b, 'tmp')).toEqual([]);
});

test('unknown remote media is 404; quarantined cached media is 404', async () => {
  const unknown = await bobDownloads('a.test', 'NoSuchMediaThere');
  expect(unknown.status).toBe(404);
  expect(await unknown.json()).toMatchObject({ errcode: 'M_NOT_FOUND' });
  expect(await cachedRows('a.test', 'NoSuchMediaThere')).toBe(0);

  const id = await aliceUploads('soon quarantined', { contentType: 'text/plain' });
  expect((await bobDownloads('a.test', id)).status).toBe(200);
  await b.ctx.writer.transaction('test.quarantine_remote', (tx) =>
    tx.run(
      'UPDATE remote_media_cache SET quarantined = 1 WHERE media_origin = ? AND media_id = ?',
      'a.test',
      id,
    ),
  );
  const res = await bobDownloads('a.test', id);
  expect(res.status).toBe(404);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
});

test('an unreachable origin: 502 M_UNKNOWN, nothing kept', async () => {
  const res = await bobDownloads('nowhere.test', 'SomeMediaId');
  expect(res.status).toBe(502);
  expect(await res.json()).toMatchObject({ errcode: 'M_UNKNOWN' });
  expect(await cachedRows('nowhere.test', 'SomeMediaId')).toBe(0);
});

/**
 * A hand-written origin (what another implementation might answer), reachable from b.test
 * as `name`. `answer` gets the request path.
 */
async function fakeOrigin(
  name: string,
  answer: (path: string) => {
    status: number;
    headers?: Record<string, string>;
    body: Buffer | string;
  },
): Promise<Server> {
  const server = createServer((req, res) => {
    const r = answer(req.url ?? '');
    res.writeHead(r.status, r.headers ?? {});
    res.end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.set(name, (server.address() as AddressInfo).port);
  return server;
}

async function closeFake(name: string, server: Server): Promise<void> {
  ports.delete(name);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const json = (status: number, body: unknown) => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

test('an origin without the federation endpoint: the legacy download, allow_remote=false', async () => {
  const paths: string[] = [];
  const old = await fakeOrigin('old.test', (path) => {
    paths.push(path);
    if (path.startsWith('/_matrix/federation/')) {
      return json(404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
    }
    return {
      status: 200,
      headers: {
        'content-type': 'text/plain',
        'content-disposition': 'inline; filename="old.txt"',
      },
      body: 'from an old server',
    };
  });
  try {
    const res = await bobDownloads('old.test', 'OldMedia');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('from an old server');
    expect(res.headers.get('content-disposition')).toBe("inline; filename*=utf-8''old.txt");
    expect(paths).toEqual([
      '/_matrix/federation/v1/media/download/OldMedia?timeout_ms=20000',
      '/_matrix/media/v3/download/old.test/OldMedia?allow_remote=false&timeout_ms=20000',
    ]);
  } finally {
    await closeFake('old.test', old);
  }
});

test('5xx, malformed multipart and a Location into blocked addresses: 502, nothing kept', async () => {
  const cases: Record<string, ReturnType<typeof json>> = {
    ServerError: json(500, { errcode: 'M_UNKNOWN', error: 'boom' }),
    NotMultipart: { status: 200, headers: { 'content-type': 'image/png' }, body: 'png?' },
    NoClose: {
      status: 200,
      headers: { 'content-type': 'multipart/mixed; boundary=xyz' },
      body: '--xyz\r\nContent-Type: application/json\r\n\r\n{}\r\n--xyz\r\n\r\nbytes',
    },
    OnePart: {
      status: 200,
      headers: { 'content-type': 'multipart/mixed; boundary=xyz' },
      body: '--xyz\r\nContent-Type: application/json\r\n\r\n{}\r\n--xyz--\r\n',
    },
    Located: {
      status: 200,
      headers: { 'content-type': 'multipart/mixed; boundary=xyz' },
      body:
        '--xyz\r\nContent-Type: application/json\r\n\r\n{}\r\n' +
        // A real server answering 200 there: only the guard (loopback blocked) refuses it.
        `--xyz\r\nLocation: ${b.baseUrl}/_matrix/client/versions\r\n\r\n\r\n--xyz--\r\n`,
    },
  };
  const bad = await fakeOrigin('bad.test', (path) => {
    const id = /download\/([A-Za-z]+)/.exec(path)![1]!;
    return cases[id]!;
  });
  try {
    for (const id of Object.keys(cases)) {
      const res = await bobDownloads('bad.test', id);
      expect([id, res.status]).toEqual([id, 502]);
      expect(await res.json()).toMatchObject({ errcode: 'M_UNKNOWN' });
      expect(await cachedRows('bad.test', id)).toBe(0);
    }
    expect(filesUnder(b, 'tmp')).toEqual([]);
  } finally {
    await closeFake('bad.test', bad);
  }
});

test('an origin that does not answer in time: 504, nothing kept', async () => {
  const silent = await fakeOrigin('silent.test', () => ({ status: 200, body: '' }));
  silent.removeAllListeners('request'); // accepts connections, never answers
  const loopback = b.federation;
  // The real loopback client, with the timeout cut from 60 s to what a test can wait.
  b.ctx.federation = { request: (d, r) => loopback.request(d, { ...r, timeoutMs: 300 }) };
  try {
    const res = await bobDownloads('silent.test', 'SlowMedia');
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ errcode: 'M_UNKNOWN' });
    expect(await cachedRows('silent.test', 'SlowMedia')).toBe(0);
  } finally {
    b.ctx.federation = loopback;
    await closeFake('silent.test', silent);
  }
});

test('a Location part is followed (through the guard) when its address is allowed', async () => {
  const c = await startFederatedServer('c.test', ports, {
    config: { ip_range_whitelist: ['127.0.0.1/32'] },
  });
  const cdn = createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'image/gif',
      'content-disposition': 'inline; filename=a.gif',
    });
    res.end('GIF89a-ish');
  });
  await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
  const cdnPort = (cdn.address() as AddressInfo).port;
  const origin = await fakeOrigin('cdn-origin.test', () => ({
    status: 200,
    headers: { 'content-type': 'multipart/mixed; boundary="b 1"' },
    body:
      '--b 1\r\nContent-Type: application/json\r\n\r\n{}\r\n' +
      `--b 1\r\nLocation: http://127.0.0.1:${cdnPort}/media/1\r\n\r\n\r\n--b 1--\r\n`,
  }));
  try {
    const { token } = await c.register('carol');
    const res = await fetch(
      `${c.baseUrl}/_matrix/client/v1/media/download/cdn-origin.test/Located`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('GIF89a-ish');
    expect(res.headers.get('content-type')).toBe('image/gif');
  } finally {
    await closeFake('cdn-origin.test', origin);
    cdn.closeAllConnections();
    await new Promise((resolve) => cdn.close(resolve));
    await c.close();
  }
});

test('with enable_authenticated_media off, the legacy endpoint fetches remote media', async () => {
  const d = await startFederatedServer('d.test', ports, {
    config: { enable_authenticated_media: false },
  });
  try {
    const id = await aliceUploads('for old clients', { contentType: 'text/plain' });
    const res = await fetch(`${d.baseUrl}/_matrix/media/v3/download/a.test/${id}/x.txt`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('for old clients');
    expect(res.headers.get('content-disposition')).toBe("inline; filename*=utf-8''x.txt");
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400, s-maxage=86400');
    const noRemote = await fetch(
      `${d.baseUrl}/_matrix/media/v3/download/a.test/NotFetchedYet?allow_remote=false`,
    );
    expect(noRemote.status).toBe(404);
    expect(d.federation.sent.filter((r) => r.path.includes('NotFetchedYet'))).toEqual([]);
  } finally {
    await d.close();
  }
});

test("thumbnails of another server's image: fetched once into the cache, made here", async () => {
  // Under b.test's max_upload_size (B_MAX_UPLOAD), which remote media must fit too.
  const id = await aliceUploads(await jpegImage(300, 200), {
    contentType: 'image/jpeg',
    filename: 'view.jpg',
  });
  const thumb = (q: string) =>
    fetch(`${b.baseUrl}/_matrix/client/v1/media/thumbnail/a.test/${id}?${q}`, {
      headers: { authorization: `Bearer ${bobToken}` },
    });
  const crop = await thumb('width=32&height=32&method=crop');
  expect(crop.status).toBe(200);
  expect(crop.headers.get('content-type')).toBe('image/jpeg');
  expect(await decoded(Buffer.from(await crop.arrayBuffer()))).toMatchObject({
    width: 32,
    height: 32,
  });
  const scale = await thumb('width=96&height=96&method=scale');
  expect(scale.status).toBe(200);
  const { width, height } = await decoded(Buffer.from(await scale.arrayBuffer()));
  // The pre-generated 320x240 scale (Synapse's choice for 96x96), which never enlarges.
  expect([width, height]).toEqual([300, 200]);
  // The original was fetched once, by the first request; the download comes from the cache.
  expect(mediaAsks('a.test', id)).toBe(1);
  expect(await cachedRows('a.test', id)).toBe(1);
  expect((await bobDownloads('a.test', id)).status).toBe(200);
  expect(mediaAsks('a.test', id)).toBe(1);
});

test('remote thumbnails: unknown 404; legacy allow_remote=false 404 unfetched; not over federation', async () => {
  const unknown = await fetch(
    `${b.baseUrl}/_matrix/client/v1/media/thumbnail/a.test/NoSuchImage?width=32&height=32`,
    { headers: { authorization: `Bearer ${bobToken}` } },
  );
  expect(unknown.status).toBe(404);
  const id = await aliceUploads(await jpegImage(100, 100), { contentType: 'image/jpeg' });
  const legacy = await fetch(
    `${b.baseUrl}/_matrix/media/v3/thumbnail/a.test/${id}?width=32&height=32&allow_remote=false`,
  );
  expect(legacy.status).toBe(404);
  expect(mediaAsks('a.test', id)).toBe(0);
  // b.test's federation endpoint serves b.test's media only, never a third server's.
  expect((await bobDownloads('a.test', id)).status).toBe(200);
  const sign = createRequestSigner(a.ctx.config);
  const path = `/_matrix/federation/v1/media/thumbnail/${id}?width=32&height=32`;
  const viaFederation = await fetch(`${b.baseUrl}${path}`, {
    headers: { authorization: sign('b.test', 'GET', path, undefined) },
  });
  expect(viaFederation.status).toBe(404);
});
