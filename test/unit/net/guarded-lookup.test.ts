import { promises as dns } from 'node:dns';
import { createServer, get, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IP_RANGE_BLACKLIST } from '../../../server/core/config/ip-range-defaults.js';
import { GuardedHttpAgent } from '../../../server/net/guarded-agent.js';
import {
  BlockedAddressError,
  createGuardedLookup,
  resolverResolveAll,
} from '../../../server/net/guarded-lookup.js';
import { createAddressPolicy } from '../../../server/net/ip-ranges.js';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.js';

let dnsServer: TestDnsServer;
let http: Server;
let port: number;

beforeAll(async () => {
  dnsServer = await startDnsServer();
  dnsServer.set('web.test', { A: ['127.0.0.1'] });
  dnsServer.set('dual.test', { A: ['127.0.0.1'], AAAA: ['2001:db8::5'] });
  http = createServer((_req, res) => res.end('hello'));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  port = (http.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => http.close(r));
  await dnsServer.close();
});

function resolve() {
  const resolver = new dns.Resolver();
  resolver.setServers([dnsServer.address]);
  return resolverResolveAll(resolver);
}

const open = createAddressPolicy({ blacklist: [] });
const defaults = createAddressPolicy({ blacklist: DEFAULT_IP_RANGE_BLACKLIST });

/** Connects a raw TCP socket with `lookup`; resolves with the error or 'connected'. */
function tryConnect(lookup: ReturnType<typeof createGuardedLookup>, host: string) {
  return new Promise<Error | 'connected'>((done) => {
    const s = connect({ host, port, lookup });
    s.on('connect', () => {
      s.destroy();
      done('connected');
    });
    s.on('error', (err) => done(err));
  });
}

describe('createGuardedLookup', () => {
  it('lets a net connection reach an allowed address', async () => {
    expect(
      await tryConnect(createGuardedLookup({ policy: open, resolve: resolve() }), 'web.test'),
    ).toBe('connected');
  });

  it('refuses with BlockedAddressError when the address is blocked', async () => {
    const err = await tryConnect(
      createGuardedLookup({ policy: defaults, resolve: resolve() }),
      'web.test',
    );
    expect(err).toBeInstanceOf(BlockedAddressError);
    expect((err as BlockedAddressError).address).toBe('127.0.0.1');
  });

  it('refuses when any one of the addresses is blocked, whatever the family asked', async () => {
    const policy = createAddressPolicy({ blacklist: ['2001:db8::/32'] });
    const lookup = createGuardedLookup({ policy, resolve: resolve() });
    const err = await new Promise<Error | null>((done) =>
      lookup('dual.test', { family: 4 }, (e) => done(e)),
    );
    expect(err).toBeInstanceOf(BlockedAddressError);
  });

  it('answers in both callback shapes (all: true, and one address)', async () => {
    const lookup = createGuardedLookup({ policy: open, resolve: resolve() });
    const all = await new Promise((done) =>
      lookup('dual.test', { all: true }, (_e, addrs) => done(addrs)),
    );
    expect(all).toEqual([
      { address: '2001:db8::5', family: 6 },
      { address: '127.0.0.1', family: 4 },
    ]);
    const one = await new Promise((done) =>
      lookup('dual.test', { family: 4 }, (_e, address, family) => done([address, family])),
    );
    expect(one).toEqual(['127.0.0.1', 4]);
    const missing = await new Promise<NodeJS.ErrnoException | null>((done) =>
      lookup('absent.test', {}, (e) => done(e)),
    );
    expect(missing?.code).toBe('ENOTFOUND');
  });
});

describe('GuardedHttpAgent (plain HTTP, for URL previews and push)', () => {
  function fetchVia(agent: GuardedHttpAgent, host: string) {
    return new Promise<string | Error>((done) => {
      const req = get({ host, port, path: '/', agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => done(body));
      });
      req.on('error', (err) => done(err));
    });
  }

  it('checks IP literals, which Node connects to without a lookup', async () => {
    const guard = { policy: defaults, lookup: createGuardedLookup({ policy: defaults }) };
    const err = await fetchVia(new GuardedHttpAgent(guard), '127.0.0.1');
    expect(err).toBeInstanceOf(BlockedAddressError);
  });

  it('checks names through the lookup, and allows what the policy allows', async () => {
    const blocked = {
      policy: defaults,
      lookup: createGuardedLookup({ policy: defaults, resolve: resolve() }),
    };
    expect(await fetchVia(new GuardedHttpAgent(blocked), 'web.test')).toBeInstanceOf(
      BlockedAddressError,
    );
    const allowed = {
      policy: open,
      lookup: createGuardedLookup({ policy: open, resolve: resolve() }),
    };
    expect(await fetchVia(new GuardedHttpAgent(allowed), 'web.test')).toBe('hello');
    expect(await fetchVia(new GuardedHttpAgent(allowed), '127.0.0.1')).toBe('hello');
  });
});
