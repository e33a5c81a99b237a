import { afterAll, beforeAll, expect, test } from 'vitest';
import { resolveConfig } from '../../../server/core/config/load.js';
import { silentLogger } from '../../../server/core/logger.js';
import {
  createFederationTransport,
  type FederationTransport,
} from '../../../server/federation/transport.js';
import { FederationTransportError } from '../../../server/federation/types.js';
import { createTestPki, startHttpsServer, type HttpsTestServer } from '../../helpers/tls.js';

// The real federation transport (HTTPS, the address guard) with `raw: true`, as remote
// media uses it: the answer's bytes come back untouched, binary or not, where a JSON request
// would refuse a 2xx that is not JSON. Address of this file: 127.0.0.86.

const ORIGIN = '127.0.0.86';
const BYTES = Buffer.concat([
  Buffer.from('--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b\r\n\r\n'),
  Buffer.from([0, 255, 13, 10, 0x80, 0xfe]),
  Buffer.from('\r\n--b--\r\n'),
]);

let origin: HttpsTestServer;
let transport: FederationTransport;
let destination: string;

beforeAll(async () => {
  const pki = createTestPki();
  origin = await startHttpsServer(pki, {
    host: ORIGIN,
    names: [ORIGIN],
    handler: (req, res) => {
      if (req.url.startsWith('/_matrix/federation/v1/media/download/Big')) {
        res.writeHead(200, { 'Content-Type': 'multipart/mixed; boundary=b' });
        return void res.end(Buffer.alloc(5000));
      }
      res.writeHead(200, { 'Content-Type': 'multipart/mixed; boundary=b' });
      res.end(BYTES);
    },
  });
  destination = `${ORIGIN}:${origin.port}`;
  const { config } = resolveConfig(
    {
      server_name: 'hs1.test',
      federation_custom_ca_list: [pki.caPath],
      ip_range_blacklist: [],
    },
    null,
    { signingKeys: [] },
  );
  transport = createFederationTransport({
    config,
    log: silentLogger(),
    signer: () => 'X-Matrix origin="hs1.test",key="ed25519:t",sig="x"',
  });
}, 60_000);

afterAll(async () => {
  transport?.close();
  await origin?.close();
});

test('raw: the bytes and headers as sent, signed', async () => {
  const res = await transport.request(destination, {
    method: 'GET',
    path: '/_matrix/federation/v1/media/download/Abc',
    raw: true,
  });
  expect(res.status).toBe(200);
  expect(res.rawBody!.equals(BYTES)).toBe(true);
  expect(res.body).toBeUndefined();
  expect(res.headers['content-type']).toBe('multipart/mixed; boundary=b');
  expect(origin.seen.at(-1)!.headers.authorization).toMatch(/^X-Matrix /);
});

test('without raw the same answer is refused as not JSON; raw keeps maxBytes', async () => {
  const notJson = await transport
    .request(destination, { method: 'GET', path: '/_matrix/federation/v1/media/download/Abc' })
    .catch((e: unknown) => e);
  expect(notJson).toBeInstanceOf(FederationTransportError);
  expect((notJson as FederationTransportError).reason).toBe('bad_response');
  const big = await transport
    .request(destination, {
      method: 'GET',
      path: '/_matrix/federation/v1/media/download/Big',
      raw: true,
      maxBytes: 4000,
    })
    .catch((e: unknown) => e);
  expect((big as FederationTransportError).reason).toBe('too_large');
});
