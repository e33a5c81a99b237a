import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startListeners, type RunningListeners } from '../../server/http/listeners.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

/**
 * Listeners as configured in homeserver.yaml: each serves only its resources, `tls: true`
 * serves HTTPS with tls_certificate_path/tls_private_key_path, `x_forwarded` takes the
 * client address from X-Forwarded-For, `compress` gzips large answers.
 */

const certDir = mkdtempSync(join(tmpdir(), 'hearth-tls-'));
const cert = join(certDir, 'cert.pem');
const key = join(certDir, 'key.pem');

let s: TestServer;
let running: RunningListeners;
let clientUrl: string;
let federationUrl: string;

beforeAll(async () => {
  // A self-signed certificate for localhost, made with Debian's openssl.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  s = await createTestServer({
    tls_certificate_path: cert,
    tls_private_key_path: key,
    listeners: [
      {
        port: 0,
        bind_addresses: ['127.0.0.1'],
        x_forwarded: true,
        resources: [{ names: ['client'], compress: true }],
      },
      { port: 0, bind_addresses: ['127.0.0.1'], tls: true, resources: [{ names: ['federation'] }] },
    ],
  });
  running = await startListeners(s.app, s.ctx.config, s.ctx.log);
  clientUrl = `http://127.0.0.1:${running.addresses[0]!.port}`;
  federationUrl = `https://127.0.0.1:${running.addresses[1]!.port}`;
});

afterAll(async () => {
  await running?.close();
  await s?.close();
  rmSync(certDir, { recursive: true, force: true });
});

/** GET over HTTPS trusting the test's certificate. */
function httpsGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: readFileSync(cert) }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('resources', () => {
  test('the client listener serves the client API but not federation paths', async () => {
    expect((await fetch(`${clientUrl}/_matrix/client/versions`)).status).toBe(200);
    const fed = await fetch(`${clientUrl}/_matrix/federation/v1/version`);
    expect(fed.status).toBe(404);
    expect(((await fed.json()) as { errcode: string }).errcode).toBe('M_UNRECOGNIZED');
    expect(fed.headers.get('access-control-allow-origin')).toBe('*');
  });

  test('the TLS federation listener speaks HTTPS and does not serve the client API', async () => {
    const r = await httpsGet(`${federationUrl}/_matrix/client/versions`);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toMatchObject({ errcode: 'M_UNRECOGNIZED' });
  });

  test('/health answers on every listener', async () => {
    expect((await fetch(`${clientUrl}/health`)).status).toBe(200);
    expect((await httpsGet(`${federationUrl}/health`)).body).toBe('OK');
  });
});

describe('listener options', () => {
  test('x_forwarded: the device is seen from the X-Forwarded-For address', async () => {
    const u = await s.register('alice');
    const auth = { authorization: `Bearer ${u.token}` };
    await fetch(`${clientUrl}/_matrix/client/v3/account/whoami`, {
      headers: { ...auth, 'x-forwarded-for': '203.0.113.7, 10.0.0.1' },
    });
    const r = await fetch(`${clientUrl}/_matrix/client/v3/devices/${u.deviceId}`, {
      headers: auth,
    });
    expect(((await r.json()) as { last_seen_ip?: string }).last_seen_ip).toBe('203.0.113.7');
  });

  test('compress: a large answer is gzipped for a client that accepts it', async () => {
    // The web app's script, named in its page: large, and text.
    const page = await (await fetch(`${clientUrl}/`)).text();
    const script = /\/assets\/[A-Za-z0-9._-]+\.js/.exec(page)![0];
    const res = await new Promise<{ enc?: string; body: Buffer }>((resolve, reject) => {
      httpGet(`${clientUrl}${script}`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () =>
          resolve({ enc: r.headers['content-encoding'], body: Buffer.concat(chunks) }),
        );
      }).on('error', reject);
    });
    expect(res.enc).toBe('gzip');
    expect(gunzipSync(res.body).toString()).toContain('createRoot');
  });
});

test('a TLS listener without a certificate configured fails to start with a clear error', async () => {
  const bad = await createTestServer({
    listeners: [
      { port: 0, bind_addresses: ['127.0.0.1'], tls: true, resources: [{ names: ['federation'] }] },
    ],
  });
  try {
    await expect(startListeners(bad.app, bad.ctx.config, bad.ctx.log)).rejects.toThrow(
      /tls_certificate_path/,
    );
  } finally {
    await bad.close();
  }
});
