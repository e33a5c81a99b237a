import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natItem, checkReachability } from '../../../server/net/reachability/run.js';
import type { ReachabilityReport } from '../../../server/net/reachability/report.js';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.js';
import { createTestServer } from '../../helpers/server.js';
import {
  createTestPki,
  listenTlsTestServer,
  type TestPki,
  type TlsTestServer,
} from '../../helpers/tls.js';

/**
 * The reachability self-test against real servers on loopback: a Hearth with a TLS
 * federation listener, names answered by a real DNS server, and a stand-in for the outside
 * prober speaking the federation tester's JSON. Loopback is private, so these run as a
 * private-network federation (reachability.private_network), except where a test is about
 * private addresses.
 */
let pki: TestPki;
let dnsServer: TestDnsServer;
let hs: TlsTestServer;
let port: number;
let prober: Server;
let proberAnswer: unknown = { FederationOK: true };
let proberUrl: string;

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

beforeAll(async () => {
  pki = createTestPki();
  dnsServer = await startDnsServer();
  port = await freePort();
  hs = await listenTlsTestServer(pki, {
    host: '127.0.0.1',
    port,
    names: ['hearth.test', 'other.test'],
    config: { server_name: `hearth.test:${port}` },
  });
  dnsServer.set('hearth.test', { A: ['127.0.0.1'] });
  dnsServer.set('other.test', { A: ['127.0.0.1'] });
  dnsServer.set('wrongcert.test', { A: ['127.0.0.1'] });
  prober = createHttpServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(proberAnswer));
  });
  await new Promise<void>((r) => prober.listen(0, '127.0.0.1', r));
  proberUrl = `http://127.0.0.1:${(prober.address() as AddressInfo).port}/api/report?server_name={server_name}`;
});

afterAll(async () => {
  await hs?.close();
  await dnsServer?.close();
  await new Promise((r) => prober?.close(r));
  pki?.close();
});

const run = (serverName: string, extra: Partial<Parameters<typeof checkReachability>[0]> = {}) =>
  checkReachability({
    serverName,
    extraCa: [readFileSync(pki.caPath, 'utf8')],
    verifyCertificates: true,
    dnsServers: [dnsServer.address],
    timeoutMs: 2_000,
    privateNetwork: true,
    ...extra,
  });

const item = (r: ReachabilityReport, id: string) => r.items.find((i) => i.id === id)!;

