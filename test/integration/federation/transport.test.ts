import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../server/core/config/load.js';
import { silentLogger } from '../../../server/core/logger.js';
import {
  createFederationTransport,
  type FederationTransport,
} from '../../../server/federation/transport.js';
import { FederationTransportError, type RequestSigner } from '../../../server/federation/types.js';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.js';
import {
  createTestPki,
  json,
  listenTlsTestServer,
  startHttpsServer,
  type HttpsTestServer,
  type TestPki,
  type TlsTestServer,
} from '../../helpers/tls.js';

// Addresses of this file (others use other 127.0.0.x): hs2 (a real Hearth, TLS listener),
// an echo server that records what it receives, a .well-known host on :443, and a trap
// that no request may reach.
const HS2 = '127.0.0.51';
const ECHO = '127.0.0.52';
const WELL_KNOWN = '127.0.0.53';
const TRAP = '127.0.0.55';

const signer: RequestSigner = (destination, method, path) =>
  `X-Matrix origin="hs1.test",destination="${destination}",key="ed25519:t",sig="${method} ${path}"`;

let pki: TestPki;
let dnsServer: TestDnsServer;
let hs2: TlsTestServer;
let echo: HttpsTestServer;
let wellKnown: HttpsTestServer;
let trap: HttpsTestServer;
const transports: FederationTransport[] = [];

/** A transport configured from homeserver.yaml keys, as the server builds it. */
function transport(
  keys: Record<string, unknown> = {},
  opts: { timeoutMs?: number } = {},
): FederationTransport {
  const { config } = resolveConfig({ server_name: 'hs1.test', ...keys }, null, { signingKeys: [] });
  const t = createFederationTransport({
    config,
    log: silentLogger(),
    signer,
    dnsServers: [dnsServer.address],
    ...opts,
  });
  transports.push(t);
  return t;
}

/** The usual test set-up: our CA trusted, loopback allowed. */
const open = () => transport({ federation_custom_ca_list: [pki.caPath], ip_range_blacklist: [] });

async function failure(p: Promise<unknown>): Promise<FederationTransportError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FederationTransportError);
  return err as FederationTransportError;
}

async function freePort(host: string): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const VERSION = { method: 'GET', path: '/_matrix/federation/v1/version' } as const;

beforeAll(async () => {
  pki = createTestPki();
  dnsServer = await startDnsServer();
  hs2 = await listenTlsTestServer(pki, {
    host: HS2,
    names: ['hs2.test', 'srv.test', 'legacy.test', 'rebind.test', HS2],
  });
  echo = await startHttpsServer(pki, {
    host: ECHO,
    names: ['echo.test', 'echo-srv.test', ECHO],
    handler: (req, res) => {
      if (req.url.startsWith('/slow')) return; // never answers
      if (req.url === '/html') {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return void res.end('<p>hello</p>');
      }
      if (req.url === '/html-404') {
        res.writeHead(404, { 'Content-Type': 'text/html' });
        return void res.end('<p>not here</p>');
      }
      if (req.url === '/empty') {
        res.writeHead(200);
        return void res.end();
      }
      json(res, 200, { seen: true });
    },
  });
  wellKnown = await startHttpsServer(pki, {
    host: WELL_KNOWN,
    port: 443,
    names: ['deleg.test', 'deleg-echo.test'],
    handler: (req, res) => {
      const host = req.headers.host;
      if (host === 'deleg.test') return json(res, 200, { 'm.server': `hs2.test:${hs2.port}` });
      json(res, 200, { 'm.server': `echo.test:${echo.port}` });
    },
  });
  trap = await startHttpsServer(pki, {
    host: TRAP,
    port: hs2.port,
    names: ['rebind.test', 'mixed.test'],
    handler: (_req, res) => json(res, 200, { trapped: true }),
  });
  dnsServer.set('hs2.test', { A: [HS2] });
  dnsServer.set('echo.test', { A: [ECHO] });
  dnsServer.set('deleg.test', { A: [WELL_KNOWN] });
  dnsServer.set('deleg-echo.test', { A: [WELL_KNOWN] });
  dnsServer.set('wrong.test', { A: [HS2] });
  dnsServer.set('echo-target.test', { A: [ECHO] });
}, 60_000);

