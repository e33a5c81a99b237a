import { promises as dns } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolverResolveAll } from '../../../server/net/guarded-lookup.js';
import { setPreviewNetOptions } from '../../../server/media/preview/preview-net.js';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { redirect, serve, startTargetSite, type TargetSite } from './preview-targets.js';

// The hostile side of URL previews, as a client sees it. The public site is on 127.0.0.1
// (allowed); an "internal" site on 127.0.0.2, same port, stands for the server's own
// network: url_preview_ip_range_blacklist blocks 127.0.0.2/31 (whitelisting 127.0.0.3), and
// the internal site must never be reached, whatever the redirects and DNS answers say.
// Names resolve through a real DNS server on loopback.

const AUTHED = '/_matrix/client/v1/media/preview_url';

let site: TargetSite;
let internal: TargetSite;
let whitelisted: TargetSite;
let dnsServer: TestDnsServer;
let s: TestServer;
let token: string;

const q = (url: string) => `${AUTHED}?url=${encodeURIComponent(url)}`;
const preview = async (url: string) => {
  const res = await s.req('GET', q(url), { token });
  return { status: res.statusCode, body: res.json() };
};

beforeAll(async () => {
  site = await startTargetSite('127.0.0.1');
  internal = await startTargetSite('127.0.0.2', site.port);
  whitelisted = await startTargetSite('127.0.0.3', site.port);
  internal.page('/secret', serve('text/html', '<title>internal secret</title>'));
  internal.page('/secret.png', serve('image/png', Buffer.from('not really')));
  whitelisted.page('/ok', serve('text/html', '<title>whitelisted</title>'));
  dnsServer = await startDnsServer();
  dnsServer.set('public.test', { A: ['127.0.0.1'] });
  dnsServer.set('internal.test', { A: ['127.0.0.2'] });
  dnsServer.set('mixed.test', { A: ['127.0.0.1', '127.0.0.2'] });
  // Hex form: dns2 encodes the dotted form of an IPv4-mapped address wrongly.
  dnsServer.set('mapped.test', { AAAA: ['::ffff:7f00:2'] });
  s = await createTestServer({
    url_preview_enabled: true,
    url_preview_ip_range_blacklist: ['127.0.0.2/31', '10.0.0.0/8', 'fe80::/10'],
    url_preview_ip_range_whitelist: ['127.0.0.3'],
    url_preview_url_blacklist: [{ path: '/blocked*' }, { username: '*' }, { netloc: '^evil\\.' }],
    max_spider_size: '16K',
  });
  const resolver = new dns.Resolver();
  resolver.setServers([dnsServer.address]);
  setPreviewNetOptions(s.ctx, { resolve: resolverResolveAll(resolver), timeoutMs: 1500 });
  token = (await s.register('mallory')).token;
});

afterAll(async () => {
  await s?.close();
  await Promise.all([site?.close(), internal?.close(), whitelisted?.close(), dnsServer?.close()]);
});

const FORBIDDEN_ADDRESS = {
  errcode: 'M_FORBIDDEN',
  error: 'URL preview of this address is not allowed (url_preview_ip_range_blacklist)',
};

