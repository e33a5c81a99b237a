import { promises as dns } from 'node:dns';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerDiscovery } from '../../../server/federation/discovery.js';
import { GuardedHttpsAgent } from '../../../server/net/guarded-agent.js';
import { createGuardedLookup, resolverResolveAll } from '../../../server/net/guarded-lookup.js';
import { createAddressPolicy } from '../../../server/net/ip-ranges.js';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.js';
import {
  createTestPki,
  json,
  startHttpsServer,
  type HttpsTestServer,
  type SeenRequest,
  type TestPki,
} from '../../helpers/tls.js';

// This file's addresses: the .well-known host on :443 (others use other 127.0.0.x).
const WK = '127.0.0.56';
const HOUR = 3_600_000;

let pki: TestPki;
let dnsServer: TestDnsServer;
let wk: HttpsTestServer;
/** Host header -> how the .well-known host answers for it. */
const routes = new Map<string, (req: SeenRequest, res: ServerResponse) => void>();

const NAMES = [
  'plain.test',
  'ported.test',
  'ip.test',
  'srvdeleg.test',
  'legacydeleg.test',
  'nodeleg.test',
  'cached.test',
  'badjson.test',
  'redirect.test',
  'loop.test',
  'tohttp.test',
  'big.test',
  'flaky.test',
  'missing.test',
];

beforeAll(async () => {
  pki = createTestPki();
  dnsServer = await startDnsServer();
  wk = await startHttpsServer(pki, {
    host: WK,
    port: 443,
    names: NAMES,
    handler: (req, res) => {
      const route = routes.get(req.headers.host ?? '');
      if (route) route(req, res);
      else json(res, 404, { errcode: 'M_NOT_FOUND' });
    },
  });
  for (const n of NAMES) dnsServer.set(n, { A: [WK] });
}, 60_000);

afterAll(async () => {
  await wk?.close();
  await dnsServer?.close();
  pki?.close();
});

function discovery(clock = { now: () => Date.now() }): ServerDiscovery {
  const policy = createAddressPolicy({ blacklist: [] });
  const resolver = new dns.Resolver();
  resolver.setServers([dnsServer.address]);
  const lookup = createGuardedLookup({ policy, resolve: resolverResolveAll(resolver) });
  return new ServerDiscovery({
    wellKnownAgent: new GuardedHttpsAgent({ policy, lookup }, { ca: pki.ca.cert }),
    dnsServers: [dnsServer.address],
    clock,
    wellKnownTimeoutMs: 2000,
  });
}

const hits = (host: string) => wk.seen.filter((r) => r.headers.host === host).length;