afterAll(async () => {
  for (const t of transports) t.close();
  await Promise.all([hs2?.close(), echo?.close(), wellKnown?.close(), trap?.close()]);
  await dnsServer?.close();
  pki?.close();
});

describe('reaching a real Hearth over TLS', () => {
  it('GET /_matrix/federation/v1/version by IP literal and port', async () => {
    const res = await open().request(`${HS2}:${hs2.port}`, VERSION);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ server: { name: 'Hearth', version: expect.any(String) } });
  });

  it('by a host name with an explicit port, resolved through DNS', async () => {
    const res = await open().request(`hs2.test:${hs2.port}`, VERSION);
    expect(res.status).toBe(200);
    expect(dnsServer.queries).toContain('A hs2.test');
  });

  it('a TLS listener with resources [federation] does not serve the client API', async () => {
    const res = await open().request(`hs2.test:${hs2.port}`, {
      method: 'GET',
      path: '/_matrix/client/versions',
    });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ errcode: 'M_UNRECOGNIZED' });
  });

  it('through SRV _matrix-fed._tcp, falling back to the next target when one is down', async () => {
    const dead = await freePort(HS2);
    dnsServer.set('_matrix-fed._tcp.srv.test', {
      SRV: [
        { priority: 1, weight: 0, port: dead, target: 'hs2.test' },
        { priority: 2, weight: 0, port: hs2.port, target: 'hs2.test' },
      ],
    });
    const t = open();
    const res = await t.request('srv.test', VERSION);
    expect(res.status).toBe(200);
    const resolved = await t.discovery.resolveServerName('srv.test');
    expect(resolved).toMatchObject({
      via: 'srv',
      hostHeader: 'srv.test',
      tlsServerName: 'srv.test',
    });
  });

  it('through the deprecated SRV _matrix._tcp when _matrix-fed._tcp has none', async () => {
    dnsServer.set('_matrix._tcp.legacy.test', {
      SRV: [{ priority: 0, weight: 0, port: hs2.port, target: 'hs2.test' }],
    });
    const res = await open().request('legacy.test', VERSION);
    expect(res.status).toBe(200);
  });

  it('through a .well-known delegation served over TLS on port 443, cached', async () => {
    const t = open();
    const before = wellKnown.seen.length;
    expect((await t.request('deleg.test', VERSION)).status).toBe(200);
    expect((await t.request('deleg.test', VERSION)).status).toBe(200);
    expect(wellKnown.seen.length - before).toBe(1);
    expect(wellKnown.seen.at(-1)).toMatchObject({
      url: '/.well-known/matrix/server',
      servername: 'deleg.test',
    });
  });
});

describe('one machine: localhost:PORT through the system resolver (as `hearth demo` runs)', () => {
  it('a server named localhost:PORT reaches another on loopback with only the CA configured', async () => {
    const local = await listenTlsTestServer(pki, {
      host: '127.0.0.1',
      names: ['localhost', '127.0.0.1', '::1'],
    });
    try {
      const { config } = resolveConfig(
        { server_name: 'localhost:1', federation_custom_ca_list: [pki.caPath] },
        null,
        { signingKeys: [] },
      );
      // No dnsServers: getaddrinfo, so /etc/hosts answers for localhost.
      const t = createFederationTransport({ config, log: silentLogger(), signer });
      transports.push(t);
      expect((await t.request(`localhost:${local.port}`, VERSION)).status).toBe(200);
      // A server with a real name keeps loopback blocked by the default blacklist...
      const strict = createFederationTransport({
        config: resolveConfig(
          { server_name: 'hs1.test', federation_custom_ca_list: [pki.caPath] },
          null,
          { signingKeys: [] },
        ).config,
        log: silentLogger(),
        signer,
      });
      transports.push(strict);
      expect((await failure(strict.request(`localhost:${local.port}`, VERSION))).reason).toBe(
        'blocked_address',
      );
      // ...unless its config says otherwise.
      const open = createFederationTransport({
        config: resolveConfig(
          {
            server_name: 'hs1.test',
            federation_custom_ca_list: [pki.caPath],
            ip_range_blacklist: [],
          },
          null,
          { signingKeys: [] },
        ).config,
        log: silentLogger(),
        signer,
      });
      transports.push(open);
      expect((await open.request(`localhost:${local.port}`, VERSION)).status).toBe(200);
    } finally {
      await local.close();
    }
  });
});

