import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setServerAdmin } from '../../../server/accounts/users.js';
import type { Clock } from '../../../server/core/clock.js';
import { startListeners } from '../../../server/http/listeners.js';
import {
  startCertificateManager,
  type CertificateManager,
  type CertificateStatus,
  type ManagerOptions,
} from '../../../server/net/acme/manager.js';
import {
  onChallengePortNeeded,
  type ChallengePortEvent,
} from '../../../server/net/acme/registry.js';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.js';
import { pebbleTestsRun, startPebble, type Pebble } from '../../helpers/pebble.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

const DOMAIN = 'hearth.acme.test';
const ELSEWHERE = 'elsewhere.acme.test';

interface AcmeHearth {
  s: TestServer;
  manager: CertificateManager;
  /** The TLS listener's port (federation and client, no tls_certificate_path). */
  tlsPort: number;
  /** The plain-HTTP listener, http://127.0.0.1:PORT. */
  httpUrl: string;
  adminToken: string;
  status(): Promise<CertificateStatus>;
  close(): Promise<void>;
}

/** A fast schedule for tests: polls and retries in milliseconds, not minutes. */
const FAST: ManagerOptions = {
  pollMinMs: 100,
  checkIntervalMs: 60_000,
  backoff: { baseMs: 50, maxMs: 200 },
};

let pebble: Pebble;
let dns: TestDnsServer;

/**
 * A real Hearth (temp SQLite, real listeners on loopback) with acme enabled against pebble,
 * started as main.ts starts it: manager first (not awaited), then the listeners.
 */
async function startAcmeHearth(
  acme: Record<string, unknown> = {},
  opts: { dir?: string; clock?: Clock; manager?: ManagerOptions } = {},
): Promise<AcmeHearth> {
  const s = await createTestServer(
    {
      server_name: (acme.domain as string | undefined) ?? DOMAIN,
      listeners: [
        {
          port: 0,
          bind_addresses: ['127.0.0.1'],
          type: 'http',
          resources: [{ names: ['client'] }],
        },
        {
          port: 0,
          bind_addresses: ['127.0.0.1'],
          type: 'http',
          tls: true,
          resources: [{ names: ['client', 'federation'] }],
        },
      ],
      acme: {
        enabled: true,
        url: pebble.directoryUrl,
        staging_url: pebble.directoryUrl,
        port: pebble.httpPort,
        bind_addresses: ['127.0.0.1'],
        ca_bundle: pebble.caBundlePath,
        email: 'admin@hearth.acme.test',
        ...acme,
      },
    },
    { ...(opts.dir ? { dir: opts.dir } : {}), ...(opts.clock ? { clock: opts.clock } : {}) },
  );
  const manager = startCertificateManager(s.ctx, { ...FAST, ...opts.manager });
  const listeners = await startListeners(s.app, s.ctx.config, s.ctx.log, {
    certificates: manager,
  });
  const admin = await s.register(`admin${Math.random().toString(36).slice(2, 8)}`);
  await setServerAdmin(s.ctx, admin.userId, admin.userId, true);
  return {
    s,
    manager,
    httpUrl: `http://127.0.0.1:${listeners.addresses[0]!.port}`,
    tlsPort: listeners.addresses[1]!.port,
    adminToken: admin.token,
    async status() {
      const res = await s.req('GET', '/_hearth/admin/v1/certificates', { token: admin.token });
      expect(res.statusCode).toBe(200);
      return res.json<CertificateStatus>();
    },
    async close() {
      await manager.close();
      await listeners.close();
      await s.close();
    },
  };
}