describe('the address guard', () => {
  it('refuses a blocked address given directly, as a name, or as an IPv4-mapped IPv6 literal', async () => {
    for (const url of [
      `http://127.0.0.2:${site.port}/secret`,
      `http://internal.test:${site.port}/secret`,
      `http://[::ffff:127.0.0.2]:${site.port}/secret`,
      `http://mapped.test:${site.port}/secret`,
      `http://10.1.2.3:${site.port}/secret`,
    ]) {
      expect(await preview(url), url).toEqual({ status: 403, body: FORBIDDEN_ADDRESS });
    }
    expect(internal.hits).toEqual([]);
  });

  it('refuses a name when any of its addresses is blocked', async () => {
    expect(await preview(`http://mixed.test:${site.port}/secret`)).toEqual({
      status: 403,
      body: FORBIDDEN_ADDRESS,
    });
    expect(internal.hits).toEqual([]);
  });

  it('lets a whitelisted address inside a blocked range through', async () => {
    expect(await preview(`http://127.0.0.3:${site.port}/ok`)).toEqual({
      status: 200,
      body: { 'og:title': 'whitelisted' },
    });
  });

  it('re-checks every redirect: a chain ending in a blocked range is refused', async () => {
    site.page('/hop1', redirect('/hop2'));
    site.page('/hop2', redirect(`http://public.test:${site.port}/hop3`, 301));
    site.page('/hop3', redirect(`http://127.0.0.2:${site.port}/secret`, 307));
    site.page('/to-name', redirect(`http://internal.test:${site.port}/secret`, 308));
    expect(await preview(`${site.base}/hop1`)).toEqual({ status: 403, body: FORBIDDEN_ADDRESS });
    expect(await preview(`${site.base}/to-name`)).toEqual({ status: 403, body: FORBIDDEN_ADDRESS });
    expect(site.hits).toEqual(expect.arrayContaining(['/hop1', '/hop2', '/hop3', '/to-name']));
    expect(internal.hits).toEqual([]);
  });

  it('checks at connect time: a name that turns to a blocked address after the first answer never reaches it', async () => {
    // DNS rebinding: the first answer is the public site, every later one the internal
    // site (same port). The page loads; its image and a redirect back to the same name
    // are re-resolved at their connects and refused.
    let answers = 0;
    dnsServer.set('rebind.test', { A: () => (answers++ === 0 ? ['127.0.0.1'] : ['127.0.0.2']) });
    site.page(
      '/rebind',
      serve(
        'text/html',
        `<html><head><title>looks fine</title>
      <meta property="og:image" content="http://rebind.test:${site.port}/secret.png"></head></html>`,
      ),
    );
    const first = await preview(`http://rebind.test:${site.port}/rebind`);
    expect(first).toEqual({ status: 200, body: { 'og:title': 'looks fine' } });
    expect(answers).toBeGreaterThanOrEqual(2);

    let answers2 = 0;
    dnsServer.set('rebind2.test', { A: () => (answers2++ === 0 ? ['127.0.0.1'] : ['127.0.0.2']) });
    site.page('/bounce', redirect(`http://rebind2.test:${site.port}/secret`));
    expect(await preview(`http://rebind2.test:${site.port}/bounce`)).toEqual({
      status: 403,
      body: FORBIDDEN_ADDRESS,
    });
    expect(internal.hits).toEqual([]);
  });

  it('leaves out an og:image on a blocked address, keeping the rest of the preview', async () => {
    site.page(
      '/sneaky-image',
      serve(
        'text/html',
        `<meta property="og:title" content="Sneaky">
      <meta property="og:image" content="http://127.0.0.2:${site.port}/secret.png">`,
      ),
    );
    expect(await preview(`${site.base}/sneaky-image`)).toEqual({
      status: 200,
      body: { 'og:title': 'Sneaky' },
    });
    expect(internal.hits).toEqual([]);
  });
});

describe('redirects', () => {
  it('gives up after 10 redirects, and on a loop', async () => {
    for (let i = 0; i < 12; i++) site.page(`/chain${i}`, redirect(`/chain${i + 1}`));
    site.page('/chain12', serve('text/html', '<title>too far</title>'));
    const far = await preview(`${site.base}/chain0`);
    expect(far).toEqual({
      status: 502,
      body: { errcode: 'M_UNKNOWN', error: 'more than 10 redirects' },
    });
    site.page('/loop-a', redirect('/loop-b'));
    site.page('/loop-b', redirect('/loop-a'));
    const loop = await preview(`${site.base}/loop-a`);
    expect(loop.status).toBe(502);
    expect(loop.body.error).toMatch(/redirect loop/);
  });

  it('refuses a redirect to a non-HTTP scheme', async () => {
    site.page('/to-file', redirect('file:///etc/passwd'));
    site.page('/to-js', redirect('javascript:alert(1)'));
    for (const p of ['/to-file', '/to-js']) {
      const res = await preview(`${site.base}${p}`);
      expect(res.status).toBe(502);
      expect(res.body.errcode).toBe('M_UNKNOWN');
    }
  });
});