describe('resolveServerName, step by step', () => {
  it('1: an IP literal, with or without port; Host is the server name, no SNI name', async () => {
    const d = discovery();
    expect(await d.resolveServerName('192.0.2.10')).toEqual({
      targets: [{ host: '192.0.2.10', port: 8448 }],
      hostHeader: '192.0.2.10',
      tlsServerName: null,
      via: 'ip-literal',
      delegatedTo: null,
    });
    expect(await d.resolveServerName('[2001:db8::1]:8000')).toMatchObject({
      targets: [{ host: '2001:db8::1', port: 8000 }],
      hostHeader: '[2001:db8::1]:8000',
      tlsServerName: null,
    });
  });

  it('2: an explicit port skips .well-known and SRV', async () => {
    const before = wk.seen.length;
    dnsServer.set('_matrix-fed._tcp.ported.test', {
      SRV: [{ priority: 0, weight: 0, port: 1, target: 'elsewhere.test' }],
    });
    expect(await discovery().resolveServerName('ported.test:8500')).toEqual({
      targets: [{ host: 'ported.test', port: 8500 }],
      hostHeader: 'ported.test:8500',
      tlsServerName: 'ported.test',
      via: 'explicit-port',
      delegatedTo: null,
    });
    expect(wk.seen.length).toBe(before);
  });

  it('3.1: delegation to an IP literal', async () => {
    routes.set('ip.test', (_q, res) => json(res, 200, { 'm.server': '192.0.2.20:4443' }));
    expect(await discovery().resolveServerName('ip.test')).toEqual({
      targets: [{ host: '192.0.2.20', port: 4443 }],
      hostHeader: '192.0.2.20:4443',
      tlsServerName: null,
      via: 'ip-literal',
      delegatedTo: '192.0.2.20:4443',
    });
  });

  it('3.2: delegation with a port', async () => {
    routes.set('plain.test', (_q, res) => json(res, 200, { 'm.server': 'matrix.plain.test:443' }));
    expect(await discovery().resolveServerName('plain.test')).toEqual({
      targets: [{ host: 'matrix.plain.test', port: 443 }],
      hostHeader: 'matrix.plain.test:443',
      tlsServerName: 'matrix.plain.test',
      via: 'explicit-port',
      delegatedTo: 'matrix.plain.test:443',
    });
  });

  it('3.3: delegation without a port, then SRV _matrix-fed._tcp of the delegated name', async () => {
    routes.set('srvdeleg.test', (_q, res) => json(res, 200, { 'm.server': 'hs.srvdeleg.test' }));
    dnsServer.set('_matrix-fed._tcp.hs.srvdeleg.test', {
      SRV: [{ priority: 10, weight: 5, port: 8449, target: 'box1.srvdeleg.test.' }],
    });
    expect(await discovery().resolveServerName('srvdeleg.test')).toEqual({
      targets: [{ host: 'box1.srvdeleg.test', port: 8449 }],
      hostHeader: 'hs.srvdeleg.test',
      tlsServerName: 'hs.srvdeleg.test',
      via: 'srv',
      delegatedTo: 'hs.srvdeleg.test',
    });
  });

  it('3.4: ... or the deprecated _matrix._tcp; 3.5: else port 8448 of the delegated name', async () => {
    routes.set('legacydeleg.test', (_q, res) => json(res, 200, { 'm.server': 'hs.legacy.test' }));
    dnsServer.set('_matrix._tcp.hs.legacy.test', {
      SRV: [{ priority: 0, weight: 0, port: 7000, target: 'old.legacy.test' }],
    });
    expect(await discovery().resolveServerName('legacydeleg.test')).toMatchObject({
      targets: [{ host: 'old.legacy.test', port: 7000 }],
      hostHeader: 'hs.legacy.test',
      via: 'srv-legacy',
    });
    routes.set('nodeleg.test', (_q, res) => json(res, 200, { 'm.server': 'bare.nodeleg.test' }));
    expect(await discovery().resolveServerName('nodeleg.test')).toEqual({
      targets: [{ host: 'bare.nodeleg.test', port: 8448 }],
      hostHeader: 'bare.nodeleg.test',
      tlsServerName: 'bare.nodeleg.test',
      via: 'default-port',
      delegatedTo: 'bare.nodeleg.test',
    });
  });

  it('4-6: without .well-known, SRV of the server name, _matrix-fed before _matrix, then 8448', async () => {
    // No A record at all: the .well-known fetch fails, discovery goes on.
    dnsServer.set('_matrix-fed._tcp.both.test', {
      SRV: [
        { priority: 5, weight: 0, port: 8001, target: 'b.both.test' },
        { priority: 1, weight: 0, port: 8000, target: 'a.both.test' },
      ],
    });
    dnsServer.set('_matrix._tcp.both.test', {
      SRV: [{ priority: 0, weight: 0, port: 9999, target: 'legacy.both.test' }],
    });
    expect(await discovery().resolveServerName('both.test')).toEqual({
      targets: [
        { host: 'a.both.test', port: 8000 },
        { host: 'b.both.test', port: 8001 },
      ],
      hostHeader: 'both.test',
      tlsServerName: 'both.test',
      via: 'srv',
      delegatedTo: null,
    });
    dnsServer.set('_matrix._tcp.onlylegacy.test', {
      SRV: [{ priority: 0, weight: 0, port: 9999, target: 'legacy.onlylegacy.test' }],
    });
    expect(await discovery().resolveServerName('onlylegacy.test')).toMatchObject({
      targets: [{ host: 'legacy.onlylegacy.test', port: 9999 }],
      hostHeader: 'onlylegacy.test',
      via: 'srv-legacy',
    });
    // A well-known host answering 404 (missing.test) counts as no delegation.
    expect(await discovery().resolveServerName('missing.test')).toEqual({
      targets: [{ host: 'missing.test', port: 8448 }],
      hostHeader: 'missing.test',
      tlsServerName: 'missing.test',
      via: 'default-port',
      delegatedTo: null,
    });
  });

  it('reuses SRV answers for 5 minutes', async () => {
    let t = Date.now();
    const d = discovery({ now: () => t });
    dnsServer.set('_matrix-fed._tcp.moving.test', {
      SRV: [{ priority: 0, weight: 0, port: 8001, target: 'old.moving.test' }],
    });
    expect((await d.resolveServerName('moving.test')).targets).toEqual([
      { host: 'old.moving.test', port: 8001 },
    ]);
    dnsServer.set('_matrix-fed._tcp.moving.test', {
      SRV: [{ priority: 0, weight: 0, port: 8002, target: 'new.moving.test' }],
    });
    t += 4 * 60_000;
    expect((await d.resolveServerName('moving.test')).targets[0]!.port).toBe(8001);
    t += 2 * 60_000;
    expect((await d.resolveServerName('moving.test')).targets[0]!.port).toBe(8002);
  });

  it('an SRV answer of "." says the service is not offered', async () => {
    dnsServer.set('_matrix-fed._tcp.nope.test', {
      SRV: [{ priority: 0, weight: 0, port: 0, target: '.' }],
    });
    await expect(discovery().resolveServerName('nope.test')).rejects.toMatchObject({
      code: 'ESRVUNAVAILABLE',
    });
  });

  it('refuses an invalid server name', async () => {
    await expect(discovery().resolveServerName('bad name')).rejects.toMatchObject({
      code: 'EBADNAME',
    });
  });
});

