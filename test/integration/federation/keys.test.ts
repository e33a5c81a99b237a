import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJson, signingKeyFromSeed, verifyJsonSignature } from '../../../server/core/signing.js';
import { getServerVerifyKey, KEY_FETCH_BACKOFF_MS } from '../../../server/federation/keys/fetch.js';
import { parseKeyResponse } from '../../../server/federation/keys/response.js';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';

/**
 * Key exchange between real Hearths on loopback (server-server "Retrieving server keys"):
 * publishing, fetching each other's keys, a notary answering for a third server, keys
 * re-fetched once expired, dead servers left alone for a while, and answers with bad
 * signatures refused. The servers share one clock that the tests move.
 */

const HOUR = 3_600_000;
let now = Date.now();
const clock = { now: () => now };
const ports = new Map<string, number>();
const servers: FederatedTestServer[] = [];

async function start(name: string, config: Record<string, unknown> = {}) {
  const s = await startFederatedServer(name, ports, { clock, config });
  servers.push(s);
  return s;
}

function ownKey(s: FederatedTestServer) {
  return s.ctx.config.signingKeys[0]!;
}

async function getJson(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

type Signatures = Record<string, Record<string, string>>;

let a: FederatedTestServer;
let b: FederatedTestServer;
let c: FederatedTestServer;

beforeAll(async () => {
  a = await start('hs-a.test');
  b = await start('hs-b.test', {
    key_refresh_interval: '1h',
    old_signing_keys: {
      'ed25519:retired': {
        key: signingKeyFromSeed('retired', Buffer.alloc(32, 5)).publicKeyBase64,
        expired_ts: now - HOUR,
      },
    },
  });
  c = await start('hs-c.test');
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('GET /_matrix/key/v2/server', () => {
  it('publishes the current and old keys, valid for key_refresh_interval, self-signed', async () => {
    const { status, body } = await getJson(`${b.baseUrl}/_matrix/key/v2/server`);
    expect(status).toBe(200);
    const k = ownKey(b);
    expect(body).toMatchObject({
      server_name: 'hs-b.test',
      verify_keys: { [k.keyId]: { key: k.publicKeyBase64 } },
      old_verify_keys: { 'ed25519:retired': { expired_ts: now - HOUR } },
      valid_until_ts: now + HOUR,
    });
    const sig = (body.signatures as Signatures)['hs-b.test']![k.keyId]!;
    expect(verifyJsonSignature(body, sig, k.publicKeyBase64)).toBe(true);
  });

  it('defaults the validity to one day, and answers the deprecated /server/{keyId} the same', async () => {
    const { body } = await getJson(`${a.baseUrl}/_matrix/key/v2/server/ed25519:whatever`);
    expect(body.server_name).toBe('hs-a.test');
    expect(body.valid_until_ts).toBe(now + 24 * HOUR);
    expect(body.old_verify_keys).toEqual({});
    expect(() => parseKeyResponse(body, 'hs-a.test')).not.toThrow();
  });
});

describe('two servers fetch each other keys', () => {
  it('A gets B, B gets A, directly; the second lookup comes from the cache', async () => {
    const kb = await getServerVerifyKey(a.ctx, 'hs-b.test', ownKey(b).keyId);
    expect(kb).toMatchObject({
      serverName: 'hs-b.test',
      key: ownKey(b).publicKeyBase64,
      validUntilTs: now + HOUR,
    });
    const ka = await getServerVerifyKey(b.ctx, 'hs-a.test', ownKey(a).keyId);
    expect(ka.key).toBe(ownKey(a).publicKeyBase64);
    const asked = a.federation.sent.length;
    await getServerVerifyKey(a.ctx, 'hs-b.test', ownKey(b).keyId);
    expect(a.federation.sent.length).toBe(asked);
    // The old key came with the answer, for events signed before it expired.
    const old = await getServerVerifyKey(a.ctx, 'hs-b.test', 'ed25519:retired', {
      minimumValidUntilTs: now - 2 * HOUR,
    });
    expect(old.expiredTs).toBe(now - HOUR);
  });

  it('a key the server does not list is a clear 401 error', async () => {
    await expect(getServerVerifyKey(a.ctx, 'hs-b.test', 'ed25519:nope')).rejects.toMatchObject({
      status: 401,
      errcode: 'M_UNAUTHORIZED',
      reason: 'not_found',
      message: 'hs-b.test has no key ed25519:nope',
    });
  });

  it('concurrent lookups of one server share one fetch', async () => {
    const before = c.federation.sent.filter((r) => r.destination === 'hs-a.test').length;
    const keys = await Promise.all(
      Array.from({ length: 5 }, () => getServerVerifyKey(c.ctx, 'hs-a.test', ownKey(a).keyId)),
    );
    expect(new Set(keys.map((k) => k.key))).toEqual(new Set([ownKey(a).publicKeyBase64]));
    const after = c.federation.sent.filter((r) => r.destination === 'hs-a.test').length;
    expect(after - before).toBe(1);
  });

  it('an expired key is fetched again, and then valid for longer', async () => {
    const keyId = ownKey(b).keyId;
    const first = await getServerVerifyKey(a.ctx, 'hs-b.test', keyId);
    now += 2 * HOUR;
    const asked = a.federation.sent.length;
    const again = await getServerVerifyKey(a.ctx, 'hs-b.test', keyId);
    expect(a.federation.sent.length).toBe(asked + 1);
    expect(again.validUntilTs).toBe(now + HOUR);
    expect(again.validUntilTs).toBeGreaterThan(first.validUntilTs);
  });
});

describe('a notary answers for a third server', () => {
  it('GET /_matrix/key/v2/query/{serverName}: C keys, signed by C and co-signed by B', async () => {
    const { status, body } = await getJson(`${b.baseUrl}/_matrix/key/v2/query/hs-c.test`);
    expect(status).toBe(200);
    const list = body.server_keys as Record<string, unknown>[];
    expect(list).toHaveLength(1);
    const entry = list[0]!;
    expect(parseKeyResponse(entry, 'hs-c.test').verifyKeys).toEqual({
      [ownKey(c).keyId]: ownKey(c).publicKeyBase64,
    });
    const sigs = entry.signatures as Signatures;
    expect(
      verifyJsonSignature(entry, sigs['hs-b.test']![ownKey(b).keyId]!, ownKey(b).publicKeyBase64),
    ).toBe(true);
  });

  it('POST /_matrix/key/v2/query: several servers, the notary itself included', async () => {
    const { status, body } = await getJson(`${b.baseUrl}/_matrix/key/v2/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        server_keys: {
          'hs-c.test': { [ownKey(c).keyId]: { minimum_valid_until_ts: now } },
          'hs-b.test': {},
          'hs-nowhere.test': {},
        },
      }),
    });
    expect(status).toBe(200);
    const names = (body.server_keys as { server_name: string }[]).map((e) => e.server_name).sort();
    // An unreachable server with nothing cached is left out.
    expect(names).toEqual(['hs-b.test', 'hs-c.test']);
  });

  it('keeps answering from its cache when the server is down; nothing when never reached', async () => {
    const cPort = ports.get('hs-c.test')!;
    ports.set('hs-c.test', 1); // nothing listens on port 1
    try {
      const farFuture = now + 100 * HOUR;
      const { body } = await getJson(
        `${b.baseUrl}/_matrix/key/v2/query/hs-c.test?minimum_valid_until_ts=${farFuture}`,
      );
      expect((body.server_keys as unknown[]).length).toBe(1);
      // Asked again at once, the notary does not try the dead server a second time.
      const askedC = () => b.federation.sent.filter((r) => r.destination === 'hs-c.test').length;
      const before = askedC();
      const again = await getJson(
        `${b.baseUrl}/_matrix/key/v2/query/hs-c.test?minimum_valid_until_ts=${farFuture}`,
      );
      expect((again.body.server_keys as unknown[]).length).toBe(1);
      expect(askedC()).toBe(before);
      const none = await getJson(`${b.baseUrl}/_matrix/key/v2/query/hs-never.test`);
      expect(none.body).toEqual({ server_keys: [] });
    } finally {
      ports.set('hs-c.test', cPort);
    }
  });

  it('refuses malformed queries', async () => {
    const bad = await getJson(`${b.baseUrl}/_matrix/key/v2/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        server_keys: { 'hs-c.test': { 'ed25519:x': { minimum_valid_until_ts: 'soon' } } },
      }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_BAD_JSON');
    const badTs = await getJson(
      `${b.baseUrl}/_matrix/key/v2/query/hs-c.test?minimum_valid_until_ts=later`,
    );
    expect(badTs.status).toBe(400);
  });
});

describe('fetching through trusted_key_servers', () => {
  it('D, which cannot reach C, gets its keys through B, checked against B key', async () => {
    const d = await start('hs-d.test', {
      trusted_key_servers: [
        { server_name: 'hs-b.test', verify_keys: { [ownKey(b).keyId]: ownKey(b).publicKeyBase64 } },
      ],
    });
    // D's view of the network has no route to C.
    d.federation.ports = new Map([['hs-b.test', b.port]]);
    const patched = d.federation;
    d.ctx.federation = {
      request: (dest, req) =>
        dest === 'hs-c.test'
          ? Promise.reject(new Error('unreachable from D'))
          : patched.request(dest, req),
    };
    const k = await getServerVerifyKey(d.ctx, 'hs-c.test', ownKey(c).keyId);
    expect(k.key).toBe(ownKey(c).publicKeyBase64);
  });

  it('refuses a notary answer not signed by the configured notary key', async () => {
    const e = await start('hs-e.test', {
      trusted_key_servers: [
        {
          server_name: 'hs-b.test',
          verify_keys: {
            'ed25519:pinned': signingKeyFromSeed('pinned', Buffer.alloc(32, 8)).publicKeyBase64,
          },
        },
      ],
    });
    const real = e.federation;
    e.ctx.federation = {
      request: (dest, req) =>
        dest === 'hs-c.test'
          ? Promise.reject(new Error('unreachable from E'))
          : real.request(dest, req),
    };
    await expect(getServerVerifyKey(e.ctx, 'hs-c.test', ownKey(c).keyId)).rejects.toMatchObject({
      reason: 'unreachable',
      message: expect.stringMatching(
        /through hs-b.test: the answer is not signed by any configured key of hs-b.test/,
      ),
    });
  });
});

describe('a dead server is not hammered', () => {
  it('after a failed fetch, lookups fail at once until the backoff has passed', async () => {
    ports.set('hs-dead.test', 1);
    const sentToDead = () =>
      a.federation.sent.filter((r) => r.destination === 'hs-dead.test').length;
    await expect(getServerVerifyKey(a.ctx, 'hs-dead.test', 'ed25519:x')).rejects.toMatchObject({
      reason: 'unreachable',
    });
    expect(sentToDead()).toBe(1);
    await expect(getServerVerifyKey(a.ctx, 'hs-dead.test', 'ed25519:x')).rejects.toMatchObject({
      reason: 'unreachable',
    });
    expect(sentToDead()).toBe(1);
    now += KEY_FETCH_BACKOFF_MS + 1;
    await expect(getServerVerifyKey(a.ctx, 'hs-dead.test', 'ed25519:x')).rejects.toThrow();
    expect(sentToDead()).toBe(2);
  });
});

describe('key answers with bad signatures are refused', () => {
  let fake: Server;
  let answer: unknown = {};
  beforeAll(async () => {
    fake = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    ports.set('hs-fake.test', (fake.address() as AddressInfo).port);
  });
  afterAll(() => new Promise<void>((r) => fake.close(() => r())));

  const real = signingKeyFromSeed('f1', Buffer.alloc(32, 11));
  const other = signingKeyFromSeed('f1', Buffer.alloc(32, 12));
  const doc = (over: Record<string, unknown> = {}) => ({
    server_name: 'hs-fake.test',
    verify_keys: { 'ed25519:f1': { key: real.publicKeyBase64 } },
    valid_until_ts: now + HOUR,
    ...over,
  });
  const cases: [string, () => unknown, RegExp][] = [
    [
      'signed by another key',
      () => signJson(doc(), 'hs-fake.test', other),
      /signature of ed25519:f1 on the answer is not valid/,
    ],
    ['not signed at all', () => doc(), /not signed by its own key ed25519:f1/],
    [
      'for another server',
      () => signJson(doc({ server_name: 'hs-c.test' }), 'hs-c.test', real),
      /is for "hs-c.test"/,
    ],
  ];
  for (const [name, make, message] of cases) {
    it(name, async () => {
      answer = make();
      now += KEY_FETCH_BACKOFF_MS + 1; // past the backoff of the previous case
      await expect(getServerVerifyKey(a.ctx, 'hs-fake.test', 'ed25519:f1')).rejects.toMatchObject({
        reason: 'unreachable',
        message: expect.stringMatching(message),
      });
    });
  }

  it('and the right answer is then accepted', async () => {
    answer = signJson(doc(), 'hs-fake.test', real);
    now += KEY_FETCH_BACKOFF_MS + 1;
    expect((await getServerVerifyKey(a.ctx, 'hs-fake.test', 'ed25519:f1')).key).toBe(
      real.publicKeyBase64,
    );
  });
});