describe('what the destination receives', () => {
  it('Host and SNI of the server name; signed JSON body', async () => {
    const res = await open().request(`echo.test:${echo.port}`, {
      method: 'PUT',
      path: '/_matrix/federation/v1/send/txn1?x=1',
      body: { pdus: [], edus: [] },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ seen: true });
    const seen = echo.seen.at(-1)!;
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/_matrix/federation/v1/send/txn1?x=1');
    expect(seen.headers.host).toBe(`echo.test:${echo.port}`);
    expect(seen.servername).toBe('echo.test');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers.authorization).toBe(
      `X-Matrix origin="hs1.test",destination="echo.test:${echo.port}",key="ed25519:t",sig="PUT /_matrix/federation/v1/send/txn1?x=1"`,
    );
    expect(JSON.parse(seen.body)).toEqual({ pdus: [], edus: [] });
  });

  it('no Authorization for unsigned requests, and no SNI for an IP literal', async () => {
    await open().request(`${ECHO}:${echo.port}`, {
      method: 'GET',
      path: '/_matrix/key/v2/server',
      unsigned: true,
    });
    const seen = echo.seen.at(-1)!;
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers.host).toBe(`${ECHO}:${echo.port}`);
    expect(seen.servername).toBe(false);
  });

  it('after SRV: Host and SNI are the server name, not the SRV target', async () => {
    dnsServer.set('_matrix-fed._tcp.echo-srv.test', {
      SRV: [{ priority: 0, weight: 0, port: echo.port, target: 'echo-target.test' }],
    });
    await open().request('echo-srv.test', VERSION);
    const seen = echo.seen.at(-1)!;
    expect(seen.headers.host).toBe('echo-srv.test');
    expect(seen.servername).toBe('echo-srv.test');
  });

  it('after .well-known: Host and SNI are the delegated name', async () => {
    await open().request('deleg-echo.test', VERSION);
    const seen = echo.seen.at(-1)!;
    expect(seen.headers.host).toBe(`echo.test:${echo.port}`);
    expect(seen.servername).toBe('echo.test');
  });
});

describe('certificate verification', () => {
  it('refuses a certificate from a CA it does not trust', async () => {
    const err = await failure(
      transport({ ip_range_blacklist: [] }).request(`hs2.test:${hs2.port}`, VERSION),
    );
    expect(err.reason).toBe('tls');
    expect(err.destination).toBe(`hs2.test:${hs2.port}`);
  });

  it('refuses a certificate that does not name the server', async () => {
    const err = await failure(open().request(`wrong.test:${hs2.port}`, VERSION));
    expect(err.reason).toBe('tls');
    expect(err.message).toMatch(/wrong\.test/);
  });

  it('refuses an IP literal the certificate does not list', async () => {
    const err = await failure(open().request(`${TRAP}:${trap.port}`, VERSION));
    expect(err.reason).toBe('tls');
  });

  it('accepts anything with federation_verify_certificates: false', async () => {
    const t = transport({ ip_range_blacklist: [], federation_verify_certificates: false });
    expect((await t.request(`hs2.test:${hs2.port}`, VERSION)).status).toBe(200);
    expect((await t.request(`wrong.test:${hs2.port}`, VERSION)).status).toBe(200);
  });
});

