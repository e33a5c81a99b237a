import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeServerMedia } from '../../../server/media/local-media.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { redirect, serve, startTargetSite, type TargetSite } from './preview-targets.js';

// URL previews as a client sees them: real web pages on loopback (allowed by the test's
// url_preview_ip_range_blacklist, which blocks another range), through the real HTTP app.

const AUTHED = '/_matrix/client/v1/media/preview_url';
const LEGACY = '/_matrix/media/v3/preview_url';

let site: TargetSite;
let s: TestServer;
let token: string;
let now = Date.parse('2026-11-27T10:00:00Z');
let png: Buffer;
/** Whether local media (another part of the media work) can store the preview's images yet. */
let mediaStore: boolean;

const q = (url: string, ts?: number) =>
  `${AUTHED}?url=${encodeURIComponent(url)}${ts === undefined ? '' : `&ts=${ts}`}`;

beforeAll(async () => {
  site = await startTargetSite();
  png = await sharp({ create: { width: 40, height: 30, channels: 3, background: 'red' } })
    .png()
    .toBuffer();
  const dir = mkdtempSync(join(tmpdir(), 'hearth-preview-'));
  const providers = join(dir, 'providers.json');
  writeFileSync(
    providers,
    JSON.stringify([
      {
        provider_name: 'Loopback Video',
        provider_url: site.base,
        endpoints: [{ schemes: [`${site.base}/video/*`], url: `${site.base}/oembed` }],
      },
    ]),
  );
  s = await createTestServer(
    {
      url_preview_enabled: true,
      url_preview_ip_range_blacklist: ['127.0.0.2/32', '10.0.0.0/8'],
      max_spider_size: '64K',
      url_preview_accept_language: ['fr', 'en;q=0.5'],
      oembed: { additional_providers: [providers] },
    },
    { clock: { now: () => now } },
  );
  token = (await s.register('alice')).token;
  mediaStore = await storeServerMedia(s.ctx, {
    stream: Readable.from([Buffer.from('probe')]),
    contentType: 'text/plain',
    uploadName: null,
    maxBytes: 100,
  }).then(
    () => true,
    () => false,
  );
});

afterAll(async () => {
  await s?.close();
  await site?.close();
});

/** What an image stored for a preview adds, when local media can store it. */
function expectImage(body: Record<string, unknown>, w: number, h: number) {
  if (!mediaStore) {
    expect(
      Object.keys(body).filter((k) => k.startsWith('og:image') || k.startsWith('matrix:')),
    ).toEqual([]);
    return;
  }
  expect(body['og:image']).toMatch(/^mxc:\/\/test\.local\/[A-Za-z0-9_-]+$/);
  expect(body['og:image:type']).toBe('image/png');
  expect(body['matrix:image:size']).toBe(png.length);
  expect(body['og:image:width']).toBe(w);
  expect(body['og:image:height']).toBe(h);
}