describe('reachability self-test', () => {
  it('all green from inside: DNS, port, TLS for the name, signed keys for this server', async () => {
    const r = await run(`hearth.test:${port}`);
    expect(item(r, 'dns')).toMatchObject({ ok: true });
    expect(item(r, 'dns').detail).toContain('127.0.0.1');
    expect(item(r, 'port')).toMatchObject({ ok: true, label: `Port ${port} open` });
    expect(item(r, 'tls')).toMatchObject({ ok: true });
    expect(item(r, 'tls').detail).toMatch(
      /Valid for hearth\.test, issued by .* until \d{4}-\d\d-\d\d/,
    );
    expect(item(r, 'key')).toMatchObject({ ok: true });
    expect(item(r, 'key').detail).toContain(
      `Answers for hearth.test:${port}, signed with ed25519:`,
    );
    // Nothing serves https://hearth.test/.well-known/matrix/client: red, with the fix, but
    // not needed for federation.
    expect(item(r, 'client_well_known')).toMatchObject({ ok: false });
    expect(item(r, 'client_well_known').fix).toContain('/.well-known/matrix/client');
    expect(item(r, 'outside')).toMatchObject({ ok: null });
    expect(r.reachable).toBe(true);
    expect(r.summary).toBe(
      'Reachable from the internet (checked from this network; allow the outside check to be sure)',
    );
  });

  it('with the outside prober: green both ways, or "from inside only" (hairpin NAT)', async () => {
    proberAnswer = { FederationOK: true };
    const ok = await run(`hearth.test:${port}`, { outsideProberUrl: proberUrl });
    expect(item(ok, 'outside')).toMatchObject({ ok: true });
    expect(ok.summary).toBe('Reachable from the internet');

    proberAnswer = {
      FederationOK: false,
      ConnectionErrors: { '203.0.113.7:8448': { Message: 'dial tcp: i/o timeout' } },
    };
    const hairpin = await run(`hearth.test:${port}`, { outsideProberUrl: proberUrl });
    expect(item(hairpin, 'outside')).toMatchObject({ ok: false });
    expect(item(hairpin, 'outside').detail).toContain('203.0.113.7:8448: dial tcp: i/o timeout');
    expect(hairpin.reachable).toBe(false);
    expect(hairpin.summary).toBe(
      'Not reachable from the internet: it works from inside your network only (the outside check failed)',
    );
  });

  it('an outside prober that does not answer leaves the inside checks to speak', async () => {
    const r = await run(`hearth.test:${port}`, {
      outsideProberUrl: 'http://127.0.0.1:1/api/report?server_name={server_name}',
    });
    expect(item(r, 'outside')).toMatchObject({ ok: null });
    expect(r.reachable).toBe(true);
  });

  it('a closed port: red with the port in the summary, TLS and keys not checked', async () => {
    const closed = await freePort();
    const r = await run(`hearth.test:${closed}`);
    expect(item(r, 'port')).toMatchObject({ ok: false });
    expect(item(r, 'port').fix).toContain(`Forward TCP port ${closed}`);
    expect(item(r, 'tls')).toMatchObject({ ok: null });
    expect(item(r, 'key')).toMatchObject({ ok: null });
    expect(r.summary).toBe(`Not reachable: port ${closed} closed`);
  });

  it('a certificate for another name is red, and says for which name one is needed', async () => {
    const r = await run(`wrongcert.test:${port}`);
    expect(item(r, 'tls')).toMatchObject({ ok: false });
    expect(r.summary).toBe('Not reachable: the certificate is not for wrongcert.test');
  });

  it('keys that answer for another server name are red', async () => {
    // other.test resolves here and the certificate names it, but this Hearth is hearth.test.
    const r = await run(`other.test:${port}`);
    expect(item(r, 'tls')).toMatchObject({ ok: true });
    expect(item(r, 'key')).toMatchObject({ ok: false });
    expect(item(r, 'key').detail).toContain(`not other.test:${port}`);
    expect(r.summary).toBe("Not reachable: the server's keys cannot be fetched");
  });

  it('a name without DNS, or pointing at a private address, is red', async () => {
    const none = await run('nowhere.test');
    expect(item(none, 'dns')).toMatchObject({ ok: false });
    expect(none.summary).toBe('Not reachable: nowhere.test has no DNS record');

    const priv = await run(`hearth.test:${port}`, { privateNetwork: false });
    expect(item(priv, 'dns')).toMatchObject({ ok: false });
    expect(priv.summary).toBe('Not reachable: hearth.test points at a private address');
  });

  it('localhost means federation is off, said plainly', async () => {
    const r = await run('localhost:8008');
    expect(r.items).toHaveLength(1);
    expect(r.reachable).toBe(false);
    expect(r.summary).toBe('Federation is off: the server name is localhost:8008');
  });
});

describe('NAT from the router external address', () => {
  it('public, double NAT, carrier-grade NAT, unknown', () => {
    expect(natItem({ externalIp: '81.2.69.160' })).toMatchObject({ ok: true });
    const double = natItem({ externalIp: '192.168.1.23' });
    expect(double).toMatchObject({ ok: false, short: 'double NAT' });
    expect(double.fix).toContain('bridge mode');
    const cgnat = natItem({ externalIp: '100.72.1.9' });
    expect(cgnat).toMatchObject({ ok: false, short: 'carrier-grade NAT at your provider' });
    expect(cgnat.fix).toContain('public IPv4');
    expect(natItem(null)).toMatchObject({ ok: null });
  });
});

describe('GET /_hearth/admin/v1/reachability', () => {
  it('server admins only; reports on the server own name', async () => {
    const s = await createTestServer({ server_name: 'localhost' });
    try {
      const admin = await s.registerAdmin('root');
      const user = await s.register('someone');
      const refused = await s.req('GET', '/_hearth/admin/v1/reachability', { token: user.token });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().errcode).toBe('M_FORBIDDEN');
      const res = await s.req('GET', '/_hearth/admin/v1/reachability?refresh=true', {
        token: admin.token,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        server_name: 'localhost',
        reachable: false,
        summary: 'Federation is off: the server name is localhost',
      });
      const bad = await s.req('GET', '/_hearth/admin/v1/reachability?refresh=maybe', {
        token: admin.token,
      });
      expect(bad.statusCode).toBe(400);
    } finally {
      await s.close();
    }
  });
});