describe('the URL blacklist', () => {
  it('refuses a blacklisted URL before fetching it', async () => {
    const before = site.hits.length;
    for (const url of [
      `${site.base}/blocked/page`,
      `http://user@127.0.0.1:${site.port}/page`,
      `http://evil.public.test:${site.port}/page`,
    ]) {
      expect(await preview(url), url).toEqual({
        status: 403,
        body: { errcode: 'M_FORBIDDEN', error: 'URL blocked by url_preview_url_blacklist' },
      });
    }
    expect(site.hits.length).toBe(before);
  });

  it('applies to every redirect target', async () => {
    site.page('/blocked-target', serve('text/html', '<title>should not be read</title>'));
    site.page('/to-blocked', redirect('/blocked-target'));
    expect((await preview(`${site.base}/to-blocked`)).status).toBe(403);
    expect(site.hits).not.toContain('/blocked-target');
  });
});

describe('what the client asks for', () => {
  it('refuses URLs that are not http(s), or not URLs', async () => {
    for (const url of [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'ftp://127.0.0.1/x',
      'data:text/html,<title>x</title>',
    ]) {
      const res = await preview(url);
      expect(res.status, url).toBe(400);
      expect(res.body.errcode).toBe('M_INVALID_PARAM');
    }
    const res = await preview('not a url');
    expect([res.status, res.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
  });
});

describe('size and time limits', () => {
  it('refuses a page declaring more than max_spider_size', async () => {
    const page = `<title>big</title>${'x'.repeat(20_000)}`;
    site.page(
      '/huge-declared',
      serve('text/html', page, { 'content-length': String(page.length) }),
    );
    expect(await preview(`${site.base}/huge-declared`)).toEqual({
      status: 502,
      body: { errcode: 'M_TOO_LARGE', error: 'Requested file is too large > 16384 bytes' },
    });
  });

  it('stops reading an endless page at the limit, previewing what it read', async () => {
    let sent = 0;
    let closed = false;
    site.page('/endless', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<html><head><title>endless</title></head><body><p>');
      const timer = setInterval(() => {
        if (res.destroyed) return;
        sent += 4096;
        res.write('y '.repeat(2048));
      }, 1);
      res.on('close', () => {
        closed = true;
        clearInterval(timer);
      });
    });
    const res = await preview(`${site.base}/endless`);
    expect(res.status).toBe(200);
    expect(res.body['og:title']).toBe('endless');
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(1024 * 1024);
  });

  it('does not store an oversized image', async () => {
    site.page(
      '/big-image-page',
      serve(
        'text/html',
        `<title>with big image</title><meta property="og:image" content="/big.png">`,
      ),
    );
    site.page('/big.png', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.alloc(40_000));
    });
    expect(await preview(`${site.base}/big-image-page`)).toEqual({
      status: 200,
      body: { 'og:title': 'with big image' },
    });
  });

  it('answers 504 for a page that does not finish in time', async () => {
    site.page('/slow', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<html><head>');
    });
    site.page('/silent', () => {});
    for (const p of ['/slow', '/silent']) {
      const started = Date.now();
      const res = await preview(`${site.base}${p}`);
      expect(res.status).toBe(504);
      expect(res.body.errcode).toBe('M_UNKNOWN');
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });

  it('answers an empty preview for non-HTML content types', async () => {
    site.page('/script.js', serve('application/javascript', 'alert(1)'));
    site.page(
      '/svg',
      serve(
        'image/svg+xml',
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      ),
    );
    site.page('/octets', serve('application/octet-stream', Buffer.alloc(100)));
    for (const p of ['/script.js', '/octets']) {
      expect(await preview(`${site.base}${p}`), p).toEqual({ status: 200, body: {} });
    }
  });
});