describe('.well-known answers that are not delegations', () => {
  it.each([
    ['badjson.test', (res: ServerResponse) => res.end('{"m.server": ')],
    [
      'big.test',
      (res: ServerResponse) => json(res, 200, { 'm.server': 'x.test', pad: 'x'.repeat(60_000) }),
    ],
  ])('%s: skipped to SRV/8448', async (host, answer) => {
    routes.set(host, (_q, res) => answer(res));
    expect(await discovery().resolveServerName(host)).toMatchObject({
      via: 'default-port',
      delegatedTo: null,
      hostHeader: host,
    });
  });

  it('m.server that is not a server name is ignored', async () => {
    routes.set('badjson.test', (_q, res) => json(res, 200, { 'm.server': 'not a name!' }));
    const d = discovery();
    expect((await d.resolveServerName('badjson.test')).delegatedTo).toBeNull();
  });

  it('redirects are followed; loops and downgrades to http are not', async () => {
    routes.set('redirect.test', (q, res) => {
      if (q.url === '/.well-known/matrix/server') {
        res.writeHead(301, { Location: '/elsewhere' });
        return void res.end();
      }
      if (q.url === '/elsewhere') {
        res.writeHead(302, { Location: 'https://redirect.test/final' });
        return void res.end();
      }
      json(res, 200, { 'm.server': 'final.redirect.test:8443' });
    });
    expect((await discovery().resolveServerName('redirect.test')).delegatedTo).toBe(
      'final.redirect.test:8443',
    );
    routes.set('loop.test', (q, res) => {
      res.writeHead(302, { Location: q.url === '/a' ? '/.well-known/matrix/server' : '/a' });
      res.end();
    });
    expect((await discovery().resolveServerName('loop.test')).delegatedTo).toBeNull();
    routes.set('tohttp.test', (_q, res) => {
      res.writeHead(302, { Location: 'http://tohttp.test/.well-known/matrix/server' });
      res.end();
    });
    expect((await discovery().resolveServerName('tohttp.test')).delegatedTo).toBeNull();
  });
});