/** Polls the admin status until `done` holds (or fails after `timeoutMs`). */
async function waitForStatus(
  h: AcmeHearth,
  done: (st: CertificateStatus) => boolean,
  timeoutMs = 30_000,
): Promise<CertificateStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await h.status();
    if (done(st)) return st;
    if (Date.now() > deadline) {
      throw new Error(`status not reached: ${JSON.stringify(st)}\npebble:\n${pebble.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Connects over TLS as a client that trusts only `ca`, naming `servername`. */
function tlsPeer(
  port: number,
  servername: string,
  ca: string,
): Promise<{ authorized: boolean; error: string | null; cert: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      const result = {
        authorized: socket.authorized,
        error: socket.authorizationError ? String(socket.authorizationError) : null,
        cert: socket.getPeerCertificate(),
      };
      socket.end();
      resolve(result);
    });
    socket.once('error', reject);
  });
}

/** GET over the TLS listener, trusting `ca` and checking the name (as another server does). */
function httpsVersions(port: number, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: DOMAIN, ca }, () => {
      socket.write(
        `GET /_matrix/federation/v1/version HTTP/1.1\r\nHost: ${DOMAIN}\r\nConnection: close\r\n\r\n`,
      );
    });
    let data = '';
    socket.setEncoding('utf8').on('data', (d: string) => (data += d));
    socket.once('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0)));
    socket.once('error', reject);
  });
}

describe.runIf(pebbleTestsRun())('certificates over ACME against pebble', () => {
  let root: string;

  beforeAll(async () => {
    dns = await startDnsServer();
    dns.set(DOMAIN, { A: ['127.0.0.1'] });
    // Another machine's address: nothing of this Hearth answers there.
    dns.set(ELSEWHERE, { A: ['127.0.0.2'] });
    pebble = await startPebble({ dnsServer: dns.address });
    root = await pebble.issuingRoot();
  }, 30_000);

  afterAll(async () => {
    await pebble?.close();
    await dns?.close();
  });

  describe('issuing, serving, reloading and renewing', () => {
    let h: AcmeHearth;
    let first: CertificateStatus;
    let firstFingerprint: string;
    let offset = 0;
    const clock: Clock = { now: () => Date.now() + offset };
    // The data folder outlives the first server: the restart reopens it.
    const dir = mkdtempSync(join(tmpdir(), 'hearth-acme-'));

    afterAll(async () => {
      await h?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('gets a certificate through a real http-01 validation without holding up start-up', async () => {
      // A staging directory that is not pebble: what pebble issues counts as production.
      h = await startAcmeHearth({ staging_url: 'https://127.0.0.1:9/staging' }, { clock, dir });
      // The server is up and answering plain HTTP while the certificate is still on its way.
      const early = await h.status();
      expect(['issuing', 'none', 'valid']).toContain(early.status);
      const versions = await fetch(`${h.httpUrl}/_matrix/client/versions`);
      expect(versions.status).toBe(200);

      first = await waitForStatus(h, (st) => st.status === 'valid');
      expect(first).toMatchObject({
        enabled: true,
        domain: DOMAIN,
        status: 'valid',
        staging: false,
        last_error: null,
        challenge: 'http-01',
        directory_url: pebble.directoryUrl,
      });
      expect(first.issuer).toMatch(/Pebble Intermediate/);
      const lifetime = first.not_after! - first.not_before!;
      expect(lifetime).toBeGreaterThan(89 * 86_400_000);
      // Renewal once a third of the lifetime remains.
      expect(first.next_renewal_ts).toBeCloseTo(first.not_after! - lifetime / 3, -3);
      expect(pebble.output()).toMatch(/validate w\/ HTTP: http:\/\/hearth\.acme\.test:/);
    }, 60_000);

    it('serves it on the TLS listener, verifiable up to pebble’s issuing root', async () => {
      const peer = await tlsPeer(h.tlsPort, DOMAIN, root);
      expect(peer.error).toBeNull();
      expect(peer.authorized).toBe(true);
      expect(peer.cert.subjectaltname).toBe(`DNS:${DOMAIN}`);
      firstFingerprint = peer.cert.fingerprint256;
      expect(await httpsVersions(h.tlsPort, root)).toBe(200);
      // A client that trusts only the system roots rejects it (pebble is nobody's CA).
      const untrusting = await tlsPeer(h.tlsPort, DOMAIN, pebble.caPem);
      expect(untrusting.authorized).toBe(false);
    });

    it('stores the key, certificate and account key readable by the owner only', () => {
      const store = h.s.ctx.config.acme.storageDir;
      expect(store).toBe(join(dir, 'acme'));
      expect(statSync(store).mode & 0o777).toBe(0o700);
      for (const f of ['certificate.pem', 'private-key.pem', 'certificate.json', 'account.key']) {
        expect(statSync(join(store, f)).mode & 0o777).toBe(0o600);
      }
    });

    it('renews when the threshold is reached (after a long sleep) and swaps it in without a restart', async () => {
      // The machine "slept" until past the renewal time; the wake re-checks.
      offset = first.next_renewal_ts! - Date.now() + 60_000;
      h.manager.recheck();
      offset = 0;
      expect((await h.status()).status).toBe('renewing');
      const renewed = await waitForStatus(h, (st) => st.status === 'valid');
      // pebble stamps validity in whole seconds: a renewal within the first certificate's
      // second ends at the same not_after. That it is a new certificate is the fingerprint's
      // check below.
      expect(renewed.not_after!).toBeGreaterThanOrEqual(first.not_after!);
      expect(renewed.last_error).toBeNull();
      const peer = await tlsPeer(h.tlsPort, DOMAIN, root);
      expect(peer.authorized).toBe(true);
      expect(peer.cert.fingerprint256).not.toBe(firstFingerprint);
      firstFingerprint = peer.cert.fingerprint256;
    }, 60_000);

    it('reloads the stored certificate on restart without asking the ACME server', async () => {
      const before = await h.status();
      await h.manager.close();
      await h.close();
      // An ACME server that cannot be reached: asking it would fail.
      h = await startAcmeHearth(
        { url: 'https://127.0.0.1:9/dir', staging_url: 'https://127.0.0.1:9/dir' },
        { dir, clock },
      );
      const st = await h.status();
      expect(st, JSON.stringify(st)).toMatchObject({
        status: 'valid',
        not_after: before.not_after,
        last_error: null,
      });
      expect(st.next_renewal_ts!).toBeGreaterThan(Date.now());
      const peer = await tlsPeer(h.tlsPort, DOMAIN, root);
      expect(peer.authorized).toBe(true);
      expect(peer.cert.fingerprint256).toBe(firstFingerprint);
      await new Promise((r) => setTimeout(r, 300));
      expect((await h.status()).status).toBe('valid');
    }, 30_000);

    it('warns from 14 days before expiry while renewal fails', async () => {
      const before = await h.status();
      expect(before.warning).toBeNull();
      // Ten days before expiry; the ACME server is unreachable, so renewing fails.
      offset = before.not_after! - Date.now() - 10 * 86_400_000;
      h.manager.recheck();
      const st = await waitForStatus(h, (x) => x.status === 'valid' && x.last_error !== null);
      const date = new Date(before.not_after!).toISOString().slice(0, 10);
      expect(st.warning).toMatch(
        new RegExp(
          `^The certificate for hearth\\.acme\\.test expires in (9|10) days \\(${date}\\) and is ` +
            'not renewed yet: Hearth could not reach the certificate authority at 127\\.0\\.0\\.1:9',
        ),
      );
      offset = 0;
    }, 30_000);

    it('answers the status only to server admins (403 M_FORBIDDEN otherwise)', async () => {
      const user = await h.s.register('notadmin');
      for (const [method, path] of [
        ['GET', '/_hearth/admin/v1/certificates'],
        ['POST', '/_hearth/admin/v1/certificates/renew'],
      ] as const) {
        const res = await h.s.req(method, path, { token: user.token });
        expect(res.statusCode).toBe(403);
        expect(res.json().errcode).toBe('M_FORBIDDEN');
        const anon = await h.s.req(method, path);
        expect(anon.statusCode).toBe(401);
      }
    });
  });

  it('renews on request (POST .../renew) and swaps the new certificate in', async () => {
    const h = await startAcmeHearth();
    try {
      await waitForStatus(h, (st) => st.status === 'valid');
      const before = (await tlsPeer(h.tlsPort, DOMAIN, root)).cert.fingerprint256;
      // The hook port mapping uses: told before the challenge port opens, and after it closed.
      const events: ChallengePortEvent[] = [];
      onChallengePortNeeded(h.s.ctx, (e) => {
        events.push(e);
      });
      const res = await h.s.req('POST', '/_hearth/admin/v1/certificates/renew', {
        token: h.adminToken,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().status).toBe('renewing');
      // Done when the listener serves another certificate (not_before has whole seconds:
      // a renewal within the same second as the first issue would not show there).
      const deadline = Date.now() + 30_000;
      let peer = await tlsPeer(h.tlsPort, DOMAIN, root);
      while (peer.cert.fingerprint256 === before) {
        if (Date.now() > deadline) {
          throw new Error(`not renewed: ${JSON.stringify(await h.status())}\n${pebble.output()}`);
        }
        await new Promise((r) => setTimeout(r, 100));
        peer = await tlsPeer(h.tlsPort, DOMAIN, root);
      }
      const after = await waitForStatus(h, (st) => st.status === 'valid');
      expect(after.last_error).toBeNull();
      expect(peer.authorized).toBe(true);
      const port = pebble.httpPort;
      expect(events).toEqual([
        { open: true, port, publicPort: 80, protocol: 'TCP' },
        { open: false, port, publicPort: 80, protocol: 'TCP' },
      ]);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('says in plain words when the domain points to another machine, and keeps serving', async () => {
    const h = await startAcmeHearth(
      { domain: ELSEWHERE },
      { manager: { stagingAfterFailures: 99 } },
    );
    try {
      const st = await waitForStatus(h, (s) => s.status === 'error');
      expect(st.last_error).toMatch(
        new RegExp(
          `could not connect to port 80 of ${ELSEWHERE.replace(/\./g, '\\.')} \\(at 127\\.0\\.0\\.2\\): ` +
            'is the port forwarded to this machine',
        ),
      );
      expect(st).toMatchObject({ status: 'error', not_after: null, issuer: null });
      expect(st.next_renewal_ts!).toBeGreaterThan(Date.now() - 1_000);
      // Start-up was not blocked: the plain-HTTP listener serves.
      expect((await fetch(`${h.httpUrl}/_matrix/client/versions`)).status).toBe(200);
      // The TLS listener is bound but has no certificate to offer yet.
      await expect(tlsPeer(h.tlsPort, ELSEWHERE, root)).rejects.toThrow(/handshake failure/i);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('says so when the challenge port is taken by another program', async () => {
    const squatter: NetServer = createNetServer();
    await new Promise<void>((r) => squatter.listen(pebble.httpPort, '127.0.0.1', r));
    const h = await startAcmeHearth({}, { manager: { stagingAfterFailures: 99 } });
    try {
      const st = await waitForStatus(h, (s) => s.status === 'error');
      expect(st.last_error).toBe(
        `Hearth could not open port ${pebble.httpPort} for the certificate challenge: another ` +
          'program (often a web server) is already using it. Stop that program, or set ' +
          'acme.port to a free port and forward port 80 of your router to it.',
      );
      expect((await fetch(`${h.httpUrl}/_matrix/client/versions`)).status).toBe(200);
    } finally {
      await h.close();
      await new Promise<void>((r) => squatter.close(() => r()));
    }
  }, 30_000);

  it('tries the staging directory after repeated failures, and says its certificate is not trusted', async () => {
    const h = await startAcmeHearth({ url: 'https://127.0.0.1:9/dir' }, {});
    try {
      const st = await waitForStatus(h, (s) => s.status === 'valid');
      expect(st.staging).toBe(true);
      expect(st.last_error).toMatch(/could not reach .*127\.0\.0\.1:9/);
      expect(st.last_error).toMatch(
        /The staging service \(https:\/\/127\.0\.0\.1:\d+\/dir\) issued a test certificate, so the set-up \(DNS, port forwarding\) works/,
      );
      expect(st.warning).toMatch(/test certificate .* do not trust it/);
      expect(st.directory_url).toBe('https://127.0.0.1:9/dir');
    } finally {
      await h.close();
    }
  }, 30_000);

  it('gets a certificate through tls-alpn-01 where port 80 is not available', async () => {
    const h = await startAcmeHearth({ challenge: 'tls-alpn-01', port: pebble.tlsPort });
    try {
      const st = await waitForStatus(h, (s) => s.status === 'valid');
      expect(st.challenge).toBe('tls-alpn-01');
      const peer = await tlsPeer(h.tlsPort, DOMAIN, root);
      expect(peer.authorized).toBe(true);
    } finally {
      await h.close();
    }
  }, 60_000);
});
