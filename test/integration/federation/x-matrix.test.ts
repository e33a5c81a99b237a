import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeyFromSeed } from '../../../server/core/signing.js';
import { createRequestSigner, parseXMatrixHeader } from '../../../server/federation/x-matrix.js';
import { route } from '../../../server/http/route.js';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';

/**
 * Incoming X-Matrix authentication between real Hearths (server-server "Request
 * Authentication"): A serves a test endpoint with auth 'federation' that echoes who
 * called it; B calls it, signing with its real key, which A fetches from B over loopback.
 * Every way a request can fail to authenticate gets its 401 (or 403) and message.
 */

const echo = route({
  method: 'PUT',
  paths: ['/_matrix/federation/v1/test_echo/{thing}'],
  auth: 'federation',
  schema: { params: Type.Object({ thing: Type.String() }), body: Type.Optional(Type.Unknown()) },
  handler: async (_ctx, req) => ({ origin: req.origin, thing: req.params.thing, body: req.body }),
});
const echoGet = route({
  method: 'GET',
  paths: ['/_matrix/federation/v1/test_echo/{thing}'],
  auth: 'federation',
  schema: { params: Type.Object({ thing: Type.String() }) },
  handler: async (_ctx, req) => ({ origin: req.origin, thing: req.params.thing }),
});

const ports = new Map<string, number>();
let a: FederatedTestServer;
let b: FederatedTestServer;
let w: FederatedTestServer;

beforeAll(async () => {
  a = await startFederatedServer('hs-a.test', ports, { extraRoutes: [echo, echoGet] });
  b = await startFederatedServer('hs-b.test', ports);
  // A server that federates only with hs-c.test.
  w = await startFederatedServer('hs-w.test', ports, {
    extraRoutes: [echo, echoGet],
    config: { federation_domain_whitelist: ['hs-c.test'] },
  });
});
afterAll(async () => {
  await Promise.all([a, b, w].map((s) => s?.close()));
});

const PATH = '/_matrix/federation/v1/test_echo/x%20y?since=1&limit=2';
const BODY = { pdus: [], note: 'héllo' };
const bSigner = () => createRequestSigner(b.ctx.config);

