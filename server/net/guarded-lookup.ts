import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { AddressPolicy } from './ip-ranges.js';

/** Resolves a host name to every address it has (A and AAAA). */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

/** An outgoing connection refused because the address is in ip_range_blacklist. */
export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(
      hostname === address
        ? `${address} is in ip_range_blacklist`
        : `${hostname} resolves to ${address}, which is in ip_range_blacklist`,
    );
    this.name = 'BlockedAddressError';
  }
}

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), as Node itself connects. */
export const systemResolveAll: ResolveAll = (hostname) => dns.lookup(hostname, { all: true });

/**
 * Resolves through a `dns.promises.Resolver` (A and AAAA, following CNAMEs), for when the
 * DNS servers are chosen by config or by a test. One family missing is not an error.
 */
export function resolverResolveAll(resolver: dns.Resolver): ResolveAll {
  return async (hostname) => {
    const [v4, v6] = await Promise.all([
      resolver.resolve4(hostname).catch(noRecords),
      resolver.resolve6(hostname).catch(noRecords),
    ]);
    const all: LookupAddress[] = [
      ...v6.map((address) => ({ address, family: 6 })),
      ...v4.map((address) => ({ address, family: 4 })),
    ];
    if (!all.length) throw notFound(hostname);
    return all;
  };
}

/**
 * A `lookup` for net/tls/http(s) connections that refuses (with BlockedAddressError) when
 * ANY address the name resolves to is blocked by `policy`. It runs at connect time, for the
 * very addresses the socket then uses: a DNS answer that changes between an earlier check
 * and the connect (DNS rebinding) cannot reach a blocked address. Node skips `lookup` for IP
 * literals; guarded agents (guarded-agent.ts) check those with `assertAddressAllowed`.
 */
export function createGuardedLookup(opts: {
  policy: AddressPolicy;
  resolve?: ResolveAll;
}): LookupFunction {
  const resolve = opts.resolve ?? systemResolveAll;
  return (hostname: string, options: LookupOptions, callback) => {
    const run = async (): Promise<LookupAddress[]> => {
      const family = isIP(hostname);
      const all = family ? [{ address: hostname, family }] : await resolve(hostname);
      const blocked = all.find((a) => opts.policy.isBlocked(a.address));
      if (blocked) throw new BlockedAddressError(hostname, blocked.address);
      const wanted = all.filter((a) => !options.family || a.family === options.family);
      if (!wanted.length) throw notFound(hostname);
      return wanted;
    };
    run().then(
      (addrs) => {
        if (options.all) callback(null, addrs);
        else callback(null, addrs[0]!.address, addrs[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

/** Throws BlockedAddressError when `host` is an IP literal the policy blocks. */
export function assertAddressAllowed(policy: AddressPolicy, host: string): void {
  const literal = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(literal) && policy.isBlocked(literal)) throw new BlockedAddressError(host, literal);
}

function noRecords(err: NodeJS.ErrnoException): string[] {
  if (err.code === 'ENODATA' || err.code === 'ENOTFOUND') return [];
  throw err;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${hostname} has no address`);
  err.code = 'ENOTFOUND';
  return err;
}
