import { promises as dns, type SrvRecord } from 'node:dns';
import { isIP } from 'node:net';
import type { Agent as HttpsAgent } from 'node:https';
import { boundedLru } from '../core/cache.js';
import { systemClock, type Clock } from '../core/clock.js';
import { isValidServerName } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { cacheLifetimeMs } from '../net/cache-lifetime.js';
import { httpsGet, RedirectError } from '../net/http-get.js';
import { RequestFailure } from '../net/http-request.js';

/** Where to send a request for a server name, per the spec's "Resolving server names". */
export interface ResolvedServer {
  /** Hosts to connect to, in order of preference (several only from SRV records). */
  targets: { host: string; port: number }[];
  /** The `Host` header to send. */
  hostHeader: string;
  /** The name the certificate must be valid for, sent as SNI; null for an IP literal (the
   * certificate must then name the address). */
  tlsServerName: string | null;
  /** Which step of the algorithm answered (for logs and tests). */
  via: 'ip-literal' | 'explicit-port' | 'srv' | 'srv-legacy' | 'default-port';
  /** The delegated server name from `/.well-known/matrix/server`, when one was used. */
  delegatedTo: string | null;
}

/** A server name split into its parts; `host` is without IPv6 brackets. */
export interface ServerNameParts {
  host: string;
  port: number | null;
  ipLiteral: boolean;
}

/** Splits `example.org`, `example.org:8448`, `1.2.3.4:80`, `[::1]:8448`; null when invalid. */
export function parseServerName(name: string): ServerNameParts | null {
  if (!isValidServerName(name)) return null;
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(name);
  if (!m) return null;
  const bracketed = m[1]!.startsWith('[');
  const host = bracketed ? m[1]!.slice(1, -1) : m[1]!;
  const ipLiteral = bracketed ? isIP(host) === 6 : isIP(host) === 4;
  if (bracketed && !ipLiteral) return null;
  return { host: host.toLowerCase(), port: m[2] ? Number(m[2]) : null, ipLiteral };
}

export const DEFAULT_FEDERATION_PORT = 8448;

/** How long SRV answers (and their absence) are reused. */
export const SRV_CACHE_MS = 5 * 60_000;

export interface ServerDiscoveryOptions {
  /** Fetches /.well-known/matrix/server: an agent with the address guard and TLS trust. */
  wellKnownAgent: HttpsAgent;
  /** DNS servers for SRV lookups (`127.0.0.1:5353`); default the system's. */
  dnsServers?: string[];
  clock?: Clock;
  log?: Logger;
  /** How long one .well-known fetch may take, redirects included (default 10 s). */
  wellKnownTimeoutMs?: number;
}

interface WellKnownEntry {
  /** The delegated server name, or null: no (valid) delegation. */
  delegated: string | null;
  expiresAt: number;
  /** Consecutive fetch failures (not invalid answers), for the backoff. */
  failures: number;
  /** The last valid delegation and until when it may stand in during an outage. */
  lastValid: { delegated: string; until: number } | null;
}

/** Cache times for /.well-known/matrix/server (spec: default 24 h, at most 48 h; errors up
 * to an hour with exponential backoff). The 5-minute floor and the grace for a valid
 * delegation during an outage are Synapse's. */
export const WELL_KNOWN_CACHE = {
  defaultMs: 24 * 3600_000,
  maxMs: 48 * 3600_000,
  minMs: 5 * 60_000,
  invalidMs: 3600_000,
  firstFailureMs: 2 * 60_000,
  maxFailureMs: 3600_000,
  /** How long after its expiry a valid delegation is still used while fetches fail. */
  rememberValidMs: 2 * 3600_000,
};

/**
 * Resolves server names to connection targets (server-server API, "Resolving server
 * names"), caching `.well-known` answers. One instance per server; safe to share.
 */
export class ServerDiscovery {
  private readonly resolver: dns.Resolver;
  private readonly clock: Clock;
  private readonly wellKnown = boundedLru<string, WellKnownEntry>(10_000);
  private readonly inFlight = new Map<string, Promise<string | null>>();
  /** SRV answers by host, for SRV_CACHE_MS: Node's resolveSrv gives no TTL, and a busy
   * destination would otherwise cost one or two DNS queries per request. */
  private readonly srvCache = boundedLru<string, { result: ResolvedServer; expiresAt: number }>(
    10_000,
  );