describe('the address guard (ip_range_blacklist)', () => {
  const trusted = { federation_custom_ca_list: () => [pki.caPath] };

  it('refuses loopback under the default blacklist, by IP literal and by name, without connecting', async () => {
    const t = transport({ federation_custom_ca_list: trusted.federation_custom_ca_list() });
    const connections = echo.connections;
    const byIp = await failure(t.request(`${ECHO}:${echo.port}`, VERSION));
    expect(byIp.reason).toBe('blocked_address');
    const byName = await failure(t.request(`echo.test:${echo.port}`, VERSION));
    expect(byName.reason).toBe('blocked_address');
    expect(byName.message).toContain(ECHO);
    expect(echo.connections).toBe(connections);
  });

  it('refuses the .well-known fetch too (then fails on the blocked fallback)', async () => {
    const t = transport({ federation_custom_ca_list: trusted.federation_custom_ca_list() });
    const seen = wellKnown.seen.length;
    const err = await failure(t.request('deleg.test', VERSION));
    expect(err.reason).toBe('blocked_address');
    expect(wellKnown.seen.length).toBe(seen);
  });

  it('allows a whitelisted address inside a blacklisted range', async () => {
    const t = transport({
      federation_custom_ca_list: trusted.federation_custom_ca_list(),
      ip_range_whitelist: [HS2],
    });
    expect((await t.request(`hs2.test:${hs2.port}`, VERSION)).status).toBe(200);
    expect((await failure(t.request(`echo.test:${echo.port}`, VERSION))).reason).toBe(
      'blocked_address',
    );
  });

  it('refuses a name when ANY of its addresses is blocked', async () => {
    dnsServer.set('mixed.test', { A: [HS2, TRAP] });
    const t = transport({
      federation_custom_ca_list: trusted.federation_custom_ca_list(),
      ip_range_blacklist: [`${TRAP}/32`],
    });
    const connections = trap.connections;
    const err = await failure(t.request(`mixed.test:${hs2.port}`, VERSION));
    expect(err.reason).toBe('blocked_address');
    expect(trap.connections).toBe(connections);
  });

  it('a DNS answer that changes after an allowed connect cannot reach a blocked address', async () => {
    let answers = 0;
    // First answer: hs2 (allowed). Every later one: the trap (blocked) — DNS rebinding.
    dnsServer.set('rebind.test', { A: () => (answers++ === 0 ? [HS2] : [TRAP]) });
    const keys = {
      federation_custom_ca_list: trusted.federation_custom_ca_list(),
      ip_range_blacklist: [`${TRAP}/32`],
    };
    const first = transport(keys);
    expect((await first.request(`rebind.test:${hs2.port}`, VERSION)).status).toBe(200);
    first.close();
    const connections = trap.connections;
    // A fresh connection resolves again, and the guard checks the address it connects to.
    const err = await failure(transport(keys).request(`rebind.test:${hs2.port}`, VERSION));
    expect(err.reason).toBe('blocked_address');
    expect(err.message).toContain(TRAP);
    expect(answers).toBeGreaterThanOrEqual(2);
    expect(trap.connections).toBe(connections);
  });
});

describe('other refusals and failures', () => {
  it('refuses destinations outside federation_domain_whitelist before any lookup', async () => {
    const t = transport({
      federation_custom_ca_list: [pki.caPath],
      ip_range_blacklist: [],
      federation_domain_whitelist: [`hs2.test:${hs2.port}`],
    });
    expect((await t.request(`hs2.test:${hs2.port}`, VERSION)).status).toBe(200);
    const queries = dnsServer.queries.length;
    const err = await failure(t.request(`echo.test:${echo.port}`, VERSION));
    expect(err.reason).toBe('blocked_destination');
    expect(dnsServer.queries.length).toBe(queries);
  });

  it('fails with dns for a name that does not exist, and for an invalid server name', async () => {
    expect((await failure(open().request('nowhere.test:8448', VERSION))).reason).toBe('dns');
    expect((await failure(open().request('no where', VERSION))).reason).toBe('dns');
  });

  it('fails with connect when nothing listens', async () => {
    const port = await freePort(HS2);
    const err = await failure(open().request(`hs2.test:${port}`, VERSION));
    expect(err.reason).toBe('connect');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('fails with timeout when the answer does not come in time', async () => {
    const t = open();
    const err = await failure(
      t.request(`echo.test:${echo.port}`, { method: 'GET', path: '/slow', timeoutMs: 300 }),
    );
    expect(err.reason).toBe('timeout');
  });

  it('fails with too_large past maxBytes', async () => {
    const err = await failure(open().request(`hs2.test:${hs2.port}`, { ...VERSION, maxBytes: 10 }));
    expect(err.reason).toBe('too_large');
  });

  it('a 2xx that is not JSON is a bad response; an error page is a status with no body', async () => {
    const t = open();
    const dest = `echo.test:${echo.port}`;
    expect((await failure(t.request(dest, { method: 'GET', path: '/html' }))).reason).toBe(
      'bad_response',
    );
    const notFound = await t.request(dest, { method: 'GET', path: '/html-404' });
    expect(notFound).toMatchObject({ status: 404, body: undefined });
    const empty = await t.request(dest, { method: 'GET', path: '/empty' });
    expect(empty).toMatchObject({ status: 200, body: undefined });
  });
});