describe('.well-known caching', () => {
  it('keeps a delegation as long as Cache-Control says, then fetches again', async () => {
    let t = Date.now();
    const d = discovery({ now: () => t });
    routes.set('cached.test', (_q, res) =>
      json(res, 200, { 'm.server': 'one.cached.test:443' }, { 'Cache-Control': 'max-age=7200' }),
    );
    expect((await d.resolveServerName('cached.test')).delegatedTo).toBe('one.cached.test:443');
    routes.set('cached.test', (_q, res) => json(res, 200, { 'm.server': 'two.cached.test:443' }));
    t += HOUR;
    expect((await d.resolveServerName('cached.test')).delegatedTo).toBe('one.cached.test:443');
    t += HOUR + 1;
    expect((await d.resolveServerName('cached.test')).delegatedTo).toBe('two.cached.test:443');
    // Without headers: 24 h.
    const n = hits('cached.test');
    t += 23 * HOUR;
    await d.resolveServerName('cached.test');
    expect(hits('cached.test')).toBe(n);
    t += 2 * HOUR;
    await d.resolveServerName('cached.test');
    expect(hits('cached.test')).toBe(n + 1);
  });

  it('asks once for concurrent resolutions', async () => {
    routes.set('plain.test', (_q, res) =>
      setTimeout(() => json(res, 200, { 'm.server': 'matrix.plain.test:443' }), 50),
    );
    const n = hits('plain.test');
    const d = discovery();
    await Promise.all([1, 2, 3, 4].map(() => d.resolveServerName('plain.test')));
    expect(hits('plain.test')).toBe(n + 1);
  });

  it('keeps a recent delegation through an outage and backs off between retries', async () => {
    let t = Date.now();
    const d = discovery({ now: () => t });
    routes.set('flaky.test', (_q, res) =>
      json(res, 200, { 'm.server': 'hs.flaky.test:443' }, { 'Cache-Control': 'max-age=600' }),
    );
    expect((await d.resolveServerName('flaky.test')).delegatedTo).toBe('hs.flaky.test:443');
    routes.set('flaky.test', (_q, res) => json(res, 503, { error: 'down' }));
    t += 11 * 60_000;
    const n = hits('flaky.test');
    expect((await d.resolveServerName('flaky.test')).delegatedTo).toBe('hs.flaky.test:443');
    expect(hits('flaky.test')).toBe(n + 1);
    t += 60_000; // inside the 2-minute backoff: no new fetch
    await d.resolveServerName('flaky.test');
    expect(hits('flaky.test')).toBe(n + 1);
    t += 2 * 60_000; // past it: a new fetch, and the next backoff is 4 minutes
    await d.resolveServerName('flaky.test');
    expect(hits('flaky.test')).toBe(n + 2);
    t += 3 * 60_000;
    await d.resolveServerName('flaky.test');
    expect(hits('flaky.test')).toBe(n + 2);
    // Hours later the old delegation is no longer trusted.
    t += 4 * HOUR;
    expect((await d.resolveServerName('flaky.test')).delegatedTo).toBeNull();
  });

  it('caches "no delegation" (404) for an hour', async () => {
    let t = Date.now();
    const d = discovery({ now: () => t });
    const n = hits('missing.test');
    await d.resolveServerName('missing.test');
    t += HOUR - 1000;
    await d.resolveServerName('missing.test');
    expect(hits('missing.test')).toBe(n + 1);
    t += 2000;
    await d.resolveServerName('missing.test');
    expect(hits('missing.test')).toBe(n + 2);
  });
});