/** A raw request to A with the given Authorization header (or none). */
async function send(
  authorization: string | undefined,
  opts: { path?: string; body?: unknown; method?: string; to?: FederatedTestServer } = {},
) {
  const body = 'body' in opts ? opts.body : BODY;
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${(opts.to ?? a).baseUrl}${opts.path ?? PATH}`, {
    method: opts.method ?? 'PUT',
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function signedByB(
  over: { destination?: string; method?: 'PUT' | 'GET'; path?: string; body?: unknown } = {},
) {
  return bSigner()(
    over.destination ?? 'hs-a.test',
    over.method ?? 'PUT',
    over.path ?? PATH,
    'body' in over ? over.body : BODY,
  );
}

describe('a request signed by another real server', () => {
  it('through B own federation client: the handler learns the origin', async () => {
    const res = await b.federation.request('hs-a.test', { method: 'PUT', path: PATH, body: BODY });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ origin: 'hs-b.test', thing: 'x y', body: BODY });
  });

  it('a GET without a body (no content in the signed JSON)', async () => {
    const res = await b.federation.request('hs-a.test', {
      method: 'GET',
      path: '/_matrix/federation/v1/test_echo/q',
    });
    expect(res).toMatchObject({ status: 200, body: { origin: 'hs-b.test', thing: 'q' } });
  });

  it('without the destination parameter (servers before v1.3)', async () => {
    const p = parseXMatrixHeader(signedByB());
    const res = await send(`X-Matrix origin=${p.origin},key="${p.key}",sig="${p.sig}"`);
    expect(res.status).toBe(200);
    expect(res.body.origin).toBe('hs-b.test');
  });

  it('with the parameters reordered, spaced and in upper case', async () => {
    const p = parseXMatrixHeader(signedByB());
    const res = await send(
      `X-Matrix  SIG="${p.sig}" , Key=${p.key},\tDestination="hs-a.test",ORIGIN="hs-b.test"`,
    );
    expect(res.status).toBe(200);
  });
});

describe('every 401 M_UNAUTHORIZED case says what was wrong', () => {
  const p = () => parseXMatrixHeader(signedByB());
  const cases: [string, () => string | undefined, RegExp, Parameters<typeof send>[1]?][] = [
    ['no Authorization header', () => undefined, /^Missing X-Matrix Authorization header$/],
    ['a Bearer token instead', () => 'Bearer syt_abc', /not of the X-Matrix scheme/],
    [
      'no sig parameter',
      () => `X-Matrix origin="hs-b.test",destination="hs-a.test",key="${p().key}"`,
      /Malformed X-Matrix Authorization header: no sig/,
    ],
    [
      'an unterminated quoted value',
      () => `X-Matrix origin="hs-b.test,key="k",sig="s`,
      /Malformed/,
    ],
    [
      'an origin that is not a server name',
      () => `X-Matrix origin="hs b",key="${p().key}",sig="${p().sig}"`,
      /not a server name/,
    ],
    [
      'another destination',
      () => signedByB({ destination: 'hs-c.test' }),
      /^The request is for hs-c.test, not for this server \(hs-a.test\)$/,
    ],
    [
      'a key the origin does not have',
      () =>
        `X-Matrix origin="hs-b.test",destination="hs-a.test",key="ed25519:nope",sig="${p().sig}"`,
      /^Cannot check the signature of hs-b.test: hs-b.test has no key ed25519:nope$/,
    ],
    [
      'an origin that cannot be reached for its keys',
      () =>
        `X-Matrix origin="hs-gone.test",destination="hs-a.test",key="ed25519:k",sig="${p().sig}"`,
      /^Cannot check the signature of hs-gone.test: Could not fetch the keys of hs-gone.test/,
    ],
    [
      'a signature over another body',
      () => signedByB({ body: { pdus: ['x'] } }),
      /^Invalid X-Matrix signature of hs-b.test with key ed25519:/,
    ],
    [
      'a signature over another query string',
      () => signedByB({ path: '/_matrix/federation/v1/test_echo/x%20y?since=1' }),
      /^Invalid X-Matrix signature/,
    ],
    [
      'a signature for another method',
      () => signedByB({ method: 'GET' }),
      /^Invalid X-Matrix signature/,
    ],
    [
      'a signature over a body sent with none',
      () => signedByB(),
      /^Invalid X-Matrix signature/,
      { body: undefined },
    ],
    [
      'a valid signature made by another key under B key id',
      () =>
        createRequestSigner({
          serverName: 'hs-b.test',
          signingKeys: [
            signingKeyFromSeed(b.ctx.config.signingKeys[0]!.keyId.slice(8), Buffer.alloc(32, 6)),
          ],
        })('hs-a.test', 'PUT', PATH, BODY),
      /^Invalid X-Matrix signature of hs-b.test/,
    ],
    [
      'garbage instead of a signature',
      () => `X-Matrix origin="hs-b.test",destination="hs-a.test",key="${p().key}",sig="!!!"`,
      /^Invalid X-Matrix signature/,
    ],
  ];
  for (const [name, header, message, opts] of cases) {
    it(name, async () => {
      const res = await send(header(), opts);
      expect(res.status).toBe(401);
      expect(res.body.errcode).toBe('M_UNAUTHORIZED');
      expect(res.body.error).toMatch(message);
    });
  }
});

describe('federation_domain_whitelist', () => {
  it('refuses other origins with 403 M_FORBIDDEN', async () => {
    const header = bSigner()('hs-w.test', 'PUT', PATH, BODY);
    const res = await send(header, { to: w });
    expect(res).toEqual({
      status: 403,
      body: { errcode: 'M_FORBIDDEN', error: 'Federation denied with hs-b.test' },
    });
  });

  it('the whitelisting server itself may still call servers without a whitelist', async () => {
    const res = await w.federation.request('hs-a.test', { method: 'PUT', path: PATH, body: BODY });
    expect(res).toMatchObject({ status: 200, body: { origin: 'hs-w.test' } });
  });
});