describe('GET /preview_url with previews on', () => {
  it('answers an OpenGraph page on both paths, with its image stored as local media', async () => {
    let language = '';
    site.page('/og', (req, res) => {
      language = req.headers['accept-language'] ?? '';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head>
        <meta property="og:title" content="Matrix &amp; Hearth">
        <meta property="og:description" content="A personal homeserver">
        <meta property="og:site_name" content="Loopback">
        <meta property="og:image" content="/pic.png">
        <meta property="og:image:width" content="999">
        <title>ignored title</title></head><body><p>ignored</p></body></html>`);
    });
    site.page('/pic.png', serve('image/png', png));
    const res = await s.req('GET', q(`${site.base}/og`), { token });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      'og:title': 'Matrix & Hearth',
      'og:description': 'A personal homeserver',
      'og:site_name': 'Loopback',
    });
    expectImage(body, 40, 30);
    expect(language).toBe('fr, en;q=0.5');
    // The legacy path answers the same (from the cache).
    const legacy = await s.req('GET', `${LEGACY}?url=${encodeURIComponent(`${site.base}/og`)}`, {
      token,
    });
    expect(legacy.statusCode).toBe(200);
    expect(legacy.json()).toEqual(body);
  });

  it('needs an access token', async () => {
    const res = await s.req('GET', q(`${site.base}/og`));
    expect(res.statusCode).toBe(401);
    expect(res.json().errcode).toBe('M_MISSING_TOKEN');
    const missing = await s.req('GET', AUTHED, { token });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errcode).toBe('M_MISSING_PARAM');
  });

  it('falls back to <title>, meta description and the largest sensible <img>', async () => {
    site.page(
      '/plain',
      serve(
        'text/html',
        `<html><head><title>  Plain
        page </title><meta name="description" content="Described here"></head>
        <body><img src="/tiny.png" width="1" height="1"><img src="big.png" width="400" height="300"></body></html>`,
      ),
    );
    site.page('/big.png', serve('image/png', png));
    const res = await s.req('GET', q(`${site.base}/plain`), { token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      'og:title': 'Plain page',
      'og:description': 'Described here',
    });
    expectImage(res.json(), 40, 30);
    expect(site.hits).toContain('/big.png');
    expect(site.hits).not.toContain('/tiny.png');
  });

  it('summarizes the body text when the page has no description', async () => {
    const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    site.page(
      '/text',
      serve(
        'text/html',
        `<html><head><title>T</title></head><body>
        <nav>Menu items</nav><script>var x = "not text";</script><p>${words}</p></body></html>`,
      ),
    );
    const body = (await s.req('GET', q(`${site.base}/text`), { token })).json();
    expect(body['og:title']).toBe('T');
    expect(body['og:description']).toMatch(/^word0 word1 word2 /);
    expect(body['og:description']).not.toContain('Menu');
    expect(body['og:description']).not.toContain('not text');
    expect(body['og:description'].length).toBeLessThanOrEqual(501);
    expect(body['og:description'].endsWith('…')).toBe(true);
  });

  it('decodes the page in the charset it declares', async () => {
    site.page(
      '/latin1',
      serve(
        'text/html',
        Buffer.from(
          '<html><head><meta charset="windows-1252"><title>Caf\xe9 cr\xe8me</title></head></html>',
          'latin1',
        ),
      ),
    );
    const body = (await s.req('GET', q(`${site.base}/latin1`), { token })).json();
    expect(body['og:title']).toBe('Café crème');
  });

  it('stores a data: og:image, and takes the oEmbed values a page advertises', async () => {
    const dataUrl = `data:image/png;base64,${png.toString('base64')}`;
    site.page(
      '/with-oembed',
      serve(
        'text/html',
        `<html><head><title>page title</title>
        <meta property="og:description" content="page description">
        <meta property="og:image" content="${dataUrl}">
        <link rel="alternate" type="application/json+oembed" href="/page-oembed.json"></head></html>`,
      ),
    );
    site.page(
      '/page-oembed.json',
      serve(
        'application/json',
        JSON.stringify({
          version: '1.0',
          type: 'link',
          title: 'oEmbed title',
          provider_name: 'Site',
        }),
      ),
    );
    const res = await s.req('GET', q(`${site.base}/with-oembed`), { token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      'og:title': 'oEmbed title',
      'og:site_name': 'Site',
      'og:description': 'page description',
    });
    expectImage(res.json(), 40, 30);
  });

  it('previews an image URL as the image itself', async () => {
    site.page('/direct.png', serve('image/png', png));
    const res = await s.req('GET', q(`${site.base}/direct.png`), { token });
    expect(res.statusCode).toBe(200);
    expectImage(res.json(), 40, 30);
  });

  it('answers an empty preview for content that is neither HTML nor an image', async () => {
    site.page('/doc.pdf', serve('application/pdf', Buffer.alloc(1000)));
    site.page('/data.json', serve('application/json', '{"og:title":"not a page"}'));
    for (const p of ['/doc.pdf', '/data.json']) {
      const res = await s.req('GET', q(`${site.base}${p}`), { token });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({});
    }
  });

  it('uses a configured oEmbed provider for the URLs it serves', async () => {
    let asked = '';
    site.page('/oembed', (req, res) => {
      asked = req.url ?? '';
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          version: '1.0',
          type: 'video',
          title: 'A loopback video',
          provider_name: 'Loopback Video',
          thumbnail_url: `${site.base}/thumb.png`,
          html: '<iframe src="x"></iframe><p>Watch <b>this</b></p>',
        }),
      );
    });
    site.page('/thumb.png', serve('image/png', png));
    const res = await s.req('GET', q(`${site.base}/video/42`), { token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      'og:title': 'A loopback video',
      'og:site_name': 'Loopback Video',
      'og:description': 'Watch this',
      'og:url': `${site.base}/video/42`,
    });
    expectImage(res.json(), 40, 30);
    expect(new URL(asked, site.base).searchParams.get('url')).toBe(`${site.base}/video/42`);
    // The page itself was never fetched.
    expect(site.hits).not.toContain('/video/42');
  });

  it('serves a repeat request, and one with an earlier ts, from the cache; fetches again once it expires', async () => {
    let fetched = 0;
    site.page('/cached', (_req, res) => {
      fetched++;
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>version ${fetched}</title>`);
    });
    const first = (await s.req('GET', q(`${site.base}/cached`), { token })).json();
    expect(first['og:title']).toBe('version 1');
    const again = (await s.req('GET', q(`${site.base}/cached`), { token })).json();
    const earlier = (
      await s.req('GET', q(`${site.base}/cached`, now - 86_400_000), { token })
    ).json();
    expect([again['og:title'], earlier['og:title'], fetched]).toEqual([
      'version 1',
      'version 1',
      1,
    ]);
    const fetchedAt = now;
    now += 3_600_001;
    const later = (await s.req('GET', q(`${site.base}/cached`), { token })).json();
    expect([later['og:title'], fetched]).toEqual(['version 2', 2]);
    // A ts inside the first preview's hour still gets that one.
    const old = (await s.req('GET', q(`${site.base}/cached`, fetchedAt + 10), { token })).json();
    expect(old['og:title']).toBe('version 1');
  });

  it('shares one fetch between concurrent requests for a URL', async () => {
    let fetched = 0;
    site.page('/slowish', (_req, res) => {
      fetched++;
      setTimeout(
        () => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>once</title>'),
        200,
      );
    });
    const all = await Promise.all(
      [1, 2, 3].map(() => s.req('GET', q(`${site.base}/slowish`), { token })),
    );
    expect(all.map((r) => r.json()['og:title'])).toEqual(['once', 'once', 'once']);
    expect(fetched).toBe(1);
  });

  it('answers 502 for an error page, and remembers the failure for a while', async () => {
    let fetched = 0;
    site.page('/broken', (_req, res) => {
      fetched++;
      res.writeHead(500, { 'content-type': 'text/html' }).end('<title>oops</title>');
    });
    const res = await s.req('GET', q(`${site.base}/broken`), { token });
    expect(res.statusCode).toBe(502);
    expect(res.json()).toEqual({ errcode: 'M_UNKNOWN', error: 'Got error 500' });
    const again = await s.req('GET', q(`${site.base}/broken`), { token });
    expect([again.statusCode, fetched]).toEqual([502, 1]);
    now += 61_000;
    await s.req('GET', q(`${site.base}/broken`), { token });
    expect(fetched).toBe(2);
  });

  it('follows redirects within the allowed addresses', async () => {
    site.page('/r1', redirect('/r2', 301));
    site.page('/r2', redirect(`${site.base}/final`, 307));
    site.page('/final', serve('text/html', '<title>arrived</title>'));
    const res = await s.req('GET', q(`${site.base}/r1`), { token });
    expect(res.json()['og:title']).toBe('arrived');
  });
});

describe('GET /preview_url with previews off (the default)', () => {
  let off: TestServer;
  let offToken: string;
  beforeAll(async () => {
    off = await createTestServer();
    offToken = (await off.register('bob')).token;
  });
  afterAll(() => off?.close());

  it('answers 404 M_UNRECOGNIZED on both paths, as Synapse does, fetching nothing', async () => {
    const before = site.hits.length;
    for (const path of [AUTHED, LEGACY]) {
      const res = await off.req('GET', `${path}?url=${encodeURIComponent(`${site.base}/og`)}`, {
        token: offToken,
      });
      expect(res.statusCode).toBe(404);
      expect(res.json().errcode).toBe('M_UNRECOGNIZED');
    }
    expect(site.hits.length).toBe(before);
  });
});