  constructor(private readonly opts: ServerDiscoveryOptions) {
    this.resolver = new dns.Resolver({ timeout: 5000, tries: 2 });
    if (opts.dnsServers?.length) this.resolver.setServers(opts.dnsServers);
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * Resolves `serverName` per the spec's steps. Throws an Error with `code` 'EBADNAME' for
   * an invalid name and 'ESRVUNAVAILABLE' when SRV says the service is not offered (target
   * "."). Host names in the answer are resolved later, at connect time, by the guarded
   * lookup, so that the addresses checked are the addresses used.
   */
  async resolveServerName(serverName: string): Promise<ResolvedServer> {
    const name = parseServerName(serverName);
    if (!name) throw codedError(`"${serverName}" is not a valid server name`, 'EBADNAME');
    // Step 1: IP literal; step 2: explicit port. The Host header is the server name as given.
    if (name.ipLiteral) {
      return single(
        name.host,
        name.port ?? DEFAULT_FEDERATION_PORT,
        serverName,
        null,
        'ip-literal',
        null,
      );
    }
    if (name.port !== null) {
      return single(name.host, name.port, serverName, name.host, 'explicit-port', null);
    }
    // Step 3: .well-known delegation.
    const delegated = await this.delegationFor(name.host);
    if (delegated) {
      const d = parseServerName(delegated)!;
      if (d.ipLiteral) {
        return single(
          d.host,
          d.port ?? DEFAULT_FEDERATION_PORT,
          delegated,
          null,
          'ip-literal',
          delegated,
        );
      }
      if (d.port !== null)
        return single(d.host, d.port, delegated, d.host, 'explicit-port', delegated);
      return this.viaSrvOrDefault(d.host, delegated);
    }
    // Steps 4 to 6: SRV on the server name itself, then port 8448.
    return this.viaSrvOrDefault(name.host, null);
  }

  /** Drops what is cached for `serverName` (its .well-known and SRV answers). */
  forget(serverName: string): void {
    const host = parseServerName(serverName)?.host ?? serverName;
    this.wellKnown.delete(host);
    this.srvCache.delete(host);
  }

  private async viaSrvOrDefault(host: string, delegatedTo: string | null): Promise<ResolvedServer> {
    const now = this.clock.now();
    const cached = this.srvCache.get(host);
    if (cached && now < cached.expiresAt) return { ...cached.result, delegatedTo };
    const result = await this.lookupSrvTargets(host, delegatedTo);
    this.srvCache.set(host, { result, expiresAt: now + SRV_CACHE_MS });
    return result;
  }

  private async lookupSrvTargets(
    host: string,
    delegatedTo: string | null,
  ): Promise<ResolvedServer> {
    for (const [service, via] of [
      ['_matrix-fed._tcp', 'srv'],
      ['_matrix._tcp', 'srv-legacy'],
    ] as const) {
      const records = await this.lookupSrv(`${service}.${host}`);
      if (!records.length) continue;
      if (records.length === 1 && (records[0]!.name === '.' || records[0]!.name === '')) {
        throw codedError(`${service}.${host} says the service is not offered`, 'ESRVUNAVAILABLE');
      }
      return {
        targets: orderSrv(records).map((r) => ({ host: r.name.replace(/\.$/, ''), port: r.port })),
        hostHeader: host,
        tlsServerName: host,
        via,
        delegatedTo,
      };
    }
    return single(host, DEFAULT_FEDERATION_PORT, host, host, 'default-port', delegatedTo);
  }

  /** SRV records of `name`; none when it has none or DNS fails (then the next step applies). */
  private async lookupSrv(name: string): Promise<SrvRecord[]> {
    try {
      return await this.resolver.resolveSrv(name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTFOUND' && code !== 'ENODATA') {
        this.opts.log?.debug({ name, code }, 'SRV lookup failed; going on without it');
      }
      return [];
    }
  }

  /** The delegated server name for `host` from (cached) .well-known, or null. */
  private async delegationFor(host: string): Promise<string | null> {
    const now = this.clock.now();
    const cached = this.wellKnown.get(host);
    if (cached && now < cached.expiresAt) return cached.delegated;
    let pending = this.inFlight.get(host);
    if (!pending) {
      pending = this.refreshWellKnown(host, cached).finally(() => this.inFlight.delete(host));
      this.inFlight.set(host, pending);
    }
    return pending;
  }

  private async refreshWellKnown(
    host: string,
    prev: WellKnownEntry | undefined,
  ): Promise<string | null> {
    const outcome = await fetchWellKnown(host, {
      agent: this.opts.wellKnownAgent,
      timeoutMs: this.opts.wellKnownTimeoutMs ?? 10_000,
      now: this.clock.now(),
    });
    const entry = nextEntry(outcome, prev, this.clock.now());
    this.wellKnown.set(host, entry);
    this.opts.log?.debug(
      {
        host,
        outcome: outcome.kind,
        delegated: entry.delegated,
        ...('reason' in outcome ? { reason: outcome.reason } : {}),
      },
      'fetched /.well-known/matrix/server',
    );
    return entry.delegated;
  }
}

/** What one fetch of /.well-known/matrix/server gave. */
export type WellKnownOutcome =
  | { kind: 'valid'; delegated: string; cacheMs: number | null }
  /** An answer that is not a delegation: non-200, bad JSON, no valid m.server, too large. */
  | { kind: 'invalid'; reason: string }
  /** No answer: connection refused, TLS, timeout, a 5xx. */
  | { kind: 'failed'; reason: string };

/** The largest .well-known answer read (Synapse's limit). */
const WELL_KNOWN_MAX_BYTES = 50 * 1024;

/**
 * Fetches `https://<host>/.well-known/matrix/server` (server-server API, step 3 of
 * "Resolving server names"): redirects followed, certificate checked, body taken as JSON
 * whatever its Content-Type (the spec says to).
 */
export async function fetchWellKnown(
  host: string,
  opts: { agent: HttpsAgent; timeoutMs: number; now: number },
): Promise<WellKnownOutcome> {
  let answer;
  try {
    answer = await httpsGet(`https://${host}/.well-known/matrix/server`, {
      agent: opts.agent,
      timeoutMs: opts.timeoutMs,
      maxBytes: WELL_KNOWN_MAX_BYTES,
    });
  } catch (err) {
    if (err instanceof RedirectError) return { kind: 'invalid', reason: err.message };
    if (err instanceof RequestFailure && err.kind === 'too_large') {
      return { kind: 'invalid', reason: err.message };
    }
    const cause = err instanceof RequestFailure && err.cause ? err.cause : (err as Error);
    return { kind: 'failed', reason: cause.message };
  }
  if (answer.status >= 500) return { kind: 'failed', reason: `status ${answer.status}` };
  if (answer.status !== 200) return { kind: 'invalid', reason: `status ${answer.status}` };
  let body: unknown;
  try {
    body = JSON.parse(answer.body.toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  const server =
    typeof body === 'object' && body !== null
      ? (body as Record<string, unknown>)['m.server']
      : undefined;
  if (typeof server !== 'string' || !parseServerName(server)) {
    return { kind: 'invalid', reason: 'no valid m.server' };
  }
  return { kind: 'valid', delegated: server, cacheMs: cacheLifetimeMs(answer.headers, opts.now) };
}

/**
 * The cache entry after a fetch. A valid answer is kept as its Cache-Control/Expires say
 * (24 h without them, within 5 min..48 h); an invalid one (non-200, bad JSON, no valid
 * m.server) for an hour; a failure to fetch backs off 2, 4, 8 ... minutes up to an hour,
 * during which a delegation that was valid recently still stands (a brief outage of the
 * web server must not move federation traffic elsewhere).
 */
export function nextEntry(
  outcome: WellKnownOutcome,
  prev: WellKnownEntry | undefined,
  now: number,
): WellKnownEntry {
  const c = WELL_KNOWN_CACHE;
  if (outcome.kind === 'valid') {
    const ttl = Math.min(c.maxMs, Math.max(c.minMs, outcome.cacheMs ?? c.defaultMs));
    return {
      delegated: outcome.delegated,
      expiresAt: now + ttl,
      failures: 0,
      lastValid: { delegated: outcome.delegated, until: now + ttl + c.rememberValidMs },
    };
  }
  if (outcome.kind === 'invalid') {
    return { delegated: null, expiresAt: now + c.invalidMs, failures: 0, lastValid: null };
  }
  const failures = (prev?.failures ?? 0) + 1;
  const backoff = Math.min(c.maxFailureMs, c.firstFailureMs * 2 ** (failures - 1));
  const lastValid = prev?.lastValid && now < prev.lastValid.until ? prev.lastValid : null;
  return { delegated: lastValid?.delegated ?? null, expiresAt: now + backoff, failures, lastValid };
}

/** RFC 2782 order: lowest priority first; within one, a weighted random shuffle. */
export function orderSrv(records: SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  const byPriority = new Map<number, SrvRecord[]>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const out: SrvRecord[] = [];
  for (const prio of [...byPriority.keys()].sort((a, b) => a - b)) {
    const left = [...byPriority.get(prio)!];
    while (left.length) {
      const total = left.reduce((s, r) => s + r.weight, 0);
      let pick = random() * total;
      let i = left.findIndex((r) => (pick -= r.weight) < 0);
      if (i < 0) i = 0; // all weights 0: take them in order
      out.push(left.splice(i, 1)[0]!);
    }
  }
  return out;
}

function single(
  host: string,
  port: number,
  hostHeader: string,
  tlsServerName: string | null,
  via: ResolvedServer['via'],
  delegatedTo: string | null,
): ResolvedServer {
  return { targets: [{ host, port }], hostHeader, tlsServerName, via, delegatedTo };
}

function codedError(message: string, code: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(message);
  err.code = code;
  return err;
}
